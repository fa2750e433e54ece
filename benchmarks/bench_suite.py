"""Benchmark of the kit's own test suite: this working tree against another commit, side by side.

The suite's time is what a contributor waits for and what CI spends; on a shared machine its absolute
time moves by a third from one hour to the next, so a change is measured against a base in the same
minutes. Each side is a copy (the base from ``git archive REF``; this side from the working tree's
files, uncommitted changes included) laid out as the installed package (``pkgs/kms_conformance``,
``pkgs/kms_conformance/strategies``) and run from its own folder with that folder on ``PYTHONPATH``,
with the README's test command (``pytest -n 2 --dist loadgroup -q``, ``CI=true``). The rounds alternate
which side goes first; per round the wall time and the CPU of the run (its processes, children
included) are printed, then the medians and the median of the per-round ratios (this side / base).

    python -m benchmarks suite -- --against b98ab24 --rounds 3
    python -m benchmarks suite -- --against HEAD~1 --rounds 1 --pytest-args "tests/test_arns.py"

``KMS_CONFORMANCE_DOCS`` must name the source pages (as for the suite; a relative folder is taken from
where the benchmark starts). Both copies share the repository's ``.hypothesis/`` contents (its Unicode
tables: not rebuilt in every copy). A test that replaces ``PYTHONPATH`` for a process it starts runs the
installed kit there, not the copy's. Not part of ``python -m benchmarks`` without names: it takes
minutes per round.
"""

from __future__ import annotations

import argparse
import os
import re
import resource
import shlex
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from benchmarks import paired_ratios

ROOT = Path(__file__).resolve().parents[1]
#: The README's test command, after ``python -m``.
SUITE_COMMAND = ("pytest", "-n", "2", "--dist", "loadgroup", "-q", "-p", "no:cacheprovider")
#: Runs only when named (``python -m benchmarks suite``): see the module docstring.
ONLY_WHEN_NAMED = True


@dataclass(frozen=True)
class Timing:
    """One run of the suite: wall seconds, CPU seconds (user + system, children included), its last line."""

    wall: float
    cpu: float
    summary: str
    status: int
    failures: tuple[str, ...] = ()


def layout(source: Path, into: Path) -> Path:
    """``into`` with the repository's files of ``source`` plus ``pkgs/`` laid out as the installed package;
    returns ``into``."""
    shutil.copytree(source / "conformance", into / "pkgs" / "kms_conformance")
    shutil.copytree(source / "strategies", into / "pkgs" / "kms_conformance" / "strategies")
    hypothesis = ROOT / ".hypothesis"
    if hypothesis.is_dir() and not (into / ".hypothesis").exists():
        shutil.copytree(hypothesis, into / ".hypothesis")
    return into


def checkout(ref: str, into: Path) -> Path:
    """The files of commit ``ref`` in ``into`` (``git archive``), laid out by :func:`layout`."""
    into.mkdir(parents=True)
    archive = subprocess.run(["git", "-C", str(ROOT), "archive", ref], capture_output=True, check=False)
    if archive.returncode != 0:
        raise SystemExit(f"bench_suite: git archive {ref} failed: {archive.stderr.decode(errors='replace').strip()}")
    subprocess.run(["tar", "-x", "-C", str(into)], input=archive.stdout, check=True)
    return layout(into, into)


def working_tree(into: Path) -> Path:
    """The working tree's files (tracked and untracked, not ignored) in ``into``, laid out by :func:`layout`."""
    listed = subprocess.run(["git", "-C", str(ROOT), "ls-files", "-co", "--exclude-standard", "-z"],
                            capture_output=True, check=True).stdout.decode().split("\0")
    for name in filter(None, listed):
        source = ROOT / name
        if source.is_file():
            target = into / name
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target)
    return layout(into, into)


def run_suite(folder: Path, pytest_args: list[str], docs: Path) -> Timing:
    """The suite of ``folder``, run as the README runs it, with ``folder/pkgs`` first on ``PYTHONPATH`` and
    the source pages at ``docs`` (absolute: the run starts in ``folder``)."""
    env = dict(os.environ, CI="true", PYTHONPATH=str(folder / "pkgs"), KMS_CONFORMANCE_DOCS=str(docs))
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", *SUITE_COMMAND, *pytest_args], cwd=folder, env=env,
                          capture_output=True, text=True, check=False)
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    lines = [line for line in done.stdout.splitlines() if line.strip()]
    summary = re.sub(r"\s+", " ", lines[-1].strip("= ")) if lines else f"(no output; stderr: {done.stderr[-300:]})"
    failures = tuple(line for line in lines if line.startswith(("FAILED ", "ERROR ")))
    return Timing(wall, cpu, summary, done.returncode, failures)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks suite", description=__doc__.split("\n\n")[0])
    parser.add_argument("--against", required=True, metavar="REF", help="the base commit (git ref)")
    parser.add_argument("--rounds", type=int, default=3, help="base/this pairs (default 3)")
    parser.add_argument("--pytest-args", default="", metavar="ARGS",
                        help="more arguments for pytest, one shell-quoted string (a selection, -x ...)")
    args = parser.parse_args(argv)
    if args.rounds < 1:
        parser.error("--rounds must be 1 or more")
    if not os.environ.get("KMS_CONFORMANCE_DOCS"):
        print("bench_suite: set KMS_CONFORMANCE_DOCS to the source pages' folder, as for the suite", file=sys.stderr)
        return 2
    # a relative folder names the pages from where the benchmark started, not from each copy's folder
    docs = Path(os.environ["KMS_CONFORMANCE_DOCS"]).resolve()
    extra = shlex.split(args.pytest_args)
    with tempfile.TemporaryDirectory(prefix="kms-conformance-bench-suite-") as tmp:
        sides = {"base": checkout(args.against, Path(tmp) / "base"), "this": working_tree(Path(tmp) / "this")}
        print(f"suite: {' '.join(SUITE_COMMAND)} {' '.join(extra)}".rstrip() + f"; base {args.against}, "
              f"this = the working tree; {args.rounds} round(s)", flush=True)
        timings: dict[str, list[Timing]] = {"base": [], "this": []}
        failed = False
        for number in range(args.rounds):
            order = ("base", "this") if number % 2 == 0 else ("this", "base")
            for side in order:
                timing = run_suite(sides[side], extra, docs)
                timings[side].append(timing)
                failed = failed or timing.status != 0
                print(f"round {number + 1} {side:>4}: {timing.wall:7.1f} s wall, {timing.cpu:7.1f} s CPU  "
                      f"[{timing.summary}]", flush=True)
                for line in timing.failures:
                    print(f"    {line[:200]}", flush=True)
    for side in ("base", "this"):
        walls = [t.wall for t in timings[side]]
        cpus = [t.cpu for t in timings[side]]
        print(f"{side:>4}: median {statistics.median(walls):.1f} s wall ({min(walls):.1f}-{max(walls):.1f}), "
              f"{statistics.median(cpus):.1f} s CPU")
    ratios = paired_ratios([t.wall for t in timings["this"]], [b.wall for b in timings["base"]])
    print(f"this / base: median {statistics.median(ratios):.2f}x wall ({ratios[0]:.2f}-{ratios[-1]:.2f})")
    if failed:
        print("bench_suite: a run had failures or errors (its line above): the times include them", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
