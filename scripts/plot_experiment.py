#!/usr/bin/env python3
"""Draws the plots a `glass experiment` run names in its summary.json, from its results.csv.

Each plot: lines of y against x, one per value of the series column, one panel per value of the
facet column, error bars from the low/high columns, rows filtered by `where`. Categorical x
values (e.g. rho = ddpm) are placed in their order of appearance. Each PNG is written under a
temporary name and renamed, so a failed plot leaves no half-written file.
usage: plot_experiment.py RUN_DIR
"""
import csv
import json
import math
import os
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402


COLOURS = [f"C{i}" for i in range(10)]
MARKERS = ["o", "s", "^"]


def number(text):
    try:
        return float(text)
    except (TypeError, ValueError):
        return None


def matches(row, where):
    for key, want in where.items():
        have = row.get(key)
        if number(have) is not None and isinstance(want, (int, float)):
            if abs(number(have) - want) > 1e-9:
                return False
        elif str(have) != str(want):
            return False
    return True


def draw(spec, rows, out_dir):
    rows = [r for r in rows if matches(r, spec.get("where", {})) and number(r.get(spec["y"])) is not None]
    if not rows:
        raise ValueError(f"{spec['file']}: no rows with a value of {spec['y']}")
    facet = spec.get("facet") or ""
    facets = list(dict.fromkeys(r[facet] for r in rows)) if facet else [""]
    categorical = any(number(r[spec["x"]]) is None for r in rows)
    categories = list(dict.fromkeys(r[spec["x"]] for r in rows))
    fig, axes = plt.subplots(1, len(facets), figsize=(4.6 * len(facets) + 1.2, 4.0), squeeze=False, sharey=True)
    for ax, fv in zip(axes[0], facets):
        subset = [r for r in rows if not facet or r[facet] == fv]
        series = spec.get("series") or ""
        names = list(dict.fromkeys(r[series] for r in subset)) if series else [spec["y"]]
        for index, name in enumerate(names):
            line = [r for r in subset if not series or r[series] == name]
            xs = [categories.index(r[spec["x"]]) if categorical else number(r[spec["x"]]) for r in line]
            order = sorted(range(len(line)), key=lambda i: xs[i])
            x = [xs[i] for i in order]
            y = [number(line[i][spec["y"]]) for i in order]
            err = None
            if spec.get("y_low") and spec.get("y_high"):
                lo = [number(line[i].get(spec["y_low"])) for i in order]
                hi = [number(line[i].get(spec["y_high"])) for i in order]
                if all(v is not None for v in lo + hi):
                    err = [[max(0.0, yy - l) for yy, l in zip(y, lo)], [max(0.0, h - yy) for yy, h in zip(y, hi)]]
            # Ten colours, then the same colours dashed with other markers: every series stays distinct.
            ax.errorbar(x, y, yerr=err, color=COLOURS[index % len(COLOURS)], marker=MARKERS[index // len(COLOURS) % 3],
                        linestyle="-" if index < len(COLOURS) else "--", markersize=4, capsize=3, linewidth=1.5,
                        label=str(name))
        if categorical:
            ax.set_xticks(range(len(categories)))
            ax.set_xticklabels(categories)
        elif spec.get("log_x"):
            ax.set_xscale("log")
            ticks = sorted({number(r[spec["x"]]) for r in subset})
            if len(ticks) > 10:  # many nearby values (calls a run spent): powers of two, labelled once
                ticks = [2.0**k for k in range(math.floor(math.log2(ticks[0])), math.ceil(math.log2(ticks[-1])) + 1)]
            ax.set_xticks(ticks)
            ax.set_xticklabels([f"{t:g}" for t in ticks])
            ax.minorticks_off()
        if spec.get("log_y"):
            ax.set_yscale("log")
        ax.set_xlabel(spec.get("xlabel") or spec["x"])
        if facet:
            ax.set_title(f"{facet} = {fv}")
        ax.grid(True, alpha=0.3, which="both")
    axes[0][0].set_ylabel(spec.get("ylabel") or spec["y"])
    handles, labels = axes[0][0].get_legend_handles_labels()
    for ax in axes[0][1:]:
        h, l = ax.get_legend_handles_labels()
        for hh, ll in zip(h, l):
            if ll not in labels:
                handles.append(hh)
                labels.append(ll)
    fig.legend(handles, labels, loc="center left", bbox_to_anchor=(1.0, 0.5), fontsize=8, frameon=False)
    fig.suptitle(spec.get("title", ""), fontsize=11)
    fig.tight_layout()
    path = os.path.join(out_dir, spec["file"])
    tmp = path + ".tmp.png"
    fig.savefig(tmp, dpi=110, bbox_inches="tight")
    plt.close(fig)
    os.replace(tmp, path)


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: plot_experiment.py RUN_DIR")
    run_dir = sys.argv[1]
    with open(os.path.join(run_dir, "summary.json")) as f:
        summary = json.load(f)
    with open(os.path.join(run_dir, "results.csv"), newline="") as f:
        rows = list(csv.DictReader(f))
    for spec in summary.get("plots", []):
        try:
            draw(spec, rows, run_dir)
        except Exception as e:  # one line naming the plot, then a non-zero exit
            sys.exit(f"plot_experiment: {spec.get('file', '?')}: {e}")


if __name__ == "__main__":
    main()
