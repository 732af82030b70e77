"""scripts/merge_experiment.py: a later run's rows replace the earlier run's with the same key, new
keys are appended, the plots are redrawn, and runs of different experiments are refused with
nothing written."""
import csv
import json
import pathlib
import subprocess
import sys

import pytest

SCRIPT = pathlib.Path(__file__).resolve().parents[2] / "scripts" / "merge_experiment.py"
COLUMNS = ["budget", "class", "method", "share"]


def write_run(folder, rows, experiment="sweep", seeds=(0, 1)):
    folder.mkdir()
    with open(folder / "results.csv", "w", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(COLUMNS)
        w.writerows([[r[c] for c in COLUMNS] for r in rows])
    plot = {"file": "share.png", "title": "share", "x": "budget", "y": "share", "series": "method", "facet": "",
            "y_low": "", "y_high": "", "xlabel": "", "ylabel": "", "log_x": True, "log_y": False, "where": {}}
    summary = {"experiment": experiment, "seeds": list(seeds), "quick": False, "columns": COLUMNS, "rows": rows,
               "command": f"glass experiment {experiment} -o {folder}", "date": "2026-12-07T00:00:00Z",
               "setup": {"skipped": [f"skipped in {folder.name}"]}, "plots": [plot]}
    (folder / "summary.json").write_text(json.dumps(summary))
    return folder


def merge(out, *runs):
    return subprocess.run([sys.executable, str(SCRIPT), str(out), *map(str, runs)], capture_output=True, text=True)


def test_later_rows_replace_and_new_ones_append(tmp_path):
    pytest.importorskip("matplotlib")
    a = write_run(tmp_path / "a", [{"budget": 8, "class": 3, "method": "x", "share": 0.1},
                                   {"budget": 16, "class": 3, "method": "x", "share": 0.2}])
    b = write_run(tmp_path / "b", [{"budget": 16, "class": 3, "method": "x", "share": 0.25},
                                   {"budget": 8, "class": 3, "method": "y", "share": 0.3}])
    out = tmp_path / "merged"
    r = merge(out, a, b)
    assert r.returncode == 0, r.stderr
    with open(out / "results.csv", newline="") as f:
        rows = list(csv.DictReader(f))
    assert [(r["budget"], r["method"], r["share"]) for r in rows] == [("8", "x", "0.1"), ("16", "x", "0.25"),
                                                                     ("8", "y", "0.3")]
    summary = json.loads((out / "summary.json").read_text())
    assert [row["share"] for row in summary["rows"]] == [0.1, 0.25, 0.3]
    assert len(summary["runs"]) == 2 and summary["setup"]["skipped"] == ["skipped in a", "skipped in b"]
    assert (out / "share.png").stat().st_size > 0


def test_runs_of_another_experiment_are_refused(tmp_path):
    a = write_run(tmp_path / "a", [{"budget": 8, "class": 3, "method": "x", "share": 0.1}])
    b = write_run(tmp_path / "b", [{"budget": 8, "class": 3, "method": "x", "share": 0.2}], seeds=(0,))
    out = tmp_path / "merged"
    r = merge(out, a, b)
    assert r.returncode != 0 and "seeds" in r.stderr
    assert not out.exists()
