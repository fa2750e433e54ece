"""Static conformance of a user's own setup: what they would send to AWS, checked against every
documented rule of its service (and the KMS rules every setup relies on) before AWS sees it.

:func:`check_setup` runs each rule's config check on a parsed :class:`~kms_conformance.setup.Setup`;
:func:`format_findings` renders the findings as ``kms-conformance check`` prints them (the pytest
plugin's ``assert_conformant`` reuses it). A rule whose ``applies`` says no is *not applicable*,
never *holds*; a check that raises (a defect of the kit, not of the setup) is an *error*, never
*holds*.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

from kms_conformance.documents import cited_as, page_dict
from kms_conformance.errors import InputError
from kms_conformance.rules import Rule
from kms_conformance.setup import Setup

Status = Literal["holds", "violated", "not-applicable", "error"]

#: The rules of this service apply to every setup, whatever its service.
COMMON_SERVICE = "kms"


@dataclass(frozen=True)
class Finding:
    """One config rule on one setup: its status and the concrete reasons the check returned."""

    rule: Rule
    status: Status
    reasons: tuple[str, ...] = ()

    @property
    def fails(self) -> bool:
        """Makes ``check`` exit 1: a violated ``must`` rule, or a check that could not run."""
        return self.status == "error" or (self.status == "violated" and self.rule.severity == "must")

    def to_dict(self) -> dict[str, Any]:
        """The ``--json`` form of one finding."""
        return {
            "rule": self.rule.id, "title": self.rule.title, "severity": self.rule.severity, "status": self.status,
            "reasons": list(self.reasons), "doc": self.rule.citation.doc, "section": self.rule.citation.section,
            "quote": self.rule.citation.quote, "quote_en": self.rule.citation.quote_en or None,
            "page": page_dict(self.rule.citation.doc),
        }


def rules_for(setup: Setup, rules: Sequence[Rule]) -> tuple[Rule, ...]:
    """The config rules that apply to a setup's service: its own and the KMS rules."""
    return tuple(r for r in rules if r.check is not None and r.service in (setup.service, COMMON_SERVICE))


def check_rule(rule: Rule, setup: Setup) -> Finding:
    """Run one rule's config check on the setup."""
    if rule.check is None:
        raise ValueError(f"{rule.id} has no config check")
    try:
        if rule.applies is not None and not rule.applies(setup):
            return Finding(rule, "not-applicable")
        reasons = tuple(str(r) for r in rule.check(setup))
    except InputError:
        raise
    except Exception as exc:  # a defect of the kit: reported, never counted as holding
        return Finding(rule, "error", (f"the check failed: {type(exc).__name__}: {exc}",))
    return Finding(rule, "violated" if reasons else "holds", reasons)


def check_setup(setup: Setup, rules: Sequence[Rule] | None = None) -> tuple[Finding, ...]:
    """Every config rule of the setup's service and of KMS, checked on the setup, in catalogue order.
    ``rules`` narrows the selection (rules of other services are left out all the same)."""
    if rules is None:
        from kms_conformance.rules import catalogue

        rules = catalogue()
    return tuple(check_rule(r, setup) for r in rules_for(setup, rules))


def nothing_checked(setup: Setup, findings: Sequence[Finding]) -> str | None:
    """Why no rule applied to the setup, or None when one did. ``check`` refuses such a setup (exit
    status 2): "N not applicable: OK" would pass a setup nothing was checked on."""
    if any(f.status != "not-applicable" for f in findings):
        return None
    if not findings:
        return f"nothing was checked: no config rule of {setup.service} or kms was selected"
    keys = setup.keys or setup.external_keys
    why = ("it describes no key and its request names no customer managed key" if not keys and not setup.request
           else "it describes no key" if not keys else "none of its keys and requests is one the rules judge")
    return (f"nothing was checked: none of the {len(findings)} rule(s) of {setup.service} and kms applies "
            f"to this setup; {why}")


def policy_warnings(setup: Setup) -> tuple[str, ...]:
    """Conditions in the setup's key policies and identity policies whose outcome rests on
    behaviour AWS does not document (:func:`kms_conformance.policy.policy_notes`): ``check``
    prints them as warnings; they never change its exit status."""
    from kms_conformance.policy import Policy, policy_notes

    policies = [k.policy for k in setup.keys] + [p for ps in setup.identity_policies.values() for p in ps]
    return tuple(note for p in policies if isinstance(p, Policy) for note in policy_notes(p))


def format_warnings(warnings: Sequence[str], *, color: bool = False) -> str:
    """One ``warning:`` line a note (what ``check`` prints after the findings)."""
    mark = f"{_COLORS['warn']}warning\033[0m" if color else "warning"
    return "\n".join(f"{mark}: {w} (see README, \"Where AWS documents nothing\")" for w in warnings)


def ok(findings: Sequence[Finding]) -> bool:
    """True when no finding fails (violated ``should`` rules are warnings)."""
    return not any(f.fails for f in findings)


_MARKS = {"holds": "ok", "violated": "FAIL", "not-applicable": "n/a", "error": "ERROR"}
_COLORS = {"holds": "\033[32m", "violated": "\033[31m", "not-applicable": "\033[2m", "error": "\033[31m",
           "warn": "\033[33m"}


def format_findings(findings: Sequence[Finding], *, color: bool = False) -> str:
    """What ``check`` prints: one line a rule, and under each violated rule (or error) its severity,
    the quoted sentence with document and section, and every reason; then a summary line."""
    lines: list[str] = []
    for f in findings:
        state = "warn" if f.status == "violated" and f.rule.severity == "should" else f.status
        mark = "WARN" if state == "warn" else _MARKS[f.status]
        if color:
            mark = f"{_COLORS[state]}{mark}\033[0m"
        lines.append(f"{mark:>5} {f.rule.id} [{f.rule.severity}] {f.rule.title}")
        if f.status in ("violated", "error"):
            c = f.rule.citation
            lines.append(f"      {cited_as(c.doc)}")
            lines.append(f"      section \"{c.section}\": \"{c.quote}\"")
            if c.quote_en:
                lines.append(f"      (English rendering by kms-conformance, not AWS's words: \"{c.quote_en}\")")
            lines.extend(f"      - {reason}" for reason in f.reasons)
    counts = {s: sum(1 for f in findings if f.status == s) for s in _MARKS}
    must = sum(1 for f in findings if f.status == "violated" and f.rule.severity == "must")
    should = counts["violated"] - must
    summary = (f"{len(findings)} rule(s): {counts['holds']} hold, {must} must rule(s) violated, "
               f"{should} should rule(s) violated (warnings), {counts['not-applicable']} not applicable")
    if counts["error"]:
        summary += f", {counts['error']} could not be checked (error)"
    lines.append(summary + (": OK" if ok(findings) else ": FAILED"))
    return "\n".join(lines)
