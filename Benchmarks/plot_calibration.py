#!/usr/bin/env python3
"""Reliability plot of the click calibration that `funnel compare rankers --json FILE` writes:
mean predicted click rate against the observed rate per decile of prediction, one line per
model, with each model's expected calibration error in the legend.

    python3 Benchmarks/plot_calibration.py rankers.json Benchmarks/results/calibration.png

Needs matplotlib (pip install matplotlib).
"""
import json
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt


def main(source, target):
    with open(source) as f:
        results = json.load(f)
    figure, axes = plt.subplots(figsize=(6, 6))
    highest = 0.0
    for entry in results["calibration"]:
        bins = entry["calibration"]["bins"]
        predicted = [b["predicted"] for b in bins]
        observed = [b["observed"] for b in bins]
        highest = max(highest, *predicted, *observed)
        ece = entry["calibration"]["expectedError"]
        axes.plot(predicted, observed, marker="o", label=f"{entry['model']} (ECE {ece:.4f})")
    axes.plot([0, highest], [0, highest], color="grey", linestyle="--", label="perfect calibration")
    axes.set_xlabel("mean predicted click probability (decile)")
    axes.set_ylabel("observed click rate")
    axes.set_title(f"Click calibration, {results['validation']} validation exposures")
    axes.legend(fontsize=8)
    figure.tight_layout()
    figure.savefig(target, dpi=120)
    print(f"wrote {target}")


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit("usage: plot_calibration.py RESULTS.json OUT.png")
    main(sys.argv[1], sys.argv[2])
