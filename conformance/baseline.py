"""Accepted divergences: a JSON list of ``{"rule", "target", "reason", "expires"?}`` entries.

A nonconformant verdict listed in the baseline (same rule, same target or ``"*"``, not expired) is
reported as a known divergence (``RuleResult.known``) and does not fail the run. Entries that no
longer do anything are reported in ``meta.baseline_notes``: expired ones, and ones whose rule ran
and was not nonconformant (the divergence is gone: remove the entry). See examples/ci/baseline.json.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from kms_conformance import inputs
from kms_conformance.errors import InputError
from kms_conformance.verdicts import KnownDivergence, RuleResult, Verdict, with_known

TARGETS = ("model", "moto", "aws", "localstack", "*")
_FIELDS = {"rule", "target", "reason", "expires"}
_RULE_ID = re.compile(r"^[A-Z][A-Z0-9]*(-[A-Z0-9]+)*(-\*|\*)?$")


@dataclass(frozen=True)
class BaselineEntry:
    """One accepted divergence. ``rule`` may end in ``*`` (``AOSS-*``)."""

    rule: str
    target: str
    reason: str
    expires: date | None = None

    def matches(self, rule_id: str, target: str) -> bool:
        rule_ok = rule_id == self.rule or (self.rule.endswith("*") and rule_id.startswith(self.rule[:-1]))
        return rule_ok and self.target in ("*", target)

    def expired(self, today: date) -> bool:
        return self.expires is not None and self.expires < today

    def label(self) -> str:
        return f"{self.rule} ({self.target})"


def parse_baseline(data: object, *, source: str = "<baseline>") -> tuple[BaselineEntry, ...]:
    """Validate a parsed baseline document; InputError names the file and the JSON path."""
    if not isinstance(data, list):
        raise InputError("a baseline is a JSON list of {rule, target, reason, expires?} objects", source=source)
    entries = []
    for i, raw in enumerate(data):
        where = f"[{i}]"
        if not isinstance(raw, dict):
            raise InputError("each entry is an object {rule, target, reason, expires?}", source=source, path=where)
        unknown = sorted(set(raw) - _FIELDS)
        if unknown:
            raise InputError(f"unknown field {unknown[0]!r}; fields are rule, target, reason, expires",
                             source=source, path=f"{where}.{unknown[0]}")
        for name in ("rule", "target", "reason"):
            value = raw.get(name)
            if not isinstance(value, str) or not value.strip():
                raise InputError(f"{name} is required (a non-empty string)", source=source, path=f"{where}.{name}")
        rule_id = raw["rule"].strip().upper()
        if not _RULE_ID.match(rule_id):
            raise InputError(f"{raw['rule']!r} is not a rule id (like FORECAST-01 or AOSS-*)",
                             source=source, path=f"{where}.rule")
        target = raw["target"].strip()
        if target not in TARGETS:
            raise InputError(f"target is one of {', '.join(TARGETS)}, got {target!r}", source=source,
                             path=f"{where}.target")
        expires = None
        if raw.get("expires") is not None:
            try:
                expires = date.fromisoformat(str(raw["expires"]))
            except ValueError:
                raise InputError(f"expires is a date YYYY-MM-DD, got {raw['expires']!r}", source=source,
                                 path=f"{where}.expires") from None
        entries.append(BaselineEntry(rule_id, target, raw["reason"].strip(), expires))
    return tuple(entries)


def load_baseline(path: str | Path) -> tuple[BaselineEntry, ...]:
    """Read and validate a baseline file."""
    return parse_baseline(inputs.load_json(path), source=str(path))


def check_rule_ids(entries: Iterable[BaselineEntry], known: Iterable[str], *, source: str = "<baseline>") -> None:
    """Every entry names a rule of the catalogue (or a prefix some rule has): an entry for an
    unknown id would accept nothing, silently. ``InputError`` names the entry otherwise."""
    ids = tuple(known)
    for i, entry in enumerate(entries):
        prefix = entry.rule[:-1] if entry.rule.endswith("*") else None
        if entry.rule in ids or (prefix is not None and any(r.startswith(prefix) for r in ids)):
            continue
        what = "matches no rule" if prefix is not None else "is not a rule of the catalogue"
        raise InputError(f"{entry.rule[:40]!r} {what} (see `kms-conformance rules`)", source=source,
                         path=f"[{i}].rule")


def apply_baseline(
    results: Sequence[RuleResult], entries: Iterable[BaselineEntry], target: str, today: date
) -> tuple[tuple[RuleResult, ...], tuple[str, ...]]:
    """Mark listed divergences as known; return the results and the notes about stale entries."""
    entries = [e for e in entries if e.target in ("*", target)]
    notes: list[str] = []
    used: set[BaselineEntry] = set()
    out = []
    for result in results:
        if result.verdict is Verdict.NONCONFORMANT:
            matching = [e for e in entries if e.matches(result.rule_id, target)]
            live = [e for e in matching if not e.expired(today)]
            used.update(matching)
            if live:
                e = live[0]
                result = with_known(result, KnownDivergence(
                    rule=result.rule_id, target=e.target, reason=e.reason,
                    expires=e.expires.isoformat() if e.expires else None))
        out.append(result)
    ran = {r.rule_id: r.verdict for r in results}
    for e in entries:
        if e.expired(today):
            assert e.expires is not None
            notes.append(f"baseline entry {e.label()} expired on {e.expires.isoformat()}: it no longer excuses "
                         "a divergence")
        elif e not in used:
            verdicts = sorted({v.value for rid, v in ran.items() if e.matches(rid, target)})
            if verdicts:
                notes.append(f"baseline entry {e.label()} is no longer observed (the rule is now "
                             f"{', '.join(verdicts)}): remove it")
    return tuple(out), tuple(notes)
