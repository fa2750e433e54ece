"""Benchmarks of the kit: `python -m benchmarks [evaluator|kms|run ...]` (see README, "Benchmarks")."""

from __future__ import annotations

import statistics
from collections.abc import Sequence


def paired_ratios(numerators: Sequence[float], denominators: Sequence[float]) -> list[float]:
    """The ratio of each pair of measurements taken side by side (the same round or repeat),
    sorted: on this shared machine the speed drifts between rounds more than within one, so the
    benchmarks compare pairs, not the medians of each side."""
    return sorted(a / b for a, b in zip(numerators, denominators, strict=True))


def ratio_summary(numerators: Sequence[float], denominators: Sequence[float], what: str = "rounds") -> str:
    """``1.23x (rounds 1.10-1.40x)``: the median of :func:`paired_ratios` and their range."""
    ratios = paired_ratios(numerators, denominators)
    return f"{statistics.median(ratios):.2f}x ({what} {ratios[0]:.2f}-{ratios[-1]:.2f}x)"
