"""The README's example script runs end to end on the shipped model (a small setting) and writes
its picture; a bad argument is a one-line error and a non-zero exit."""
import os
import subprocess
import sys

EXAMPLE = os.path.join(os.path.dirname(__file__), "..", "..", "examples", "steer_fashion_mnist.py")


def test_the_example_steers_the_shipped_model(tmp_path):
    out = tmp_path / "steer.png"
    r = subprocess.run([sys.executable, EXAMPLE, "--outputs", "2", "--steps", "3", "--inner-steps", "2",
                        "--threads", "1", "--out", str(out)], capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stderr
    for method in ["plain", "best-of-n", "smc", "smc+guidance"]:
        assert f"\n{method} " in r.stdout
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_the_example_refuses_a_bad_target(tmp_path):
    r = subprocess.run([sys.executable, EXAMPLE, "--target", "2"], capture_output=True, text=True, timeout=60)
    assert r.returncode != 0 and "--target" in r.stderr.strip().splitlines()[-1]


def test_the_readme_python_example_runs_as_written():
    readme = open(os.path.join(os.path.dirname(__file__), "..", "..", "README.md")).read()
    start = readme.index("<!-- python-example -->")
    block = readme[start:readme.index("<!-- end python-example -->")]
    code = block.split("```python\n", 1)[1].rsplit("```", 1)[0]
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stderr
    assert "smc+guidance" in r.stdout
