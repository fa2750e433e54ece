"""Sample reports shared by the report tests: one result of every kind of verdict."""

from __future__ import annotations

from dataclasses import replace

from kms_conformance.verdicts import KnownDivergence, Report, RuleResult, RunMeta, Verdict

FORECAST = "004_1f23ff3028fec3c5.txt"
AOSS = "002_c2442b383cdbec83.txt"
MWAA = "003_38db2e13c46896ae.txt"


def meta(**overrides: object) -> RunMeta:
    base = RunMeta(kit_version="0.1.0", target="moto", target_version="5.2.5", endpoint=None, region="us-east-1",
                   account="123456789012", seed=42, profile="ci", started="2026-11-24T02:00:00Z",
                   finished="2026-11-24T02:01:00Z", host="ci-runner", argv=("kms-conformance", "run"))
    return replace(base, **overrides)  # type: ignore[arg-type]


def result(rule_id: str, verdict: Verdict, *, doc: str = FORECAST, severity: str = "must",
           **overrides: object) -> RuleResult:
    base = RuleResult(rule_id=rule_id, title=f"title of {rule_id}", doc=doc, section="Section heading",
                      quote=f"the sentence {rule_id} encodes", severity=severity, kind=("behavior",),
                      verdict=verdict, examples=10, duration=0.25)
    return replace(base, **overrides)  # type: ignore[arg-type]


def sample_report(**meta_overrides: object) -> Report:
    """2 conformant, 2 nonconformant (one of them known), 1 unsupported, 1 error, 1 skipped."""
    return Report(meta=meta(**meta_overrides), results=(
        result("FORECAST-01", Verdict.CONFORMANT),
        result("FORECAST-02", Verdict.NONCONFORMANT, counterexample={"KeyPolicy": {"Statement": []}},
               expected={"CreatePredictor": "AccessDeniedException"}, observed={"CreatePredictor": "OK"},
               replay="kms-conformance run --target moto --rules FORECAST-02 --seed 42",
               detail="CreatePredictor: expected 'AccessDeniedException', observed 'OK'"),
        result("AOSS-01", Verdict.CONFORMANT, doc=AOSS, kind=("config", "behavior")),
        result("AOSS-02", Verdict.NONCONFORMANT, doc=AOSS, severity="should",
               known=KnownDivergence("AOSS-02", "moto", "moto does not enforce key policies", "2027-01-01"),
               counterexample={"x": 1}, expected={"a": "OK"}, observed={"a": "AccessDeniedException"},
               replay="kms-conformance run --rules AOSS-02 --seed 42", detail="a differs"),
        result("MWAA-01", Verdict.UNSUPPORTED, doc=MWAA, unsupported_operation="mwaa:CreateEnvironment",
               detail="moto has no MWAA"),
        result("MWAA-02", Verdict.ERROR, doc=MWAA, detail="Traceback: KeyError 'x'",
               replay="kms-conformance run --rules MWAA-02 --seed 42"),
        result("MWAA-03", Verdict.SKIPPED, doc=MWAA, detail="not selected by --kind config"),
    ))
