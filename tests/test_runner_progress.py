"""Progress lines and the summary table."""

from __future__ import annotations

import io

from kms_conformance.progress import Progress, result_line, summary_table
from kms_conformance.verdicts import KnownDivergence, Report, RuleResult, RunMeta, Verdict


def result(rule_id: str, verdict: Verdict, **kw: object) -> RuleResult:
    return RuleResult(rule_id=rule_id, title="t", doc="d", section="s", quote="q", severity="must",
                      kind=("behavior",), verdict=verdict, examples=3, **kw)  # type: ignore[arg-type]


RESULTS = (
    result("A-01", Verdict.CONFORMANT),
    result("A-02", Verdict.NONCONFORMANT, detail="x: expected 'OK', observed 'AccessDenied'",
           replay="kms-conformance run --rules A-02 --seed 0 --target moto"),
    result("A-03", Verdict.NONCONFORMANT, known=KnownDivergence("A-03", "moto", "accepted")),
    result("A-04", Verdict.UNSUPPORTED, detail="the target lacks mwaa:CreateEnvironment"),
    result("A-05", Verdict.SKIPPED),
)


def report(**meta: object) -> Report:
    base = {"kit_version": "0", "target": "moto", "target_version": "moto 5", "endpoint": None, "region": "r",
            "account": None, "seed": 0, "profile": "ci", "started": "s"}
    base.update(meta)
    return Report(meta=RunMeta(**base), results=RESULTS)  # type: ignore[arg-type]


def test_non_tty_prints_one_line_per_rule() -> None:
    out = io.StringIO()
    progress = Progress(len(RESULTS), out, tty=False)
    for r in RESULTS:
        progress(r)
    lines = out.getvalue().splitlines()
    assert len(lines) == 5
    assert lines[1].startswith("[2/5] A-02") and "nonconformant" in lines[1]
    assert "nonconformant (known)" in lines[2]


def test_tty_shows_a_counter_and_keeps_failures() -> None:
    out = io.StringIO()
    progress = Progress(len(RESULTS), out, tty=True)
    for r in RESULTS:
        progress(r)
    progress.finish()
    text = out.getvalue()
    assert "\r[5/5] A-05 skipped" in text
    permanent = [line.split("\x1b[K")[-1] for line in text.split("\n")]
    assert any(line.startswith("A-02") and "(must, 3 examples" in line for line in permanent)
    assert not any(line.startswith("A-01") for line in permanent)  # conformant: only the counter


def test_summary_counts_coverage_and_divergence_apart() -> None:
    table = summary_table(report(baseline_notes=("baseline entry X (moto) expired",), incomplete=True))
    assert "conformant           1" in table
    assert "nonconformant        2   (1 known divergence)" in table
    assert "coverage   (tested / rules):          3/5 (60%)" in table
    assert "divergence (nonconformant / tested):  2/3 (67%)" in table
    assert "A-02 nonconformant" in table and "kms-conformance run --rules A-02" in table
    assert "A-03 nonconformant" not in table.split("failing:")[1]  # known: not failing
    assert "INCOMPLETE" in table and "note: baseline entry X (moto) expired" in table


def test_result_line_is_one_line() -> None:
    line = result_line(result("A-09", Verdict.ERROR, detail="first\nsecond"))
    assert "\n" not in line and line.endswith("first")
