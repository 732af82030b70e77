#!/usr/bin/env python3
"""Mutation testing of the library's math: applies each single-line mutation of tests/mutations.txt
to the working tree, one at a time, rebuilds what it touches in an existing build, runs the tests
that must catch it, restores the file, and lists the mutations that survived (their tests passed).
A tool to run before a release, not in CI: each mutation costs an incremental rebuild (one library
file, then the test binary's link) and its tests, 12-53 s on 2 cores; the whole list (47) about
20 minutes (docs/benchmarks.md records the run).

usage: scripts/mutate.py [--build build] [--only 3,7] [--list] [--check]
--check only verifies that each mutation's old text occurs exactly once in its file (ctest runs it,
so an edit that moves a mutated line makes the list fail at once instead of silently).
A mutation whose build fails is reported BROKEN, not caught: fix its text.
The working tree's mutated files must be unmodified in git (the tool restores them from its copy).
"""
import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BINARIES = {
    "unit": "glass_unit_tests",
    "statistical": "glass_statistical_tests",
    "model": "glass_model_tests",
    "cli": "glass_cli_tests",  # builds the glass command too (its dependency)
}


def read_mutations(path):
    mutations, block = [], {}
    for line in list(path.read_text().splitlines()) + [""]:
        if line.startswith("#"):
            continue
        if not line.strip():
            if block:
                missing = {"file", "old", "new", "catch"} - block.keys()
                if missing:
                    sys.exit(f"mutate: {path}: a block lacks {sorted(missing)}: {block}")
                mutations.append(block)
                block = {}
            continue
        key, _, value = line.partition(": ")
        block[key.strip()] = value
    return mutations


def run(cmd, timeout, env=None):
    try:
        return subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=timeout, env=env).returncode
    except subprocess.TimeoutExpired:
        return 124


def caught(m, build):
    kind, _, target = m["catch"].partition(" ")
    if kind == "python":
        if run(["cmake", "--build", str(build), "--target", "glass_python", "glass_cli", "-j2"], 1800) != 0:
            return False, "BROKEN"
        python = next(line.split("=", 1)[1] for line in (build / "CMakeCache.txt").read_text().splitlines()
                      if line.startswith("GLASS_PYTHON:"))
        env = dict(os.environ, PYTHONPATH=str(build / "python"), GLASS_CLI=str(build / "glass"), OMP_NUM_THREADS="2")
        code = run([python, "-m", "pytest", "-q", "-x", "-p", "no:cacheprovider", target], 1800, env)
    else:
        binary = BINARIES[kind]
        if run(["cmake", "--build", str(build), "--target", binary, "-j2"], 1800) != 0:
            return False, "BROKEN"
        code = run([str(build / "tests" / binary), f"--gtest_filter={target}"], 1800)
    return code != 0, "caught" if code != 0 else "SURVIVED"


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--build", default="build")
    p.add_argument("--only", default="", help="comma-separated 1-based indices")
    p.add_argument("--list", action="store_true")
    p.add_argument("--check", action="store_true")
    a = p.parse_args()
    mutations = read_mutations(ROOT / "tests" / "mutations.txt")
    chosen = [int(i) for i in a.only.split(",") if i] or list(range(1, len(mutations) + 1))
    stale = [f"{i} ({mutations[i - 1]['file']}: {(ROOT / mutations[i - 1]['file']).read_text().count(mutations[i - 1]['old'])}x)"
             for i in chosen if (ROOT / mutations[i - 1]["file"]).read_text().count(mutations[i - 1]["old"]) != 1]
    if stale:
        sys.exit(f"mutate: the old text of mutation {', '.join(stale)} must occur exactly once")
    if a.check:
        print(f"mutate: all {len(chosen)} mutations apply")
        return
    if a.list:
        for i in chosen:
            m = mutations[i - 1]
            print(f"{i:3d} {m['file']}: {m['old']!r} -> {m['new']!r}  [{m['catch']}]")
        return
    build = (ROOT / a.build).resolve()
    survivors = []
    for i in chosen:
        m = mutations[i - 1]
        path = ROOT / m["file"]
        original = path.read_text()
        start = time.time()
        try:
            path.write_text(original.replace(m["old"], m["new"]))
            hit, verdict = caught(m, build)
        finally:
            path.write_text(original)
        print(f"{i:3d} {verdict:9s} {time.time() - start:6.0f} s  {m['file']}: {m['new']}", flush=True)
        if not hit:
            survivors.append(i)
    # Rebuild the restored sources, so the build is what the tree says again.
    run(["cmake", "--build", str(build), "-j2"], 3600)
    print(f"mutate: {len(chosen) - len(survivors)} of {len(chosen)} caught; survivors or broken: {survivors or 'none'}")
    sys.exit(1 if survivors else 0)


if __name__ == "__main__":
    main()
