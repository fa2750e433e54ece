"""Baseline files: parsing (clear errors) and applying (known, expired, no longer observed)."""

from __future__ import annotations

from datetime import date

import pytest
from kms_conformance.baseline import BaselineEntry, apply_baseline, parse_baseline
from kms_conformance.errors import InputError
from kms_conformance.verdicts import RuleResult, Verdict


def result(rule_id: str, verdict: Verdict, severity: str = "must") -> RuleResult:
    return RuleResult(rule_id=rule_id, title="t", doc="d", section="s", quote="q", severity=severity,
                      kind=("behavior",), verdict=verdict)


TODAY = date(2026, 11, 24)


def test_parse_accepts_prefixes_and_optional_expiry() -> None:
    entries = parse_baseline([{"rule": "aoss-*", "target": "*", "reason": " r "},
                              {"rule": "MWAA-02", "target": "moto", "reason": "x", "expires": "2027-01-31"}])
    assert entries == (BaselineEntry("AOSS-*", "*", "r"), BaselineEntry("MWAA-02", "moto", "x", date(2027, 1, 31)))
    assert entries[0].matches("AOSS-06", "aws") and not entries[0].matches("MWAA-01", "aws")


@pytest.mark.parametrize(("doc", "path", "message"), [
    ({"rule": "X-01"}, "$", "JSON list"),
    (["X-01"], "[0]", "object"),
    ([{"rule": "X-01", "target": "aws", "reason": "r", "why": 1}], "[0].why", "unknown field"),
    ([{"rule": "", "target": "aws", "reason": "r"}], "[0].rule", "required"),
    ([{"rule": "not an id", "target": "aws", "reason": "r"}], "[0].rule", "not a rule id"),
    ([{"rule": "X-01", "target": "aws", "reason": "r"}, {"rule": "X-02", "target": "azure", "reason": "r"}],
     "[1].target", "target is one of"),
    ([{"rule": "X-01", "target": "aws", "reason": "r", "expires": "31/03/2027"}], "[0].expires", "YYYY-MM-DD"),
])
def test_parse_errors_name_the_file_and_path(doc: object, path: str, message: str) -> None:
    with pytest.raises(InputError) as err:
        parse_baseline(doc, source="ci/baseline.json")
    assert err.value.source == "ci/baseline.json" and err.value.path == path
    assert message in err.value.message


def test_apply_marks_known_and_reports_stale_entries() -> None:
    results = [result("A-01", Verdict.NONCONFORMANT), result("A-02", Verdict.NONCONFORMANT),
               result("A-03", Verdict.CONFORMANT), result("A-04", Verdict.UNSUPPORTED)]
    entries = [BaselineEntry("A-01", "moto", "known bug", date(2027, 1, 1)),
               BaselineEntry("A-02", "*", "old", date(2026, 11, 23)),
               BaselineEntry("A-03", "moto", "fixed since"),
               BaselineEntry("A-04", "moto", "now unsupported"),
               BaselineEntry("A-09", "moto", "rule not selected"),
               BaselineEntry("A-01", "aws", "other target")]
    out, notes = apply_baseline(results, entries, "moto", TODAY)
    assert out[0].known is not None and out[0].known.reason == "known bug" and out[0].known.expires == "2027-01-01"
    assert not out[0].fails
    assert out[1].known is None and out[1].fails
    assert notes == (
        "baseline entry A-02 (*) expired on 2026-11-23: it no longer excuses a divergence",
        "baseline entry A-03 (moto) is no longer observed (the rule is now conformant): remove it",
        "baseline entry A-04 (moto) is no longer observed (the rule is now unsupported): remove it",
    )


def test_entry_expiring_today_still_excuses() -> None:
    out, notes = apply_baseline([result("A-01", Verdict.NONCONFORMANT)],
                                [BaselineEntry("A-01", "aws", "r", TODAY)], "aws", TODAY)
    assert out[0].known is not None and notes == ()
