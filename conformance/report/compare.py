"""``report compare OLD NEW``: what changed between two runs, for vendor regression checks.

A *regression* is a rule that was conformant and is now nonconformant or an error; a *fix* the
reverse (nonconformant or error -> conformant); *newly unsupported* a rule the target supported
and now lacks an operation for; *new* and *removed* rules are those in only one report; every
other change of verdict (skipped -> conformant, unsupported -> conformant...) is *other*.

The gate (:func:`gate_failures`) fails not only on a regression but on a NEW report that cannot
stand for a full run: one with no results, marked incomplete (an interrupted run), missing rules OLD
had or leaving untested (skipped) rules OLD tested (renamed ids, a narrower selection), or holding a
rule id twice (either report: which verdict counts would be a guess). ``--allow-incomplete`` and
``--allow-missing`` lift the first two for a deliberate partial run; nothing lifts a duplicate.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import asdict, dataclass

from kms_conformance.verdicts import Report, RuleResult, Verdict


@dataclass(frozen=True)
class Change:
    """One rule's verdict in the old and the new report (``None`` when absent from that report)."""

    rule_id: str
    title: str
    old: str | None
    new: str | None
    detail: str = ""

    def describe(self) -> str:
        change = f"{self.old or '-'} -> {self.new or '-'}"
        return f"{self.rule_id} {self.title}: {change}" + (f" ({self.detail})" if self.detail else "")


@dataclass(frozen=True)
class Comparison:
    regressions: tuple[Change, ...] = ()
    fixes: tuple[Change, ...] = ()
    newly_unsupported: tuple[Change, ...] = ()
    new_rules: tuple[Change, ...] = ()
    removed_rules: tuple[Change, ...] = ()
    other: tuple[Change, ...] = ()

    @property
    def regressed(self) -> bool:
        return bool(self.regressions)

    def to_dict(self) -> dict[str, object]:
        return {name: [asdict(c) for c in getattr(self, name)] for name in (
            "regressions", "fixes", "newly_unsupported", "new_rules", "removed_rules", "other")} | {
            "regressed": self.regressed}


_BAD = (Verdict.NONCONFORMANT, Verdict.ERROR)


def _label(result: RuleResult) -> str:
    return result.verdict.value + (" (known)" if result.known is not None else "")


def compare(old: Report, new: Report) -> Comparison:
    """Classify every rule of either report (see the module docstring)."""
    before = {r.rule_id: r for r in old.results}
    after = {r.rule_id: r for r in new.results}
    out: dict[str, list[Change]] = {k: [] for k in (
        "regressions", "fixes", "newly_unsupported", "new_rules", "removed_rules", "other")}
    for rule_id, n in after.items():
        o = before.get(rule_id)
        if o is None:
            out["new_rules"].append(Change(rule_id, n.title, None, _label(n)))
            continue
        change = Change(rule_id, n.title, _label(o), _label(n), n.detail if n.verdict in _BAD else "")
        if o.verdict is n.verdict:
            if o.known is not None and n.known is None and n.verdict is Verdict.NONCONFORMANT:
                out["regressions"].append(change)  # no longer covered by the baseline
            continue
        if o.verdict is Verdict.CONFORMANT and n.verdict in _BAD:
            out["regressions"].append(change)
        elif o.verdict in _BAD and n.verdict is Verdict.CONFORMANT:
            out["fixes"].append(change)
        elif n.verdict is Verdict.UNSUPPORTED:
            detail = f"lacks {n.unsupported_operation}" if n.unsupported_operation else ""
            out["newly_unsupported"].append(Change(rule_id, n.title, _label(o), _label(n), detail))
        else:
            out["other"].append(change)
    for rule_id, o in before.items():
        if rule_id not in after:
            out["removed_rules"].append(Change(rule_id, o.title, _label(o), None))
    return Comparison(**{k: tuple(v) for k, v in out.items()})


def duplicate_rule_ids(report: Report) -> list[str]:
    """Rule ids that appear more than once in ``report``."""
    return sorted(rule_id for rule_id, n in Counter(r.rule_id for r in report.results).items() if n > 1)


def gate_failures(old: Report, new: Report, *, allow_missing: bool = False,
                  allow_incomplete: bool = False) -> tuple[str, ...]:
    """Why NEW cannot pass the gate besides regressions (see the module docstring); empty when it can."""
    reasons: list[str] = []
    for name, report in (("OLD", old), ("NEW", new)):
        dups = duplicate_rule_ids(report)
        if dups:
            reasons.append(f"duplicate rule ids in {name}: {', '.join(dups)}")
    if not new.results:
        reasons.append("NEW has no results: every rule of OLD is missing")
    if new.meta.incomplete and not allow_incomplete:
        reasons.append("NEW is incomplete (the run was interrupted); pass --allow-incomplete to compare anyway")
    if not allow_missing and new.results:
        after = {r.rule_id: r for r in new.results}
        missing = sorted({r.rule_id for r in old.results} - set(after))
        untested = sorted({r.rule_id for r in old.results if r.verdict is not Verdict.SKIPPED
                           and r.rule_id in after and after[r.rule_id].verdict is Verdict.SKIPPED})
        if missing:
            reasons.append(f"{len(missing)} rule(s) of OLD missing from NEW: {', '.join(missing[:20])}"
                           + (" ..." if len(missing) > 20 else "") + "; pass --allow-missing if intended")
        if untested:
            reasons.append(f"{len(untested)} rule(s) tested in OLD are skipped in NEW: {', '.join(untested[:20])}"
                           + (" ..." if len(untested) > 20 else "") + "; pass --allow-missing if intended")
    return tuple(reasons)


def format_comparison(comparison: Comparison, old: Report, new: Report) -> str:
    """The text ``report compare`` prints."""
    lines = [f"old: {old.meta.target} {old.meta.target_version}, {old.meta.started}"
             + (" (INCOMPLETE)" if old.meta.incomplete else ""),
             f"new: {new.meta.target} {new.meta.target_version}, {new.meta.started}"
             + (" (INCOMPLETE)" if new.meta.incomplete else "")]
    if (old.meta.target, old.meta.region) != (new.meta.target, new.meta.region):
        lines.append("note: the two reports are of different targets or regions")
    for name, heading in (("regressions", "Regressions"), ("fixes", "Fixes"),
                          ("newly_unsupported", "Newly unsupported"), ("new_rules", "New rules"),
                          ("removed_rules", "Removed rules"), ("other", "Other changes")):
        changes: tuple[Change, ...] = getattr(comparison, name)
        if changes:
            lines.append(f"{heading} ({len(changes)}):")
            lines.extend(f"  {c.describe()}" for c in changes)
    if not any(getattr(comparison, n) for n in ("regressions", "fixes", "newly_unsupported", "new_rules",
                                                 "removed_rules", "other")):
        lines.append("no change")
    lines.append(f"{len(comparison.regressions)} regression(s)")
    return "\n".join(lines)
