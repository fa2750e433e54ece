"""``report compare OLD NEW``: what changed between two runs, for vendor regression checks.

A *regression* is a rule that was conformant and is now nonconformant or an error; a *fix* the
reverse (nonconformant or error -> conformant); *newly unsupported* a rule the target supported
and now lacks an operation for; *new* and *removed* rules are those in only one report; every
other change of verdict (skipped -> conformant, unsupported -> conformant...) is *other*.
"""

from __future__ import annotations

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
