#!/usr/bin/env python3
"""Draws a chart from BenchmarkDotNet's CSV report (or the interleaved benchmark's CSV, which uses
the same column names): one bar per benchmark, its ratio to the category's inline-assembly
baseline, grouped by category. Standard library only.

usage: python3 docs/scripts/benchmark_chart.py XSave.Benchmarks/BenchmarkDotNet.Artifacts/results/XSave.Benchmarks.PairBenchmarks-report.csv docs/benchmarks.svg
       python3 docs/scripts/benchmark_chart.py interleaved.csv docs/benchmarks-interleaved.svg
"""
import csv
import sys
from html import escape


def parse_ns(text):
    value, _, unit = text.strip().replace(",", "").partition(" ")
    scale = {"ns": 1.0, "us": 1e3, "μs": 1e3, "ms": 1e6}.get(unit, 1.0)
    return float(value) * scale


def main(source, target):
    with open(source, newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    groups = {}
    for row in rows:
        groups.setdefault(row["Categories"], []).append((row["Method"], parse_ns(row["Mean"]), float(row["Ratio"])))

    bar, gap, left, width = 22, 14, 250, 430
    height = 40 + sum(len(items) * bar + gap + 20 for items in groups.values())
    scale = width / max(2.0, max(r for items in groups.values() for _, _, r in items))
    svg = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{left + width + 120}" height="{height}" font-family="sans-serif" font-size="12">',
           '<text x="10" y="20" font-size="14" font-weight="bold">Time per pair, relative to a gcc inline-assembly loop (1.00 = physical limit)</text>']
    y = 40
    for category, items in groups.items():
        svg.append(f'<text x="10" y="{y + 12}" font-weight="bold">{escape(category)}</text>')
        y += 20
        for method, mean, ratio in items:
            colour = "#4e79a7" if "inlineasm" in method.lower().replace(" ", "") else "#59a14f" if ratio <= 1.05 else "#f28e2b"
            svg.append(f'<text x="{left - 8}" y="{y + 15}" text-anchor="end">{escape(method)}</text>')
            svg.append(f'<rect x="{left}" y="{y + 2}" width="{ratio * scale:.1f}" height="{bar - 6}" fill="{colour}"/>')
            svg.append(f'<text x="{left + ratio * scale + 6:.1f}" y="{y + 15}">{ratio:.2f}x  ({mean:.0f} ns)</text>')
            y += bar
        y += gap
    svg.append(f'<line x1="{left + scale:.1f}" y1="30" x2="{left + scale:.1f}" y2="{height - 5}" stroke="#999" stroke-dasharray="4 3"/>')
    svg.append("</svg>")
    with open(target, "w", encoding="utf-8") as handle:
        handle.write("\n".join(svg) + "\n")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
