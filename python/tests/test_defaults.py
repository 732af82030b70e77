"""One default per choice: the glass command's --help, Python's keyword arguments and the library's
own option structs (glass.library_defaults(), read from KernelChoice, SmcOptions and ValueOptions)
name the same default for every kernel, SMC and value-estimate setting."""
import re
import subprocess

import pytest

import glass
from glass import _glass

# library name: (glass align flag, Python function, its keyword)
SETTINGS = {
    "kernel": ("--kernel", _glass.Kernel.__init__, "kind"),
    "rho": ("--rho", _glass.Kernel.__init__, "rho"),
    "inner_steps": ("--inner-steps", _glass.Kernel.__init__, "inner_steps"),
    "inner_solver": ("--inner-solver", _glass.Kernel.__init__, "solver"),
    "sbar_init": ("--sbar-init", _glass.Kernel.__init__, "sbar_init"),
    "ode_method": ("--ode-method", _glass.Kernel.__init__, "ode_method"),
    "diffusion": ("--diffusion", _glass.Kernel.__init__, "diffusion"),
    "substeps": ("--substeps", _glass.Kernel.__init__, "substeps"),
    "lambda": ("--lambda", _glass.smc, "lam"),
    "potential": ("--potential", _glass.smc, "potential"),
    "resampling": ("--resampling", _glass.smc, "resampling"),
    "resample_order": ("--resample-order", _glass.smc, "resample_order"),
    "allocation": ("--allocation", _glass.smc, "allocation"),
    "ess_threshold": ("--ess-threshold", _glass.smc, "ess_threshold"),
    "tempering_ess": ("--tempering-ess", _glass.smc, "tempering_ess"),
    "intermediate": ("--intermediate", _glass.smc, "intermediate"),
    "value_samples": ("--value-samples", _glass.smc, "value_samples"),
    "value_steps": ("--value-steps", _glass.smc, "value_inner_steps"),
    "value_solver": ("--value-solver", _glass.smc, "value_solver"),
}
# The same value-estimate defaults where values are estimated alone, and for SMC through the Aligner.
ALSO = [("value_samples", _glass.estimate_value, "samples"), ("value_steps", _glass.estimate_value, "inner_steps"),
        ("value_solver", _glass.estimate_value, "solver"), ("value_solver", _glass.Aligner.__init__, "value_solver"),
        ("resampling", _glass.Aligner.__init__, "resampling"), ("lambda", _glass.Aligner.__init__, "lam"),
        ("value_steps", _glass.sample_posterior, "inner_steps"), ("value_solver", _glass.sample_posterior, "solver")]


def same(value):
    """'0.4', 0.4 and '0.400' alike; names as they are."""
    text = str(value).strip().strip("'\"")
    try:
        return float(text)
    except ValueError:
        return text


def python_default(function, keyword):
    """A keyword's default as pybind11 writes it in the signature line of the docstring."""
    signature = function.__doc__.splitlines()[0]
    found = re.search(r"\b" + keyword + r": [^=]+? = ('[^']*'|[^,)]+)", signature)
    assert found, f"{keyword} has no default in {signature}"
    return found.group(1)


def help_default(help_text, flag):
    """The default CLI11 prints after a flag's type (`--flag TYPE=default`), before its description."""
    for line in help_text.splitlines():
        head = re.match(r"\s+(-\w,)?" + re.escape(flag) + r"\b(.*?)(\s{2,}|$)", line)
        if head:  # the name and type, up to the description (two or more spaces on)
            assert "=" in head.group(2), f"{flag} shows no default: {line.strip()}"
            return head.group(2).rsplit("=", 1)[1]
    raise AssertionError(f"{flag} is not in glass align --help")


@pytest.fixture
def align_help(cli):
    return subprocess.run([cli, "align", "--help"], capture_output=True, text=True,
                          check=True).stdout


def test_command_python_and_library_name_the_same_default(align_help):
    library = glass.library_defaults()
    assert set(library) == set(SETTINGS), "library_defaults() and this table list other settings"
    for name, (flag, function, keyword) in SETTINGS.items():
        expected = same(library[name])
        assert same(help_default(align_help, flag)) == expected, f"glass align {flag}"
        assert same(python_default(function, keyword)) == expected, f"Python {keyword}"
    for name, function, keyword in ALSO:
        assert same(python_default(function, keyword)) == same(library[name]), f"{function.__name__} {keyword}"


def test_the_readers_of_defaults_see_a_changed_default():
    # The parsers above must find what they claim: a signature and a help line made up here.
    assert same(python_default(type("F", (), {"__doc__": "f(a: int = 3, b: str = 'x,y') -> None"}), "b")) == "x,y"
    assert same(help_default("  -M,--inner-steps INT:POSITIVE=7  GLASS: inner steps (a=2)", "--inner-steps")) == 7
    assert help_default("  --inner-solver euler|pc3=pc3  (see --eta=4)", "--inner-solver") == "pc3"
    assert same(help_default("  --tempering-ess FLOAT:FLOAT in [0 - 0.999]=0.5  SMC", "--tempering-ess")) == 0.5
    with pytest.raises(AssertionError):
        help_default("  --eta FLOAT:NONNEGATIVE  noise (default=1)", "--eta")
    with pytest.raises(AssertionError):
        help_default("  --eta FLOAT  noise", "--kernel")
