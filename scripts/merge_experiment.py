#!/usr/bin/env python3
"""Merges runs of one `glass experiment` into one folder and redraws its plots.

A long experiment (the sweep: 1-2 hours) can be extended by running only new methods
(`glass experiment sweep --methods NAME ...`) and merging their rows into the earlier run. Rows
are matched on the key columns: a later run's row replaces an earlier one with the same key, new
keys are appended. The runs must be of the same experiment with the same seeds; the summary keeps
every run's command and date, and the union of their skipped cells.
usage: /usr/bin/python3 scripts/merge_experiment.py OUT_DIR RUN_DIR [RUN_DIR ...] [--key COLUMNS]
(a python3 with matplotlib, as `glass experiment` uses: Debian's)
"""
import argparse
import csv
import io
import json
import os
import shutil
import subprocess
import sys


def load(run_dir):
    """The run's summary, with its results.csv rows as written (strings) beside the JSON rows."""
    with open(os.path.join(run_dir, "summary.json")) as f:
        summary = json.load(f)
    with open(os.path.join(run_dir, "results.csv"), newline="") as f:
        summary["csv_rows"] = list(csv.DictReader(f))
    if len(summary["csv_rows"]) != len(summary["rows"]):
        sys.exit(f"merge_experiment: {run_dir}: results.csv and summary.json hold different rows")
    return summary


def write(path, text):
    with open(path, "w") as f:
        f.write(text)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out")
    parser.add_argument("runs", nargs="+")
    parser.add_argument("--key", default="budget,class,method", help="columns that name a row")
    args = parser.parse_args()
    key_columns = args.key.split(",")
    summaries = [load(r) for r in args.runs]
    first = summaries[0]
    for run, s in zip(args.runs, summaries):
        for field in ("experiment", "seeds", "columns", "quick"):
            if s.get(field) != first.get(field):
                sys.exit(f"merge_experiment: {run} differs from {args.runs[0]} in '{field}'")
        missing = [k for k in key_columns if k not in s["columns"]]
        if missing:
            sys.exit(f"merge_experiment: {run} has no key column {missing[0]}")
    rows, order = {}, []
    for s in summaries:
        for text, row in zip(s.pop("csv_rows"), s["rows"]):
            key = tuple(text[k] for k in key_columns)
            if key not in rows:
                order.append(key)
            rows[key] = (text, row)
    merged = dict(first)
    merged["rows"] = [rows[k][1] for k in order]
    merged["runs"] = [{"command": s["command"], "date": s["date"], "wall_seconds": s.get("wall_seconds"),
                       "machine": s.get("machine")} for s in summaries]
    skipped = []
    for s in summaries:
        for item in s.get("setup", {}).get("skipped", []):
            if item not in skipped:
                skipped.append(item)
    merged["setup"] = dict(first.get("setup", {}), skipped=skipped)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(first["columns"])
    for k in order:
        writer.writerow([rows[k][0][c] for c in first["columns"]])
    # Everything is made in a staging folder and moved in once the plots are drawn.
    staging = os.path.join(args.out, f".staging-{os.getpid()}")
    os.makedirs(staging)
    try:
        write(os.path.join(staging, "results.csv"), out.getvalue())
        write(os.path.join(staging, "summary.json"), json.dumps(merged, indent=2) + "\n")
        plotter = os.path.join(os.path.dirname(os.path.abspath(__file__)), "plot_experiment.py")
        if subprocess.run([sys.executable, plotter, staging]).returncode != 0:
            sys.exit("merge_experiment: the plots failed (their message is above; matplotlib: Debian's python3)")
        for name in os.listdir(staging):
            os.replace(os.path.join(staging, name), os.path.join(args.out, name))
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    print(f"{len(merged['rows'])} rows from {len(args.runs)} runs: {args.out}")


if __name__ == "__main__":
    main()
