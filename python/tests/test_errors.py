"""Errors reach Python as exceptions with the library's one-line messages; an exception raised in a
Python callback comes back as raised, leaks nothing, and leaves every object usable."""
import gc
import sys

import pytest
import torch

import glass


@pytest.fixture
def model():
    return glass.mixture_model(glass.GaussianMixture.preset("gmm2d"))


def one_line(excinfo):
    text = str(excinfo.value)
    assert "\n" not in text.strip(), text
    return text


def test_bad_settings_are_value_errors_naming_the_problem(model):
    with pytest.raises(ValueError) as e:
        glass.Kernel(model, "nope")
    assert "unknown kernel 'nope'" in one_line(e) and "glass" in str(e.value)
    with pytest.raises(ValueError, match="inner steps|inner_steps|M"):
        glass.Kernel(model, "glass", inner_steps=0)
    with pytest.raises(ValueError, match="rho"):
        glass.Kernel(model, "glass", rho=1.5)
    with pytest.raises(ValueError, match="exact"):
        glass.Kernel(glass.python_model(lambda x, t: x, [2]), "exact")
    with pytest.raises(ValueError, match="steps"):
        glass.sample(glass.Kernel(model), 4, steps=0, generator=glass.Generator(0))
    with pytest.raises(ValueError, match="stochastic|deterministic"):
        glass.smc(glass.Kernel(model, "ode"), "quadratic:center=0,0", 2, steps=4, generator=glass.Generator(0))
    with pytest.raises(ValueError, match="unknown method"):
        glass.Aligner(glass.Kernel(model), "quadratic:center=0,0", steps=4).plan("magic")
    with pytest.raises(ValueError, match="one per particle"):
        glass.Kernel(model).step(torch.zeros(3, 2), [0.1, 0.2], 0.5, glass.Generator(0))
    with pytest.raises(ValueError):
        glass.reward("nonsense:1")


def test_missing_and_corrupt_files(tmp_path):
    with pytest.raises((ValueError, RuntimeError)) as e:
        glass.load_model(str(tmp_path / "absent.json"))
    assert "absent.json" in one_line(e)
    bad = tmp_path / "bad.pt"
    bad.write_bytes(b"not a zip archive")
    with pytest.raises((ValueError, RuntimeError)) as e:
        glass.load_model(str(bad), sample_shape=[2])
    assert "bad.pt" in one_line(e)


def test_a_python_model_that_misbehaves_is_named_in_a_one_line_error():
    gen = glass.Generator(0)

    def wrong_shape(x, t):
        return x[:, :1]

    def nan(x, t):
        return x * float("nan")

    def raises(x, t):
        raise ArithmeticError("boom in the network")

    def not_a_tensor(x, t):
        return [1.0]

    for fn, words in [(wrong_shape, "shape"), (nan, "non-finite|NaN|nan"), (raises, "boom in the network"),
                      (not_a_tensor, "not a tensor")]:
        model = glass.python_model(fn, [2], prediction="x0", name=fn.__name__)
        with pytest.raises((RuntimeError, ValueError), match=words) as e:
            glass.sample(glass.Kernel(model), 4, steps=2, generator=gen)
        assert fn.__name__ in one_line(e)


def test_an_exception_in_a_python_reward_comes_back_as_raised_and_leaks_nothing(model):
    payload = torch.zeros(1)
    calls = []

    def failing(z):
        calls.append(1)
        raise KeyError("reward lookup failed", payload)

    kernel = glass.Kernel(model, inner_steps=2)
    baseline = sys.getrefcount(payload)
    for _ in range(50):
        with pytest.raises(KeyError, match="reward lookup failed"):
            glass.smc(kernel, failing, 2, particles=4, steps=3, generator=glass.Generator(1))
    gc.collect()
    assert len(calls) == 50
    assert sys.getrefcount(payload) == baseline, "each raised exception must be released"
    # The kernel, the model and the module still work after the failures.
    run = glass.smc(kernel, lambda z: -z.double().pow(2).sum(1), 2, particles=4, steps=3,
                    generator=glass.Generator(1))
    assert torch.isfinite(run.samples).all()


def test_a_reward_returning_the_wrong_thing(model):
    kernel = glass.Kernel(model, inner_steps=2)
    with pytest.raises(ValueError, match="not a tensor"):
        glass.smc(kernel, lambda z: 1.0, 2, particles=4, steps=3, generator=glass.Generator(1))
    with pytest.raises((ValueError, RuntimeError), match="shape|per sample|\\[") as e:
        glass.smc(kernel, lambda z: z.double(), 2, particles=4, steps=3, generator=glass.Generator(1))
    one_line(e)
    with pytest.raises((ValueError, RuntimeError), match="NaN|non-finite|nan"):
        glass.smc(kernel, lambda z: z[:, 0].double() * float("nan"), 2, particles=4, steps=3,
                  generator=glass.Generator(1))
