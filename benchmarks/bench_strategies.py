"""Benchmark of the kit's Hypothesis strategies: examples drawn per second, with the builders' objects
reused (``kms_conformance.strategies.reuse``, the default) and with nothing kept (every builder call
makes new objects, which Hypothesis validates again: how the strategies behaved before reuse).

Each round draws the same seeded examples of every strategy below under both settings, alternating
which goes first; the MEDIAN of the rounds' rates and of their ratios is printed (the machine is
shared: never trust one timing). The two settings draw identical examples (checked every round).

    python -m benchmarks strategies [-- --examples 100 --rounds 5]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable
from typing import Any

from hypothesis import HealthCheck, Phase, given, seed, settings
from hypothesis.strategies import SearchStrategy
from kms_conformance.engine.isolation import isolated
from kms_conformance.strategies import grants, reuse
from kms_conformance.strategies.policies import condition_blocks, identity_policies, key_policies

from benchmarks import ratio_summary

#: What a user's property test or the kit's rules draw most: name -> the strategy, built per call.
STRATEGIES: dict[str, Callable[[], SearchStrategy[Any]]] = {
    "key_policies()": key_policies,
    "key_policies(account)": lambda: key_policies(account="111122223333"),
    "identity_policies()": identity_policies,
    "condition_blocks()": condition_blocks,
    "grants()": grants,
}


def draw(strategy: SearchStrategy[Any], examples: int) -> list[Any]:
    """``examples`` seeded examples of ``strategy`` (generation only, as a property test's first phase)."""
    found: list[Any] = []

    @seed(0)
    @settings(max_examples=examples, database=None, deadline=None, phases=[Phase.generate], derandomize=True,
              suppress_health_check=list(HealthCheck))
    @given(strategy)
    def collect(value: Any) -> None:
        found.append(value)

    with isolated():
        collect()
    return found


def one(make: Callable[[], SearchStrategy[Any]], examples: int, kept: int) -> tuple[float, list[Any]]:
    """Examples per second drawing from a strategy built with ``reuse.KEPT = kept``, and the examples."""
    saved = reuse.KEPT
    reuse.KEPT = kept
    try:
        start = time.perf_counter()
        values = draw(make(), examples)
        return len(values) / (time.perf_counter() - start), values
    finally:
        reuse.KEPT = saved


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="bench_strategies")
    parser.add_argument("--examples", type=int, default=100)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args(argv)
    for make in STRATEGIES.values():  # warm: imports, Hypothesis's Unicode tables, the first validation
        one(make, 5, reuse.KEPT)
    print(f"{args.examples} examples per strategy and round, {args.rounds} rounds, seed 0")
    for name, make in STRATEGIES.items():
        reused: list[float] = []
        fresh: list[float] = []
        for n in range(args.rounds):
            order = ((reuse.KEPT, reused), (0, fresh)) if n % 2 == 0 else ((0, fresh), (reuse.KEPT, reused))
            drawn = []
            for kept, rates in order:
                rate, values = one(make, args.examples, kept)
                rates.append(rate)
                drawn.append(values)
            if drawn[0] != drawn[1]:
                print(f"{name}: reused and fresh objects drew different examples", file=sys.stderr)
                return 1
        print(f"{name:24s} reused {statistics.median(reused):8,.0f} examples/s, "
              f"fresh {statistics.median(fresh):8,.0f}: {ratio_summary(reused, fresh)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
