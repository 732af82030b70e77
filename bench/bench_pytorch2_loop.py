"""A PyTorch 2 user's own sampling loop against glass on the same network (tests/python/dit.py's DiT).

The loop is the simplest one a user writes: K Euler steps x <- x + dt * net(x, t) from noise,
run (1) eagerly, (2) with torch.compile(net), and (3) as glass.sample with the ODE kernel's Euler
method on the network exported as TorchScript (.pt) and (4) as an AOTInductor package (.pt2).
All four make K network calls of the whole batch; the figure is milliseconds per call (median of
--rounds timed runs after a warm-up), so glass's own overhead shows as the difference. Also: the
.pt2 and .pt per call alone (glass's Model.velocity).

--device and --dtype put the network there and in that precision, everywhere alike: the user's
loop runs its state in the network's dtype (as a bf16 pipeline does); glass keeps its particles in
float32 and casts at the model boundary (docs/devices.md). On CUDA every timing synchronises.

usage: bench_pytorch2_loop.py [--batches 1,4,16,64,256] [--steps 10] [--rounds 5] [--threads 2]
       [--size 16 --channels 4 --width 128 --depth 4] [--device cpu|cuda] [--dtype float32|bfloat16]
       (PYTHONPATH=build/python, the venv's python)
"""
import argparse
import json
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path

import torch

import glass

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "python"))
import dit  # noqa: E402


def synchronize():
    if torch.cuda.is_available():
        torch.cuda.synchronize()


def median_ms(run, rounds, calls):
    run()  # warm-up (and torch.compile's compilation)
    times = []
    for _ in range(rounds):
        synchronize()
        start = time.perf_counter()
        run()
        synchronize()
        times.append(time.perf_counter() - start)
    return 1000.0 * statistics.median(times) / calls


def user_loop(net, x0, steps):
    def run():
        with torch.no_grad():
            x = x0.clone()
            for k in range(steps):
                t = torch.full((x.shape[0],), k / steps, device=x.device, dtype=x.dtype)
                x = x + net(x, t) / steps
        return x
    return run


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--batches", default="1,4,16,64,256")
    p.add_argument("--steps", type=int, default=10)
    p.add_argument("--rounds", type=int, default=5)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--size", type=int, default=16)
    p.add_argument("--channels", type=int, default=4)
    p.add_argument("--width", type=int, default=128)
    p.add_argument("--depth", type=int, default=4)
    p.add_argument("--device", default="cpu")
    p.add_argument("--dtype", default="float32", choices=["float32", "bfloat16", "float16"])
    a = p.parse_args()
    device, dtype = torch.device(a.device), getattr(torch, a.dtype)
    torch.set_num_threads(a.threads)
    glass.set_threads(a.threads)
    torch.manual_seed(0)
    net = dit.DiT(channels=a.channels, size=a.size, width=a.width, depth=a.depth, heads=4).eval().to(device, dtype)
    shape = [a.channels, a.size, a.size]
    out = Path(tempfile.mkdtemp(prefix="bench-pytorch2-"))
    example = (torch.randn(4, *shape, device=device, dtype=dtype), torch.rand(4, device=device, dtype=dtype))
    dit.export(net, example, out / "dit",
               {"prediction": "velocity", "time": "t", "schedule": "condot", "sample_shape": shape})
    compiled = torch.compile(net)
    models = {name: glass.load_model(str(out / f"dit.{name}"), device=a.device, dtype=dtype) for name in ("pt", "pt2")}
    rows = []
    for batch in [int(b) for b in a.batches.split(",")]:
        x0 = torch.randn(batch, *shape, device=device)
        row = {"batch": batch,
               "eager_loop": median_ms(user_loop(net, x0.to(dtype), a.steps), a.rounds, a.steps),
               "compiled_loop": median_ms(user_loop(compiled, x0.to(dtype), a.steps), a.rounds, a.steps)}
        for name, model in models.items():
            kernel = glass.Kernel(model, "ode", ode_method="euler")
            row[f"glass_{name}"] = median_ms(
                lambda: glass.sample(kernel, x0=x0, steps=a.steps, generator=glass.Generator(0)), a.rounds, a.steps)
            t = torch.full((batch,), 0.5, dtype=torch.float64, device=device)
            row[f"call_{name}"] = median_ms(lambda: [model.velocity(x0, t) for _ in range(a.steps)], a.rounds, a.steps)
        rows.append(row)
        print(json.dumps({k: round(v, 3) if isinstance(v, float) else v for k, v in row.items()}), flush=True)
    card = torch.cuda.get_device_name(device) if device.type == "cuda" else platform.processor() or platform.machine()
    print(json.dumps({"machine": card, "threads": a.threads, "device": a.device, "dtype": a.dtype,
                      "torch": torch.__version__, "dit": vars(a)}))


if __name__ == "__main__":
    main()
