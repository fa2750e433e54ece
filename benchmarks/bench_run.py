"""Benchmark: the whole catalogue at the ``ci`` profile against ``model`` and ``moto`` (in-process).

Goal (issue): moto under 60 s and model under 15 s on a 2-core machine. Prints, per target, the
median wall time over ``--repeat`` runs, examples per second and the median CPU time of this
process (a figure that does not depend on what else the machine is doing; with ``--workers`` > 1
the workers' CPU is not counted), plus the verdict counts of the last run. Nothing is written to
the working directory (reports go to a temporary directory).

    python benchmarks/bench_run.py [--targets model,moto] [--repeat 3] [--profile ci] [--workers 1]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Sequence
from pathlib import Path


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--targets", default="model,moto")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--profile", default="ci")
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--rules", default="", help="comma-separated ids or prefixes (default: all)")
    args = parser.parse_args(argv)
    for var, value in (("AWS_ACCESS_KEY_ID", "testing"), ("AWS_SECRET_ACCESS_KEY", "testing"),
                       ("AWS_DEFAULT_REGION", "us-east-1")):
        os.environ.setdefault(var, value)

    from kms_conformance.rules import catalogue
    from kms_conformance.runner import RunOptions, run
    from kms_conformance.targets import TargetConfig

    rules = catalogue()
    print(f"catalogue: {len(rules)} rules ({sum(r.behavior is not None for r in rules)} with a scenario); "
          f"profile {args.profile}, workers {args.workers}, {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}")
    with tempfile.TemporaryDirectory() as tmp:
        for name in [t for t in args.targets.split(",") if t]:
            times: list[float] = []
            cpu: list[float] = []
            examples = 0
            counts: Counter[str] = Counter()
            for i in range(args.repeat):
                options = RunOptions(target=TargetConfig(name=name, run_id=f"bench{i}"), profile=args.profile,
                                     seed=args.seed, report_dir=Path(tmp),
                                     rules=tuple(r for r in args.rules.split(",") if r), workers=args.workers)
                started, cpu_started = time.perf_counter(), time.process_time()
                report = run(options)
                times.append(time.perf_counter() - started)
                cpu.append(time.process_time() - cpu_started)
                examples = sum(r.examples for r in report.results)
                counts = Counter(r.verdict.value for r in report.results)
            median = statistics.median(times)
            slowest = sorted(report.results, key=lambda r: r.duration, reverse=True)[:3]
            print(f"{name:<6} median {median:6.2f}s over {len(times)} run(s) "
                  f"[{', '.join(f'{t:.2f}' for t in times)}]; {examples} examples, "
                  f"{examples / median if median else 0:.0f} examples/s; CPU median {statistics.median(cpu):.2f}s; "
                  f"{dict(sorted(counts.items()))}")
            print("       slowest: " + ", ".join(f"{r.rule_id} {r.duration:.2f}s" for r in slowest))
    return 0


if __name__ == "__main__":
    sys.exit(main())
