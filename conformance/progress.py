"""What ``kms-conformance run`` shows while it works and when it ends.

On a terminal: a counter rewritten in place, plus a permanent line for every rule that is not
conformant. Elsewhere (CI logs): one line per rule as it finishes. At the end, a summary table:
counts per verdict, coverage (rules tested / rules) and divergence (nonconformant / tested),
reported apart and never added together.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence
from typing import TextIO

from kms_conformance.verdicts import Leftover, Report, RuleResult, Verdict


def result_line(result: RuleResult) -> str:
    """``AOSS-06  nonconformant  (must, 25 examples, 0.4s)  detail``."""
    verdict = result.verdict.value + (" (known)" if result.known is not None else "")
    detail = result.detail.splitlines()[0] if result.detail else ""
    if len(detail) > 160:
        detail = detail[:157] + "..."
    head = f"{result.rule_id:<14} {verdict:<21} ({result.severity}, {result.examples} examples, {result.duration:.1f}s)"
    return f"{head}  {detail}".rstrip()


def use_color(choice: str | None, stream: TextIO) -> bool:
    """Whether to colour what goes to ``stream``: ``always``/``never`` as said; ``auto`` (or None)
    colours a terminal unless ``NO_COLOR`` is set to anything non-empty (no-color.org) or
    ``TERM=dumb``.

    >>> use_color("never", sys.stdout)
    False
    """
    if choice == "always":
        return True
    if choice == "never":
        return False
    if os.environ.get("NO_COLOR") or os.environ.get("TERM") == "dumb":
        return False
    return bool(getattr(stream, "isatty", lambda: False)())


class Progress:
    """The callback the runner calls once per finished rule."""

    def __init__(self, total: int, stream: TextIO | None = None, *, tty: bool | None = None,
                 verbosity: int = 0) -> None:
        self.total = total
        self.stream = stream or sys.stderr
        self.tty = self.stream.isatty() if tty is None else tty
        #: below 0 (``-q``): nothing while the run works; above 0 (``-v``): a line per rule even on a terminal
        self.verbosity = verbosity
        self.done = 0
        self._counter_shown = False

    def __call__(self, result: RuleResult) -> None:
        self.done += 1
        if self.verbosity < 0:
            return
        if not self.tty or self.verbosity > 0:
            print(f"[{self.done}/{self.total}] {result_line(result)}", file=self.stream, flush=True)
            return
        if result.verdict is not Verdict.CONFORMANT:
            self._clear()
            print(result_line(result), file=self.stream)
        self.stream.write(f"\r[{self.done}/{self.total}] {result.rule_id} {result.verdict.value}\x1b[K")
        self.stream.flush()
        self._counter_shown = True

    def _clear(self) -> None:
        if self._counter_shown:
            self.stream.write("\r\x1b[K")
            self._counter_shown = False

    def finish(self) -> None:
        if self.tty and self._counter_shown:
            self.stream.write("\n")
            self.stream.flush()
            self._counter_shown = False


def summary_table(report: Report) -> str:
    """The end-of-run table: verdict counts, coverage and divergence (apart), failures listed."""
    results: Sequence[RuleResult] = report.results
    counts = {v: sum(1 for r in results if r.verdict is v) for v in Verdict}
    known = sum(1 for r in results if r.known is not None)
    tested = counts[Verdict.CONFORMANT] + counts[Verdict.NONCONFORMANT]
    lines = [f"target {report.meta.target} ({report.meta.target_version}), profile {report.meta.profile}, "
             f"seed {report.meta.seed}" + ("  [INCOMPLETE: not every rule ran]" if report.meta.incomplete else "")]
    lines.append(f"{'verdict':<16}{'rules':>6}")
    for v in Verdict:
        extra = ""
        if v is Verdict.NONCONFORMANT and known:
            extra = f"   ({known} known divergence{'s' if known != 1 else ''})"
        lines.append(f"{v.value:<16}{counts[v]:>6}{extra}")
    lines.append(f"{'total':<16}{len(results):>6}")
    cov = f"{tested}/{len(results)}" + (f" ({100 * tested / len(results):.0f}%)" if results else "")
    div = f"{counts[Verdict.NONCONFORMANT]}/{tested}" + (
        f" ({100 * counts[Verdict.NONCONFORMANT] / tested:.0f}%)" if tested else "")
    lines.append(f"coverage   (tested / rules):          {cov}")
    lines.append(f"divergence (nonconformant / tested):  {div}")
    failing = [r for r in results if r.fails]
    if failing:
        lines.append("failing:")
        lines.extend(f"  {r.rule_id} {r.verdict.value}: {(r.detail.splitlines() or [''])[0][:140]}" for r in failing)
        replays = [r.replay for r in failing if r.replay]
        if replays:
            lines.append("replay:")
            lines.extend(f"  {cmd}" for cmd in replays)
    blocked = [r for r in results if r.verdict is Verdict.INCONCLUSIVE and r.inconclusive is not None]
    if blocked:
        lines.append("inconclusive (not tested: a step before the subject failed on the target):")
        lines.extend(f"  {r.rule_id}: {b.step} {b.observed} (reference model: {b.expected})"
                     + (f", blocked by {b.blocked_by}" if b.blocked_by else "")
                     for r in blocked if (b := r.inconclusive) is not None)
    lines.extend(cleanup_lines(report))
    for note in (*report.meta.baseline_notes, *report.meta.target_notes):
        lines.append(f"note: {note}")
    return "\n".join(lines)


def cleanup_lines(report: Report) -> list[str]:
    """One line per kind the target's cleanup left behind (count, the first one and its error)."""
    cleanup = report.meta.cleanup
    if cleanup is None or not cleanup.left:
        return []
    kinds: dict[str, list[Leftover]] = {}
    for item in cleanup.left:
        kinds.setdefault(item.kind, []).append(item)
    lines = [f"cleanup: {cleanup.removed} removed, {len(cleanup.left)} left (`kms-conformance sweep` finds them):"]
    lines.extend(f"  left {len(items)} {kind}, e.g. {items[0].id}: {(items[0].error.splitlines() or [''])[0][:140]}"
                 for kind, items in kinds.items())
    return lines
