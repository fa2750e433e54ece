"""``kms-conformance check`` end to end on the worked examples in examples/<service>/ and on the
real catalogue: every compliant example passes, every broken variant names the rule it breaks."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from kms_conformance.cli import main
from kms_conformance.rules import catalogue
from kms_conformance.setup import SERVICES

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
COMPLIANT = sorted(EXAMPLES.glob("*/setup.json"))
BROKEN = sorted(EXAMPLES.glob("*/broken-*.json"))

#: The rules each broken variant is written to break (the spec modules' tests say the same).
NAMED = {
    "forecast/broken-no-creategrant.json": {"FORECAST-11"},
    "forecast/broken-caller-decrypt.json": {"FORECAST-13"},
    "forecast/broken-sample-region.json": {"FORECAST-10", "FORECAST-11", "FORECAST-12"},
    "forecast/broken-no-caller-account.json": {"FORECAST-14"},
    "feature-store/broken-shared-key.json": {"FS-06", "FS-10"},
    "feature-store/broken-asymmetric-online.json": {"FS-03"},
    "feature-store/broken-sample-policy.json": {"FS-11"},
    "mwaa/broken-alias.json": {"MWAA-02"},
    "mwaa/broken-no-logs-statement.json": {"MWAA-08"},
    "mwaa/broken-other-region.json": {"MWAA-01"},
    "mwaa/broken-bucket-region.json": {"MWAA-01"},
    "opensearch-serverless/broken-page-sample-arn.json": {"AOSS-02", "AOSS-05"},
    "opensearch-serverless/broken-no-create-grant.json": {"AOSS-14"},
    "opensearch-serverless/broken-duplicate-prefix.json": {"AOSS-07"},
}


def _name(path: Path) -> str:
    return path.relative_to(EXAMPLES).as_posix()


def _check_json(path: Path, capsys: pytest.CaptureFixture[str]) -> tuple[int, dict]:  # type: ignore[type-arg]
    status = main(["check", str(path), "--json"])
    captured = capsys.readouterr()
    assert captured.err == "", captured.err
    return status, json.loads(captured.out)


def test_every_service_has_worked_examples() -> None:
    for service in SERVICES:
        assert (EXAMPLES / service / "setup.json").is_file(), service
        assert len(list((EXAMPLES / service).glob("broken-*.json"))) >= 2, service
    assert {_name(p) for p in BROKEN} >= set(NAMED)


@pytest.mark.parametrize("path", COMPLIANT, ids=_name)
def test_compliant_example_passes(path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    status, data = _check_json(path, capsys)
    assert status == 0 and data["ok"] is True
    assert data["service"] == path.parent.name and data["source"] == str(path)
    assert not [f for f in data["findings"] if f["status"] in ("violated", "error")]
    services = {r.id: r.service for r in catalogue()}
    assert {services[f["rule"]] for f in data["findings"]} == {"kms", path.parent.name}
    assert any(f["status"] == "holds" for f in data["findings"] if services[f["rule"]] == path.parent.name)


@pytest.mark.parametrize("path", BROKEN, ids=_name)
def test_broken_example_names_the_rule(path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    status, data = _check_json(path, capsys)
    violated = {f["rule"]: f for f in data["findings"] if f["status"] == "violated"}
    assert violated, "a broken example must break a rule"
    named = NAMED.get(_name(path), set())
    assert named <= set(violated), f"expected {named} violated, got {sorted(violated)}"
    for f in violated.values():
        assert f["reasons"] and f["quote"] and f["doc"] and f["section"]
    must = any(f["severity"] == "must" for f in violated.values())
    assert status == (1 if must else 0) and data["ok"] is (not must)
    # The text output names the rule, its sentence and the reasons too.
    assert main(["check", str(path)]) == status
    out = capsys.readouterr().out
    for rule_id, f in violated.items():
        assert f"{'FAIL' if f['severity'] == 'must' else 'WARN'} {rule_id} [{f['severity']}]" in out
        assert f["quote"] in out and f"- {f['reasons'][0]}" in out


def test_rules_json_lists_the_whole_catalogue(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["rules", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert [r["id"] for r in data] == [r.id for r in catalogue()]
    assert {r["service"] for r in data} == {"kms", *SERVICES}
    assert main(["rules", "--json", "--service", "mwaa", "--kind", "config"]) == 0
    mwaa = json.loads(capsys.readouterr().out)
    assert mwaa and all(r["service"] == "mwaa" and "config" in r["kind"] for r in mwaa)


def test_check_rules_option_on_a_broken_example(capsys: pytest.CaptureFixture[str]) -> None:
    path = EXAMPLES / "mwaa" / "broken-alias.json"
    assert main(["check", str(path), "--rules", "MWAA-01", "--json"]) == 0  # the broken rule is not selected
    assert [f["rule"] for f in json.loads(capsys.readouterr().out)["findings"]] == ["MWAA-01"]
    assert main(["check", str(path), "--rules", "MWAA-*"]) == 1


@pytest.mark.parametrize("service", SERVICES)
def test_generated_setups_through_the_file_format(service: str, tmp_path: Path) -> None:
    """Compliant setups drawn from the service's strategy pass `check` after a trip through a JSON
    file; each mutator's setup fails the rule it targets (through the CLI, as a user would see it)."""
    import contextlib
    import io

    from hypothesis import given, reject, settings
    from hypothesis import strategies as st
    from kms_conformance.rules import services
    from kms_conformance.strategies.mutators import NotApplicable

    spec = services()[service]
    path = tmp_path / "setup.json"

    def run(setup: dict) -> dict:  # type: ignore[type-arg]
        path.write_text(json.dumps(setup))
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            status = main(["check", str(path), "--json"])
        data = json.loads(out.getvalue())
        assert status == (0 if data["ok"] else 1)
        return data

    @settings(max_examples=3, deadline=None, database=None)
    @given(st.data())
    def compliant(data: st.DataObject) -> None:
        result = run(data.draw(spec.compliant()))
        assert result["ok"], [f for f in result["findings"] if f["status"] != "holds"]

    @settings(max_examples=3, deadline=None, database=None)
    @given(st.data())
    def mutated(data: st.DataObject) -> None:
        rule_id = data.draw(st.sampled_from(sorted(spec.mutators)))
        setup = data.draw(spec.compliant())
        try:
            mutation = spec.mutators[rule_id](setup)
        except NotApplicable:
            reject()
        result = run(data.draw(mutation))
        statuses = {f["rule"]: f["status"] for f in result["findings"]}
        assert statuses[rule_id] == "violated", (rule_id, statuses)

    compliant()
    if spec.mutators:
        mutated()
