"""Run the kit's benchmarks: ``python -m benchmarks`` (all but those that run only when named, such as
``suite``) or ``python -m benchmarks evaluator kms run``.

Each benchmark is a module ``benchmarks/bench_<name>.py`` with ``main(argv) -> int`` that prints
medians over repeated measurements (the machine is shared and noisy: never a single timing, never a
timed test). Arguments after ``--`` go to every selected benchmark.
"""

from __future__ import annotations

import importlib
import pkgutil
import sys
from pathlib import Path


def available() -> list[str]:
    """Names of the benchmarks in this folder, in alphabetical order."""
    here = Path(__file__).parent
    return sorted(m.name[len("bench_"):] for m in pkgutil.iter_modules([str(here)]) if m.name.startswith("bench_"))


def only_when_named(name: str) -> bool:
    """Whether benchmark ``name`` runs only when named (its module sets ``ONLY_WHEN_NAMED``)."""
    return bool(getattr(importlib.import_module(f"benchmarks.bench_{name}"), "ONLY_WHEN_NAMED", False))


def main(argv: list[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    extra: list[str] = []
    if "--" in args:
        cut = args.index("--")
        args, extra = args[:cut], args[cut + 1:]
    names = available()
    wanted = args or [n for n in names if not only_when_named(n)]
    unknown = [w for w in wanted if w not in names]
    if unknown:
        print(f"unknown benchmark(s): {', '.join(unknown)}; available: {', '.join(names)}", file=sys.stderr)
        return 2
    status = 0
    for name in wanted:
        print(f"== {name} ==", flush=True)
        module = importlib.import_module(f"benchmarks.bench_{name}")
        status = max(status, int(module.main(extra) or 0))
    return status


if __name__ == "__main__":
    sys.exit(main())
