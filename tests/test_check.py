"""``kms-conformance check`` and :mod:`kms_conformance.check` over a fake catalogue (the real spec modules
and their example files are exercised in tests/test_check_examples.py)."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
from fake_catalogue import MWAA, install
from kms_conformance import rules as R
from kms_conformance.check import Finding, check_setup, format_findings, ok
from kms_conformance.cli import main
from kms_conformance.setup import parse_setup

KEY = "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab"
POLICY = {"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::111122223333:root"}, "Action": "kms:*", "Resource": "*"}]}
SETUP: dict[str, Any] = {
    "service": "mwaa", "account": "111122223333", "region": "us-east-1",
    "keys": [{"arn": KEY, "policy": POLICY}],
    "request": {"CreateEnvironment": {"Name": "env", "KmsKey": KEY}},
}


@pytest.fixture(autouse=True)
def fake(monkeypatch: pytest.MonkeyPatch) -> None:
    install(monkeypatch)


def write(tmp_path: Path, data: Any, name: str = "setup.json") -> str:
    path = tmp_path / name
    path.write_text(data if isinstance(data, str) else json.dumps(data))
    return str(path)


def variant(**changes: Any) -> dict[str, Any]:
    data = copy.deepcopy(SETUP)
    for dotted, value in changes.items():
        node = data
        parts = dotted.split("__")
        for part in parts[:-1]:
            node = node[int(part)] if isinstance(node, list) else node[part]
        node[parts[-1]] = value
    return data


# --- kms_conformance.check ------------------------------------------------------------------------------

def statuses(findings: tuple[Finding, ...]) -> dict[str, str]:
    return {f.rule.id: f.status for f in findings}


def test_compliant_setup_holds_and_other_services_are_left_out() -> None:
    findings = check_setup(parse_setup(SETUP))
    assert statuses(findings) == {"MWAA-T1": "holds", "MWAA-T2": "holds", "KMS-T1": "holds"}
    assert ok(findings)


def test_violations_carry_the_checks_reasons() -> None:
    setup = parse_setup(variant(keys__0__keyState="Disabled", keys__0__keySpec="RSA_2048"))
    findings = check_setup(setup)
    assert statuses(findings) == {"MWAA-T1": "holds", "MWAA-T2": "violated", "KMS-T1": "violated"}
    by_id = {f.rule.id: f for f in findings}
    assert by_id["KMS-T1"].reasons == (f"{KEY} is Disabled",)
    assert by_id["KMS-T1"].fails and not by_id["MWAA-T2"].fails  # should: a warning
    assert not ok(findings)


def test_not_applicable_is_not_holds() -> None:
    data = variant()
    del data["request"]["CreateEnvironment"]["KmsKey"]
    assert statuses(check_setup(parse_setup(data)))["MWAA-T1"] == "not-applicable"


def test_a_check_that_raises_is_an_error_never_holds(monkeypatch: pytest.MonkeyPatch) -> None:
    rules = R.catalogue()

    def broken(setup: Any) -> list[str]:
        raise KeyError("Statement")

    from dataclasses import replace
    rules = tuple(replace(r, check=broken) if r.id == "KMS-T1" else r for r in rules)
    findings = check_setup(parse_setup(SETUP), rules)
    by_id = {f.rule.id: f for f in findings}
    assert by_id["KMS-T1"].status == "error" and "KeyError" in by_id["KMS-T1"].reasons[0]
    assert not ok(findings)


def test_format_findings() -> None:
    setup = parse_setup(variant(keys__0__keyState="Disabled", keys__0__keySpec="RSA_2048"))
    text = format_findings(check_setup(setup))
    lines = text.splitlines()
    assert lines[0] == "   ok MWAA-T1 [must] The KmsKey names a key of the setup"
    assert " WARN MWAA-T2 [should] Use a symmetric key" in lines
    assert " FAIL KMS-T1 [must] The key is enabled" in lines
    assert '      004_1f23ff3028fec3c5.txt, section "KMS": "the key must be enabled"' in lines
    assert f"      - {KEY} is Disabled" in lines
    assert lines[-1] == ("3 rule(s): 1 hold, 1 must rule(s) violated, 1 should rule(s) violated (warnings), "
                         "0 not applicable: FAILED")
    assert "\033[" in format_findings(check_setup(setup), color=True) and "\033[" not in text


# --- the command ---------------------------------------------------------------------------------------

def test_cli_compliant_exit_0(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = write(tmp_path, SETUP)
    assert main(["check", path]) == 0
    out = capsys.readouterr().out
    assert out.startswith(f"{path} (mwaa)") and "FORECAST-T1" not in out and out.rstrip().endswith(": OK")


def test_cli_should_violation_is_a_warning_exit_0(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check", write(tmp_path, variant(keys__0__keySpec="RSA_2048"))]) == 0
    out = capsys.readouterr().out
    assert "WARN MWAA-T2 [should]" in out and f"{KEY} is RSA_2048" in out


def test_cli_must_violation_exit_1_naming_the_rule(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    other = KEY.replace("1234abcd", "9999abcd")
    assert main(["check", write(tmp_path, variant(request__CreateEnvironment__KmsKey=other))]) == 1
    out = capsys.readouterr().out
    assert "FAIL MWAA-T1 [must]" in out and f"KmsKey '{other}' is not a key of the setup" in out
    assert f'{MWAA}, section "Create an environment": "KmsKey must name your key"' in out


def test_cli_json(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = write(tmp_path, variant(keys__0__keyState="PendingDeletion"))
    assert main(["check", path, "--json"]) == 1
    data = json.loads(capsys.readouterr().out)
    assert data["source"] == path and data["service"] == "mwaa" and data["ok"] is False
    kms = next(f for f in data["findings"] if f["rule"] == "KMS-T1")
    assert kms == {"rule": "KMS-T1", "title": "The key is enabled", "severity": "must", "status": "violated",
                   "reasons": [f"{KEY} is PendingDeletion"], "doc": "004_1f23ff3028fec3c5.txt", "section": "KMS",
                   "quote": "the key must be enabled"}
    assert [f["rule"] for f in data["findings"]] == ["MWAA-T1", "MWAA-T2", "KMS-T1"]


def test_cli_rules_filter(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = write(tmp_path, variant(keys__0__keyState="Disabled"))
    assert main(["check", path, "--rules", "MWAA-T1,MWAA-T2", "--json"]) == 0  # KMS-T1 not selected
    assert [f["rule"] for f in json.loads(capsys.readouterr().out)["findings"]] == ["MWAA-T1", "MWAA-T2"]
    assert main(["check", path, "--rules", "kms-*", "--json"]) == 1
    assert main(["check", path, "--rules", "NOPE-01"]) == 2
    assert "unknown rule id 'NOPE-01'" in capsys.readouterr().err


def test_cli_yaml_and_service_override(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    import yaml

    data = variant()
    del data["service"]
    path = write(tmp_path, yaml.safe_dump(data), "setup.yaml")
    assert main(["check", path]) == 2
    assert "which service?" in capsys.readouterr().err
    assert main(["check", path, "--service", "mwaa"]) == 0


@pytest.mark.parametrize(("content", "path_in_message", "problem"), [
    ('{"service": "mwaa", "keys": [', "$", "not valid JSON"),
    (variant(keys__0__keySpec="AES_256"), "keys[0].keySpec", "unknown KeySpec 'AES_256'"),
    (variant(keys__0__multiRegion="yes"), "keys[0].multiRegion", "expected true or false"),
    (variant(request__CreateEnvironment__KmsKey=42), "request.CreateEnvironment.KmsKey", "expected a key ARN string"),
    (variant(service="lambda"), "service", "unknown service 'lambda'"),
    (variant(keys=[{"arn": "arn:aws:encryption:us-east-1:111122223333:key/abc"}]), "keys[0].arn", "not a KMS key ARN"),
    ("[1, 2]", "$", "expected a JSON object"),
])
def test_cli_bad_input_is_one_line_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str], content: Any,
                                          path_in_message: str, problem: str) -> None:
    path = write(tmp_path, content)
    assert main(["check", path]) == 2
    captured = capsys.readouterr()
    err = captured.err.strip()
    assert len(err.splitlines()) == 1 and "Traceback" not in err and captured.out == ""
    assert err.startswith(f"kms-conformance: error: {path}: {path_in_message}: "), err
    assert problem in err


def test_cli_missing_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check", str(tmp_path / "nope.json")]) == 2
    assert "nope.json" in capsys.readouterr().err
