"""The runner on fake rules and fake targets: independent of the spec modules.

A fake service answers ``svc:Op`` with OK when ``x`` is below a threshold and AccessDenied above;
the reference uses threshold 50. A target with threshold 60 diverges exactly on 50 <= x < 60, so
the shrunk counterexample is 50.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Mapping
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from hypothesis import strategies as st
from kms_conformance import runner
from kms_conformance.baseline import BaselineEntry
from kms_conformance.errors import InputError, UsageError
from kms_conformance.rules import Behavior, Citation, Rule
from kms_conformance.runner import PROFILES, Profile, RunOptions, run, run_rule
from kms_conformance.targets import TargetConfig
from kms_conformance.targets.base import Outcome, Target, UnsupportedOperation
from kms_conformance.targets.mutant import MutantTarget
from kms_conformance.verdicts import Verdict

FAST = Profile("test", max_examples=40, lifecycle_examples=5, deadline_ms=None, database=False, shrink_budget=200)


class FakeTarget:
    """``svc:Op`` with ``{"x": n}``: OK below ``threshold``, AccessDeniedException from it on."""

    def __init__(self, threshold: int = 50, name: str = "fake", die_after: int | None = None,
                 lacks: tuple[str, str] | None = None, is_reference: bool = False) -> None:
        self.threshold = threshold
        self.name = name
        self.is_reference = is_reference
        self.account = "123456789012"
        self.region = "us-east-1"
        self.calls = 0
        self.die_after = die_after
        self.lacks = lacks
        self.closed = False

    def call(self, service: str, operation: str, params: Mapping[str, Any] | None = None, *,
             principal: str | None = None) -> Outcome:
        self.calls += 1
        if self.die_after is not None and self.calls > self.die_after:
            raise ConnectionError("target went away")
        if self.lacks == (service, operation):
            raise UnsupportedOperation(service, operation, "Not yet implemented")
        x = int((params or {}).get("x", 0))
        if x < self.threshold:
            return Outcome(ok=True, value={"x": x})
        return Outcome(ok=False, error="AccessDeniedException", message="denied")

    def unique(self, prefix: str) -> str:
        return f"{prefix}-{self.calls}"

    def describe(self) -> Mapping[str, Any]:
        return {"name": self.name, "version": "fake 1", "endpoint": None, "region": self.region}

    def close(self) -> None:
        self.closed = True


def scenario(target: Target, example: int) -> dict[str, Any]:
    return {"Op": target.call("svc", "Op", {"x": example}).code}


def make_rule(rule_id: str = "FAKE-01", *, scen: Any = scenario, severity: str = "must",
              strategy: Any = None, lifecycle: bool = False) -> Rule:
    return Rule(
        id=rule_id, title=f"title of {rule_id}", service="forecast",
        citation=Citation("004_1f23ff3028fec3c5.txt", "Section", "a quote"),
        severity=severity,  # type: ignore[arg-type]
        operations=("svc:Op",),
        behavior=Behavior(scenario=scen, examples=strategy or (lambda: st.integers(0, 100)), lifecycle=lifecycle),
    )


def test_conformant_when_facts_agree() -> None:
    result = run_rule(make_rule(), FakeTarget(), FakeTarget(), profile=FAST, seed=1, replay="r")
    assert result.verdict is Verdict.CONFORMANT
    assert result.examples == FAST.max_examples
    assert result.counterexample is None and result.replay is None


def test_nonconformant_records_the_shrunk_counterexample_and_replay() -> None:
    result = run_rule(make_rule(), FakeTarget(threshold=60), FakeTarget(), profile=FAST, seed=3,
                      replay="kms-conformance run --rules FAKE-01 --seed 3 --target moto")
    assert result.verdict is Verdict.NONCONFORMANT
    assert result.counterexample == 50  # the minimal x with a different outcome
    assert result.expected == {"Op": "AccessDeniedException"}
    assert result.observed == {"Op": "OK"}
    assert "Op: expected 'AccessDeniedException', observed 'OK'" in result.detail
    assert result.replay == "kms-conformance run --rules FAKE-01 --seed 3 --target moto"
    assert result.fails


def test_mutant_target_is_nonconformant() -> None:
    mutant = MutantTarget(FakeTarget(), flips={("svc", "Op")})
    result = run_rule(make_rule(), mutant, FakeTarget(), profile=FAST, seed=0, replay="r")
    assert result.verdict is Verdict.NONCONFORMANT
    # two distinct divergences (an OK refused, a refusal let through), each shrunk on its own
    assert sorted(f.counterexample for f in result.findings) == [0, 50]
    assert result.counterexample == result.findings[0].counterexample


def test_unsupported_names_the_operation() -> None:
    target = FakeTarget(lacks=("svc", "Op"))
    result = run_rule(make_rule(), target, FakeTarget(), profile=FAST, seed=0, replay="r")
    assert result.verdict is Verdict.UNSUPPORTED
    assert result.unsupported_operation == "svc:Op"
    assert "svc:Op" in result.detail and "Not yet implemented" in result.detail
    assert target.calls == 1  # stops at once: no shrinking of an unsupported operation


def test_exception_in_the_kit_is_an_error_with_type_and_message() -> None:
    def broken(target: Target, example: int) -> dict[str, Any]:
        raise ValueError(f"scenario bug on {example}")

    result = run_rule(make_rule(scen=broken), FakeTarget(), FakeTarget(), profile=FAST, seed=0, replay="r")
    assert result.verdict is Verdict.ERROR
    assert "reference model failed" in result.detail and "ValueError: scenario bug" in result.detail
    assert result.fails


def test_model_lacking_an_operation_is_an_error_not_unsupported() -> None:
    result = run_rule(make_rule(), FakeTarget(), FakeTarget(lacks=("svc", "Op")), profile=FAST, seed=0, replay="r")
    assert result.verdict is Verdict.ERROR
    assert "model defect" in result.detail


def test_exception_on_the_target_is_an_error() -> None:
    result = run_rule(make_rule(), FakeTarget(die_after=0), FakeTarget(), profile=FAST, seed=0, replay="r")
    assert result.verdict is Verdict.ERROR
    assert "ConnectionError: target went away" in result.detail


def _staged(target: Target, example: int) -> dict[str, Any]:
    from kms_conformance.scenarios.steps import must

    must("svc:Stage", target.call("svc", "Stage", {"x": example}))
    return {"Op": target.call("svc", "Op", {"x": 0}).code}


def test_failing_stage_step_on_the_target_is_inconclusive_not_nonconformant() -> None:
    rule = make_rule(scen=_staged, strategy=lambda: st.integers(0, 49))
    result = run_rule(rule, FakeTarget(threshold=10), FakeTarget(), profile=FAST, seed=0, replay="r",
                      subjects={"svc:Stage": "FAKE-09"})
    assert result.verdict is Verdict.INCONCLUSIVE
    assert result.inconclusive is not None
    assert (result.inconclusive.step, result.inconclusive.expected, result.inconclusive.observed,
            result.inconclusive.blocked_by) == ("svc:Stage", "OK", "AccessDeniedException", "FAKE-09")
    assert "svc:Stage failed on the target" in result.detail and "subject of FAKE-09" in result.detail
    assert not result.fails and result.findings == ()


def test_a_failing_stage_that_is_the_rules_own_subject_is_nonconformant() -> None:
    rule = make_rule(scen=_staged, strategy=lambda: st.integers(0, 49))
    result = run_rule(rule, FakeTarget(threshold=10), FakeTarget(), profile=FAST, seed=0, replay="r",
                      subjects={"svc:Stage": "FAKE-01"})
    assert result.verdict is Verdict.NONCONFORMANT
    assert result.counterexample == 10
    assert "stage step svc:Stage failed on the target: AccessDeniedException" in result.detail


def test_a_stage_failing_on_the_model_is_an_error() -> None:
    result = run_rule(make_rule(scen=_staged, strategy=lambda: st.integers(0, 49)), FakeTarget(),
                      FakeTarget(threshold=10), profile=FAST, seed=0, replay="r")
    assert result.verdict is Verdict.ERROR


def test_control_step_marks_and_fails_like_a_stage() -> None:
    from kms_conformance.scenarios.steps import control

    def scen(target: Target, example: int) -> dict[str, Any]:
        control("svc:Check", target.call("svc", "Check", {"x": example}), "AccessDeniedException")
        return {"Op": target.call("svc", "Op", {"x": 0}).code}

    result = run_rule(make_rule(scen=scen, strategy=lambda: st.integers(50, 100)), FakeTarget(threshold=80),
                      FakeTarget(), profile=FAST, seed=0, replay="r")
    assert result.verdict is Verdict.INCONCLUSIVE
    assert result.inconclusive is not None
    assert (result.inconclusive.expected, result.inconclusive.observed) == ("AccessDeniedException", "OK")


def test_subject_index_takes_the_first_rule_naming_the_operation_first() -> None:
    a, b = make_rule("FAKE-01"), make_rule("FAKE-02")
    c = dataclasses.replace(make_rule("FAKE-03"), operations=("svc:Other", "svc:Op"))
    assert runner.subject_index([c, a, b]) == {"svc:Other": "FAKE-03", "svc:Op": "FAKE-01"}


class TwoBugs(FakeTarget):
    """Refuses ``x`` in 20..29 although the reference allows it, and allows ``x`` >= 70 although the
    reference (threshold 50) refuses it: two distinct divergences."""

    def call(self, service: str, operation: str, params: Mapping[str, Any] | None = None, *,
             principal: str | None = None) -> Outcome:
        x = int((params or {}).get("x", 0))
        if 20 <= x < 30:
            return Outcome(ok=False, error="AccessDeniedException", message="denied")
        if x >= 70:
            return Outcome(ok=True, value={"x": x, "Blob": b"\x00\x01"})
        return super().call(service, operation, params, principal=principal)


def _with_feature(target: Target, example: int) -> dict[str, Any]:
    from kms_conformance.scenarios.steps import must

    must("iam:CreateRole", target.call("svc", "Op", {"x": 1}))
    out = target.call("svc", "Op", {"x": example}, principal="arn:aws:iam::123456789012:role/r")
    return {"Op": out.code, "_feature": "low" if example < 50 else "high"}


def test_distinct_divergences_are_distinct_findings_each_shrunk_with_its_calls() -> None:
    result = run_rule(make_rule(scen=_with_feature), TwoBugs(), FakeTarget(), profile=FAST, seed=0, replay="r")
    assert result.verdict is Verdict.NONCONFORMANT
    by_example = {f.counterexample: f for f in result.findings}
    assert sorted(by_example) == [20, 70]  # each shrunk to its own minimum
    low, high = by_example[20], by_example[70]
    # the service of the first subject call answering another code, expected vs observed, and the feature
    assert low.signature == 'svc: "OK" vs "AccessDeniedException" [low]'
    assert high.signature == 'svc: "AccessDeniedException" vs "OK" [high]'
    assert low.expected == {"Op": "OK"} and low.observed == {"Op": "AccessDeniedException"}  # _feature not compared
    assert high.summary.startswith("svc:Op answered OK where the reference model answers AccessDeniedException")
    assert all(f.replay == "r" for f in result.findings)
    # the calls of the shrunk example, in order, as sent: the stage call, then the subject call
    stage, subject = high.calls
    assert (stage.role, stage.params, stage.principal, stage.outcome["code"]) == ("stage", {"x": 1}, None, "OK")
    assert stage.expected is None
    assert (subject.role, subject.params, subject.outcome["code"]) == ("subject", {"x": 70}, "OK")
    assert subject.principal == "arn:aws:iam::123456789012:role/r"
    assert subject.expected == {"code": "AccessDeniedException"}
    assert subject.response == {"x": 70, "Blob": {"base64": "AAE="}}
    assert json.dumps([dataclasses.asdict(c) for c in high.calls])  # JSON-able
    assert result.counterexample == result.findings[0].counterexample


def _two_operations(target: Target, example: int) -> dict[str, Any]:
    """An example calls ``svc:Read`` (even) or ``svc:Write`` (odd): the same defect shows on either."""
    operation = "Read" if example % 2 == 0 else "Write"
    return {operation: target.call("svc", operation, {"x": example}, principal="arn:aws:iam::1:role/r").code}


def test_one_defect_on_several_operations_is_one_finding() -> None:
    """Facts of other names, the same answer (OK where the model refuses) on a call of the same service: one
    finding, not one per operation."""
    result = run_rule(make_rule(scen=_two_operations), FakeTarget(threshold=1000), FakeTarget(), profile=FAST,
                      seed=0, replay="r")
    assert result.verdict is Verdict.NONCONFORMANT
    assert [f.signature for f in result.findings] == ['svc: "AccessDeniedException" vs "OK"']


def test_a_response_lacking_what_the_model_has_is_checked() -> None:
    from kms_conformance.targets.recording import Recorded, to_calls, until_divergence

    def listed(n: int) -> Recorded:
        return Recorded("kms", "ListGrants", {"KeyId": "k"}, None, Outcome(ok=True, value={"Grants": [{}] * n}))

    stage = Recorded("kms", "CreateKey", {}, None, Outcome(ok=True, value={"KeyId": "k"}), role="stage")
    calls = to_calls([stage, listed(0)], [stage, listed(1)])
    assert calls[1].expected == {"code": "OK", "checks": [{"path": ["Grants"], "length": 1}]}
    assert [c["operation"] for c in until_divergence([dataclasses.asdict(c) for c in calls])] == \
        ["CreateKey", "ListGrants"]
    same = to_calls([stage, listed(1)], [stage, listed(1)])
    assert same[1].expected == {"code": "OK"}
    assert until_divergence([dataclasses.asdict(c) for c in same]) == []  # nothing shows a divergence


def test_findings_are_the_same_for_the_same_seed() -> None:
    def once() -> Any:
        r = run_rule(make_rule(scen=_with_feature), TwoBugs(), FakeTarget(), profile=FAST, seed=3, replay="r")
        return [(f.signature, f.counterexample) for f in r.findings]

    assert once() == once()


def test_recorded_responses_are_trimmed_to_their_ids() -> None:
    from kms_conformance.targets.recording import trimmed

    big = {"KeyMetadata": {"KeyId": "k", "Arn": "arn:aws:kms:us-east-1:1:key/k", "Description": "d" * 5000},
           "Items": [{"Name": "n", "Blob": "x" * 10}], "ResponseMetadata": {"RequestId": "r"}}
    assert trimmed(big) == {"KeyMetadata": {"KeyId": "k", "Arn": "arn:aws:kms:us-east-1:1:key/k"},
                            "Items": [{"Name": "n"}], "_trimmed": True}
    assert trimmed({"Plaintext": b"\xff", "ResponseMetadata": {}}) == {"Plaintext": {"base64": "/w=="}}


def test_same_seed_same_verdicts_and_counterexample() -> None:
    def once(seed: int) -> tuple[Any, ...]:
        r = run_rule(make_rule(strategy=lambda: st.lists(st.integers(0, 100), min_size=1).map(max)),
                     FakeTarget(threshold=60), FakeTarget(), profile=FAST, seed=seed, replay="r")
        return r.verdict, r.counterexample, r.examples, r.expected, r.observed

    assert once(7) == once(7)
    assert once(7)[1] == 50


def test_shrink_budget_bounds_shrinking_but_keeps_a_failing_example() -> None:
    tight = dataclasses.replace(FAST, shrink_budget=1)
    target = FakeTarget(threshold=1000)
    result = run_rule(make_rule(), target, FakeTarget(threshold=0), profile=tight, seed=0, replay="r")
    assert result.verdict is Verdict.NONCONFORMANT
    assert isinstance(result.counterexample, int) and result.counterexample < 1000


def test_lifecycle_rules_get_fewer_examples() -> None:
    result = run_rule(make_rule(lifecycle=True), FakeTarget(), FakeTarget(), profile=FAST, seed=0, replay="r")
    assert result.examples == FAST.lifecycle_examples


@pytest.mark.parametrize("name", ["moto", "model"])
def test_config_only_rule_is_skipped_on_other_targets(name: str) -> None:
    # What the target declares decides, not its name.
    rule = dataclasses.replace(make_rule(), behavior=None, check=lambda setup: [])
    result = run_rule(rule, FakeTarget(name=name), FakeTarget(), profile=FAST, seed=0, replay="r")
    assert result.verdict is Verdict.SKIPPED
    assert result.detail == runner.STATIC_DETAIL


def test_only_the_model_target_and_config_are_the_reference() -> None:
    from kms_conformance.targets.boto import BotoTarget
    from kms_conformance.targets.model import ModelTarget

    assert ModelTarget().is_reference and not BotoTarget.is_reference
    assert not MutantTarget(ModelTarget(), flips=()).is_reference
    assert TargetConfig(name="model").is_reference
    assert not TargetConfig(name="moto").is_reference and not TargetConfig(name="aws").is_reference


def test_jsonable_counterexample() -> None:
    value = runner.jsonable({"b": b"\x00\x01", "s": frozenset({"b", "a"}), "t": (1, 2)})
    assert value == {"b": {"$bytes": "AAE="}, "s": ["'a'", "'b'"] if False else ["a", "b"], "t": [1, 2]}
    json.dumps(value)


# -- run(): selection, baseline, interruption, a dying target ---------------------------------------


RULES = (make_rule("FAKE-01"), make_rule("FAKE-02"), make_rule("OTHER-01"))


def options(tmp_path: Path, **kw: Any) -> RunOptions:
    base: dict[str, Any] = {"target": TargetConfig(name="moto", run_id="t"), "profile": "ci", "seed": 0,
                            "report_dir": tmp_path}
    base.update(kw)
    return RunOptions(**base)


def run_fake(tmp_path: Path, target: FakeTarget | None = None, catalogue: tuple[Rule, ...] = RULES,
             **kw: Any) -> Any:
    built = target or FakeTarget(threshold=60)
    seen: list[str] = []
    report = run(options(tmp_path, **kw), progress=lambda r: seen.append(r.rule_id), catalogue=catalogue,
                 build_target=lambda cfg: built, build_reference=lambda t: FakeTarget(),
                 today=date(2026, 11, 24))
    return report, seen, built


def test_run_selects_rules_by_prefix_and_keeps_catalogue_order(tmp_path: Path) -> None:
    report, seen, target = run_fake(tmp_path, rules=("FAKE-*",))
    assert [r.rule_id for r in report.results] == ["FAKE-01", "FAKE-02"] == seen
    assert all(r.verdict is Verdict.NONCONFORMANT for r in report.results)
    assert report.results[0].replay == "kms-conformance run --replay FAKE-01 --seed 0 --target moto --profile ci"
    assert target.closed
    assert report.meta.target == "moto" and report.meta.seed == 0 and not report.meta.incomplete


def test_run_unknown_rule_is_usage_error(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="NOPE-01"):
        run_fake(tmp_path, rules=("NOPE-01",))


def test_baseline_known_expired_and_no_longer_observed(tmp_path: Path) -> None:
    conformant = dataclasses.replace(make_rule("GOOD-01"), behavior=Behavior(
        scenario=lambda t, e: {"Op": "fixed"}, examples=lambda: st.just(0)))
    path = tmp_path / "baseline.json"
    path.write_text(json.dumps([
        {"rule": "FAKE-01", "target": "moto", "reason": "tracked in TICKET-1"},
        {"rule": "FAKE-02", "target": "*", "reason": "old", "expires": "2026-01-01"},
        {"rule": "GOOD-01", "target": "moto", "reason": "was broken"},
        {"rule": "OTHER-01", "target": "aws", "reason": "other target only"},
    ]))
    report, _, _ = run_fake(tmp_path, catalogue=(*RULES, conformant), baseline=path)
    by_id = {r.rule_id: r for r in report.results}
    assert by_id["FAKE-01"].known is not None and by_id["FAKE-01"].known.reason == "tracked in TICKET-1"
    assert not by_id["FAKE-01"].fails
    assert by_id["FAKE-02"].known is None and by_id["FAKE-02"].fails  # expired: no longer excuses
    assert by_id["OTHER-01"].known is None  # entry for aws only
    notes = " | ".join(report.meta.baseline_notes)
    assert "FAKE-02 (*) expired on 2026-01-01" in notes
    assert "GOOD-01 (moto) is no longer observed (the rule is now conformant)" in notes
    assert "OTHER-01" not in notes


def test_malformed_baseline_names_file_and_path(tmp_path: Path) -> None:
    from kms_conformance.baseline import load_baseline

    path = tmp_path / "b.json"
    path.write_text(json.dumps([{"rule": "FAKE-01", "target": "moto", "reason": "x", "expires": "soon"}]))
    with pytest.raises(InputError) as err:
        load_baseline(path)
    assert err.value.source == str(path) and err.value.path == "[0].expires"
    path.write_text(json.dumps([{"rule": "FAKE-01", "target": "gcp", "reason": "x"}]))
    with pytest.raises(InputError, match="target is one of") as err:
        load_baseline(path)
    assert err.value.path == "[0].target"
    path.write_text("[{")
    with pytest.raises(InputError, match=r"not valid JSON: .*\(line 1, column 3\)"):
        load_baseline(path)
    path.write_text(json.dumps([{"rule": "FAKE-01", "target": "moto"}]))
    with pytest.raises(InputError) as err:
        load_baseline(path)
    assert err.value.path == "[0].reason"


def test_example_ci_baseline_parses() -> None:
    from kms_conformance.baseline import load_baseline

    entries = load_baseline(Path(__file__).parent.parent / "examples" / "ci" / "baseline.json")
    assert entries == (BaselineEntry("FORECAST-01", "aws", entries[0].reason, date(2027, 3, 31)),)


def test_ctrl_c_marks_the_report_incomplete(tmp_path: Path) -> None:
    def interrupted(target: Target, example: int) -> dict[str, Any]:
        raise KeyboardInterrupt

    rules = (make_rule("FAKE-01"), make_rule("FAKE-02", scen=interrupted), make_rule("FAKE-03"))
    report, seen, target = run_fake(tmp_path, catalogue=rules)
    assert report.meta.incomplete
    assert seen == ["FAKE-01"]
    assert [r.verdict for r in report.results] == [Verdict.NONCONFORMANT, Verdict.SKIPPED, Verdict.SKIPPED]
    assert "interrupted" in report.results[1].detail
    assert target.closed


def test_a_target_that_dies_mid_run(tmp_path: Path) -> None:
    rules = tuple(make_rule(f"FAKE-0{i}") for i in range(1, 5))
    report, seen, _ = run_fake(tmp_path, target=FakeTarget(threshold=50, die_after=PROFILES["ci"].max_examples + 10),
                               catalogue=rules)
    verdicts = [r.verdict for r in report.results]
    assert verdicts[0] is Verdict.CONFORMANT
    assert verdicts[1:] == [Verdict.ERROR] * 3
    assert all("ConnectionError: target went away" in r.detail for r in report.results[1:])
    assert len(seen) == 4 and not report.meta.incomplete


def test_workers_give_the_same_results_in_catalogue_order(tmp_path: Path) -> None:
    rules = tuple(make_rule(f"FAKE-0{i}") for i in range(1, 5))
    serial, _, _ = run_fake(tmp_path, catalogue=rules)
    parallel, seen, _ = run_fake(tmp_path, catalogue=rules, workers=2)
    assert [r.rule_id for r in parallel.results] == [r.rule_id for r in serial.results]
    assert sorted(seen) == [r.rule_id for r in serial.results]
    strip = [(r.verdict, r.counterexample, r.examples) for r in serial.results]
    assert [(r.verdict, r.counterexample, r.examples) for r in parallel.results] == strip


def test_profiles() -> None:
    assert set(PROFILES) == {"dev", "ci", "nightly", "sandbox"}
    assert (PROFILES["sandbox"].max_examples < PROFILES["dev"].max_examples < PROFILES["ci"].max_examples
            < PROFILES["nightly"].max_examples)
    assert all(p.lifecycle_examples < p.max_examples for p in PROFILES.values())
    assert not PROFILES["ci"].database and not PROFILES["sandbox"].database
    # a real account pays for every shrink step in keys and settle time
    assert PROFILES["sandbox"].shrink_budget < PROFILES["dev"].shrink_budget


def test_plugin_and_cli_offer_every_profile() -> None:
    """The CLI and the pytest plugin keep their choices literal (cheap imports): they must not drift."""
    from kms_conformance.cli import build_parser
    from kms_conformance.pytest_plugin import RUN_PROFILES

    assert set(RUN_PROFILES) == set(PROFILES)
    build_parser().parse_args(["run", "--profile", "sandbox"])


# -- config-only rules on the model: the spec checked against its own ServiceSpec -------------------


def _service_spec(mutators: dict[str, Any]) -> Any:
    from kms_conformance.rules import ServiceSpec

    def compliant() -> Any:
        return st.integers(0, 5).map(lambda n: {"service": "forecast", "request": {"Flag": True, "n": n}})

    return ServiceSpec("forecast", compliant, mutators, parse_request=lambda setup: setup.request)


def _flag_off(setup: dict[str, Any]) -> Any:
    return st.just({**setup, "request": {**setup["request"], "Flag": False}})


def _config_rule(rule_id: str, check: Any, service: str = "forecast") -> Rule:
    return dataclasses.replace(make_rule(rule_id), behavior=None, check=check, service=service)


def _needs_flag(setup: Any) -> list[str]:
    return [] if setup.request.get("Flag") else ["request.Flag is off"]


@pytest.mark.parametrize(("rule_id", "check", "service", "mutators", "verdict", "detail"), [
    ("CFG-01", _needs_flag, "forecast", {"CFG-01": _flag_off}, Verdict.CONFORMANT, ""),
    ("CFG-02", lambda s: [], "forecast", {"CFG-02": _flag_off}, Verdict.NONCONFORMANT, "mutator for CFG-02"),
    ("CFG-03", lambda s: ["always"], "forecast", {"CFG-03": _flag_off}, Verdict.NONCONFORMANT, "compliant forecast"),
    ("CFG-04", _needs_flag, "forecast", {}, Verdict.ERROR, "no mutator for CFG-04"),
    ("KMS-99", _needs_flag, "kms", {}, Verdict.CONFORMANT, "only compliant setups"),
])
def test_config_rule_on_the_model(monkeypatch: pytest.MonkeyPatch, rule_id: str, check: Any, service: str,
                                  mutators: dict[str, Any], verdict: Verdict, detail: str) -> None:
    import kms_conformance.rules as rules_mod

    monkeypatch.setattr(rules_mod, "services", lambda: {"forecast": _service_spec(mutators)})
    rule = _config_rule(rule_id, check, service)
    result = run_rule(rule, FakeTarget(is_reference=True), FakeTarget(), profile=FAST, seed=0, replay="r")
    assert result.verdict is verdict, result.detail
    assert detail in result.detail
    if verdict is Verdict.NONCONFORMANT:
        assert result.counterexample and result.replay == "r"


def test_workers_report_the_target_meta(tmp_path: Path) -> None:
    report, _, _ = run_fake(tmp_path, catalogue=RULES[:2], workers=2)
    assert report.meta.account == "123456789012" and report.meta.target_version == "fake 1"


def test_redact_account_masks_it_everywhere(tmp_path: Path) -> None:
    def leaky(target: Target, example: int) -> dict[str, Any]:
        return {"arn": f"arn:aws:iam::{target.account}:role/r", "Op": target.call("svc", "Op", {"x": example}).code}

    report, _, _ = run_fake(tmp_path, catalogue=(make_rule("FAKE-01", scen=leaky),), redact_account=True)
    text = json.dumps(__import__("kms_conformance.verdicts", fromlist=["x"]).report_to_dict(report))
    assert report.results[0].verdict is Verdict.NONCONFORMANT
    assert "123456789012" not in text and "arn:aws:iam::************:role/r" in text


def test_each_worker_closes_its_own_target(tmp_path: Path) -> None:
    marker = tmp_path / "closed"

    class Closing(FakeTarget):
        def close(self) -> None:
            with open(marker, "a") as fh:
                fh.write("closed\n")

    rules = tuple(make_rule(f"FAKE-0{i}") for i in range(1, 5))
    run(options(tmp_path, workers=2), catalogue=rules, build_target=lambda cfg: Closing(),
        build_reference=lambda t: FakeTarget())
    assert marker.read_text().splitlines() == ["closed", "closed"]


def test_a_broken_strategy_or_compare_is_an_error() -> None:
    def boom(_: Any) -> int:
        raise RuntimeError("strategy bug")

    broken_strategy = make_rule(strategy=lambda: st.integers(0, 3).map(boom))
    result = run_rule(broken_strategy, FakeTarget(), FakeTarget(), profile=FAST, seed=0, replay="r")
    assert result.verdict is Verdict.ERROR and "RuntimeError: strategy bug" in result.detail

    def bad_compare(expected: Any, observed: Any) -> str | None:
        raise KeyError("compare bug")

    rule = make_rule()
    assert rule.behavior is not None
    broken_compare = dataclasses.replace(rule, behavior=dataclasses.replace(rule.behavior, compare=bad_compare))
    result = run_rule(broken_compare, FakeTarget(), FakeTarget(), profile=FAST, seed=0, replay="r")
    assert result.verdict is Verdict.ERROR and "the rule's compare failed: KeyError" in result.detail
