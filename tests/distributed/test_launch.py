"""glass align launched as torch.distributed users launch it: torchrun starts one glass per rank,
the ranks meet over c10d/Gloo on loopback (or mpirun starts them: Open MPI's and MPICH's variables).
1, 2 and 3 processes give byte-identical outputs; a rank that is killed, hangs or never comes ends
the run with a one-line error and no output files.

Run by ctest (ctest -L distributed), which sets GLASS_CLI to this build's glass."""
import copy
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

GLASS = os.environ.get("GLASS_CLI") or shutil.which("glass")
# torchrun as the module of the Python whose torch glass was built on (the test runs under it).
TORCHRUN = [sys.executable, "-m", "torch.distributed.run"]
MPIRUN = shutil.which("mpirun")  # Debian's openmpi-bin (scripts/setup.sh installs it)
OUTPUTS = {".npy", ".json", ".png"}

# Plain sampling's 3 outputs are one block of 8: with 2 or 3 processes some ranks hold no share.
GMM = ["align", "--preset", "gmm2d", "-n", "3", "-N", "20", "-K", "6", "--ess-threshold", "1",
       "--methods", "plain,best-of-n,smc,smc+guidance", "--seed", "5", "--threads", "1", "-q"]
# The shipped U-Net and the classifier reward: batch-dependent convolutions in both.
FASHION = ["align", "-n", "2", "-N", "12", "-K", "3", "--ess-threshold", "1", "--methods", "smc,best-of-n",
           "--shard-block", "4", "--seed", "2", "--threads", "1", "-q"]
# The Fashion-MNIST Diamond map's U-Net for moves and one-call value estimates.
DIAMOND = ["align", "-k", "diamond", "--diamond", str(Path(__file__).resolve().parents[2] / "models/diamond-fashion-mnist"),
           "--methods", "smc", "--intermediate", "value", "--value-sampler", "diamond", "-n", "2", "-N", "8", "-K", "3",
           "--ess-threshold", "1", "--shard-block", "4", "--seed", "3", "--threads", "1", "-q"]


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def torchrun_command(nproc, args):
    # Its own free port for the rendezvous (--standalone's fixed default collides with a launch beside it).
    return [*TORCHRUN, "--nnodes", "1", "--rdzv-backend", "c10d", "--rdzv-endpoint", f"127.0.0.1:{free_port()}",
            "--nproc_per_node", str(nproc), "--no_python", GLASS, *args]


def torchrun(nproc, args, out):
    cmd = torchrun_command(nproc, [*args, "-o", str(out)])
    return subprocess.run(cmd, capture_output=True, text=True, timeout=600)


# The variables each launcher gives a rank: (its rank, the world size).
LAUNCHER_VARIABLES = {"torchrun": ("RANK", "WORLD_SIZE"), "openmpi": ("OMPI_COMM_WORLD_RANK", "OMPI_COMM_WORLD_SIZE"),
                      "mpich": ("PMI_RANK", "PMI_SIZE")}
LAUNCH_VARIABLES = {v for pair in LAUNCHER_VARIABLES.values() for v in pair} | {"MASTER_ADDR", "MASTER_PORT"}


def ranks(world, args, out, extra_env=None, port=None, launcher="torchrun"):
    """The ranks started by hand with a launcher's variables (to kill or stop one of them; mpirun's
    as `mpirun -x MASTER_ADDR -x MASTER_PORT` sets them)."""
    port = port or free_port()
    rank_var, size_var = LAUNCHER_VARIABLES[launcher]
    procs = []
    for rank in range(world):
        env = {k: v for k, v in os.environ.items() if k not in LAUNCH_VARIABLES}
        env.update({size_var: str(world), rank_var: str(rank), "MASTER_ADDR": "127.0.0.1", "MASTER_PORT": str(port),
                    **(extra_env or {})})
        procs.append(subprocess.Popen([GLASS, *args, "-o", str(out)], env=env, stdout=subprocess.PIPE,
                                      stderr=subprocess.PIPE, text=True))
    return procs


def outputs(out):
    return sorted(p.name for p in Path(out).glob("*") if p.suffix in OUTPUTS) if Path(out).exists() else []


def comparable(summary_path):
    """The summary without what may differ between launches: timings, paths, the world's own facts."""
    j = copy.deepcopy(json.loads(Path(summary_path).read_text()))
    for key in ("wall_seconds", "distributed", "png"):
        j.pop(key, None)
    for m in j["methods"]:
        m.pop("seconds", None)
        m.pop("npy", None)
        for step in m.get("smc", {}).get("steps", []):
            step.pop("bytes_moved", None)
    return j


@pytest.fixture(autouse=True)
def tools():
    if not GLASS:
        pytest.fail("GLASS_CLI is not set: run through ctest, or set it to build/glass")


@pytest.mark.parametrize("args", [GMM, FASHION, DIAMOND], ids=["gmm2d", "fashion-mnist", "diamond-fashion-mnist"])
def test_one_two_and_three_processes_give_identical_outputs(tmp_path, args):
    runs = {}
    for nproc in (1, 2, 3):
        out = tmp_path / f"np{nproc}"
        r = torchrun(nproc, args, out)
        assert r.returncode == 0, r.stderr[-3000:]
        runs[nproc] = out
    files = [f for f in outputs(runs[1]) if f.endswith(".npy")]
    assert len(files) == len(args[args.index("--methods") + 1].split(","))
    for nproc in (2, 3):
        assert outputs(runs[nproc]) == outputs(runs[1])
        for f in files:
            assert (runs[nproc] / f).read_bytes() == (runs[1] / f).read_bytes(), f"{f}, {nproc} processes"
        assert comparable(runs[nproc] / "summary.json") == comparable(runs[1] / "summary.json")
        world = json.loads((runs[nproc] / "summary.json").read_text())["distributed"]
        assert world["world_size"] == nproc
    # Particles did cross between ranks in the 3-process SMC (groups straddle ranks).
    smc = json.loads((runs[3] / "summary.json").read_text())["methods"]
    moved = sum(s["bytes_moved"] for m in smc if "smc" in m for s in m["smc"]["steps"])
    assert moved > 0


@pytest.mark.parametrize("launcher", ["openmpi", "mpich"])
def test_mpirun_variables_launch_the_same_run(tmp_path, launcher):
    reference, out = tmp_path / "torchrun", tmp_path / launcher
    assert torchrun(1, GMM, reference).returncode == 0
    procs = ranks(3, GMM, out, launcher=launcher)
    for p in procs:
        _, err = p.communicate(timeout=300)
        assert p.returncode == 0, err[-3000:]
    for f in [f for f in outputs(reference) if f.endswith(".npy")]:
        assert (out / f).read_bytes() == (reference / f).read_bytes(), f
    assert comparable(out / "summary.json") == comparable(reference / "summary.json")
    assert json.loads((out / "summary.json").read_text())["distributed"]["world_size"] == 3


def test_mpirun_launches_the_same_run(tmp_path):
    if not MPIRUN:
        pytest.fail("mpirun is missing (Debian's openmpi-bin; scripts/setup.sh installs it)")
    reference, out = tmp_path / "torchrun", tmp_path / "mpirun"
    assert torchrun(1, GMM, reference).returncode == 0
    env = {k: v for k, v in os.environ.items() if k not in LAUNCH_VARIABLES}
    env.update(MASTER_ADDR="127.0.0.1", MASTER_PORT=str(free_port()))
    r = subprocess.run([MPIRUN, "--allow-run-as-root", "--oversubscribe", "-np", "3", "-x", "MASTER_ADDR", "-x",
                        "MASTER_PORT", GLASS, *GMM, "-o", str(out)], env=env, capture_output=True, text=True,
                       timeout=300)
    assert r.returncode == 0, (r.stdout + r.stderr)[-3000:]
    for f in [f for f in outputs(reference) if f.endswith(".npy")]:
        assert (out / f).read_bytes() == (reference / f).read_bytes(), f
    assert json.loads((out / "summary.json").read_text())["distributed"]["world_size"] == 3


def test_a_killed_rank_ends_the_run_with_an_error_and_no_outputs(tmp_path):
    out = tmp_path / "killed"
    # Long enough (about a minute on 2 threads) to be killed in the middle.
    args = ["align", "-n", "8", "-N", "16", "-K", "12", "--methods", "smc", "--threads", "1", "-q"]
    procs = ranks(2, args, out)
    time.sleep(6)
    assert procs[0].poll() is None and procs[1].poll() is None, "the run ended before the kill"
    procs[1].send_signal(signal.SIGKILL)
    start = time.time()
    _, err = procs[0].communicate(timeout=120)
    procs[1].wait()
    assert procs[0].returncode != 0
    assert time.time() - start < 60
    last = err.strip().splitlines()[-1]
    assert last.startswith("glass: error: distributed: rank 0 of 2:"), err[-2000:]
    assert outputs(out) == []


def test_a_killed_worker_under_torchrun_leaves_no_outputs(tmp_path):
    out = tmp_path / "torchrun-killed"
    args = ["align", "-n", "8", "-N", "16", "-K", "12", "--methods", "smc", "--threads", "1", "-q", "-o", str(out)]
    launcher = subprocess.Popen(torchrun_command(2, args), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    time.sleep(8)
    workers = subprocess.run(["pgrep", "-P", str(launcher.pid)], capture_output=True, text=True).stdout.split()
    assert len(workers) == 2, workers
    os.kill(int(workers[-1]), signal.SIGKILL)
    _, err = launcher.communicate(timeout=120)
    assert launcher.returncode != 0
    assert outputs(out) == []


def test_a_hung_rank_times_out_with_an_error(tmp_path):
    out = tmp_path / "hung"
    args = ["align", "-n", "8", "-N", "16", "-K", "12", "--methods", "smc", "--threads", "1", "-q",
            "--dist-timeout", "4"]
    procs = ranks(2, args, out)
    time.sleep(6)
    procs[1].send_signal(signal.SIGSTOP)
    start = time.time()
    try:
        _, err = procs[0].communicate(timeout=120)
    finally:
        procs[1].kill()
        procs[1].wait()
    assert procs[0].returncode != 0
    assert time.time() - start < 60
    assert err.strip().splitlines()[-1].startswith("glass: error: distributed: rank 0 of 2:"), err[-2000:]
    assert outputs(out) == []


def test_a_rank_that_never_comes_fails_the_rendezvous(tmp_path):
    out = tmp_path / "alone"
    procs = ranks(2, GMM + ["--dist-timeout", "2"], out)
    procs[1].kill()  # rank 1 never joins
    _, err = procs[0].communicate(timeout=120)
    procs[1].wait()
    assert procs[0].returncode != 0
    assert "distributed: rank 0 of 2: rendezvous at 127.0.0.1:" in err, err[-2000:]
    assert len(err.strip().splitlines()) == 1, err
    assert outputs(out) == []


@pytest.mark.parametrize("env,args,message", [
    ({"WORLD_SIZE": "two", "RANK": "0"}, GMM, "WORLD_SIZE='two' is not an integer"),
    ({"WORLD_SIZE": "2", "RANK": "2", "MASTER_ADDR": "127.0.0.1", "MASTER_PORT": "29500"}, GMM,
     "RANK='2' is not an integer in [0, 1]"),
    ({"WORLD_SIZE": "2", "RANK": "0", "MASTER_PORT": "29500"}, GMM, "MASTER_ADDR is not set"),
    ({"OMPI_COMM_WORLD_SIZE": "2", "OMPI_COMM_WORLD_RANK": "1"}, GMM,
     "MASTER_ADDR is not set (under mpirun, pass -x MASTER_ADDR="),
    ({"PMI_SIZE": "2", "PMI_RANK": "0", "MASTER_ADDR": "127.0.0.1"}, GMM, "MASTER_PORT is not set (under mpirun"),
    ({"WORLD_SIZE": "1", "RANK": "0"}, GMM + ["--max-batch", "4"], "--max-batch"),
    ({"WORLD_SIZE": "1", "RANK": "0"}, ["align", "--preset", "gmm2d", "-n", "1", "-N", "8", "--methods", "smc",
                                       "--shard-block", "0"], "--shard-block"),
    ({}, GMM + ["--shard-block", "4"], "--shard-block"),
])
def test_bad_launches_are_one_line_errors(tmp_path, env, args, message):
    clean = {k: v for k, v in os.environ.items() if k not in LAUNCH_VARIABLES}
    r = subprocess.run([GLASS, *args, "-o", str(tmp_path / "bad")], env={**clean, **env}, capture_output=True,
                       text=True, timeout=120)
    assert r.returncode != 0
    assert message in r.stderr, r.stderr
    assert len(r.stderr.strip().splitlines()) == 1, r.stderr
    assert outputs(tmp_path / "bad") == []
