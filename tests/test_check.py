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
    "request": {"CreateEnvironment": {  # every member botocore's mwaa model requires, and the key
        "Name": "env", "KmsKey": KEY, "ExecutionRoleArn": "arn:aws:iam::111122223333:role/Exec",
        "SourceBucketArn": "arn:aws:s3:::dags", "DagS3Path": "dags",
        "NetworkConfiguration": {"SubnetIds": ["subnet-1", "subnet-2"], "SecurityGroupIds": ["sg-1"]}}},
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
    # the page by short name, file, English title and URL, then the section and the quote
    assert ("      forecast (004_1f23ff3028fec3c5.txt): Data Protection in Amazon Forecast, "
            "https://docs.aws.amazon.com/forecast/latest/dg/data-protection.html") in lines
    assert '      section "KMS": "the key must be enabled"' in lines
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
    declared = variant(request__CreateEnvironment__KmsKey=other)
    declared["keys"].append({"arn": other, "external": True})  # declared, not described: find_key is None
    assert main(["check", write(tmp_path, declared)]) == 1
    out = capsys.readouterr().out
    assert "FAIL MWAA-T1 [must]" in out and f"KmsKey '{other}' is not a key of the setup" in out
    assert f"{MWAA}): " in out and 'section "Create an environment": "KmsKey must name your key"' in out


def test_cli_json(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = write(tmp_path, variant(keys__0__keyState="PendingDeletion"))
    assert main(["check", path, "--json"]) == 1
    data = json.loads(capsys.readouterr().out)
    assert data["source"] == path and data["service"] == "mwaa" and data["ok"] is False
    kms = next(f for f in data["findings"] if f["rule"] == "KMS-T1")
    assert kms == {"rule": "KMS-T1", "title": "The key is enabled", "severity": "must", "status": "violated",
                   "reasons": [f"{KEY} is PendingDeletion"], "doc": "004_1f23ff3028fec3c5.txt", "section": "KMS",
                   "quote": "the key must be enabled", "quote_en": None,
                   "page": {"title": "Data Protection in Amazon Forecast", "lang": "en",
                            "url": "https://docs.aws.amazon.com/forecast/latest/dg/data-protection.html"}}
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
    (variant(request__CreateEnvironment__KmsKey=42), "request.CreateEnvironment.KmsKey", "expected str, got number"),
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


UNDOCUMENTED = {"Version": "2012-10-17", "Statement": [
    POLICY["Statement"][0],
    {"Sid": "Plain", "Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::111122223333:role/App"},
     "Action": "kms:Decrypt", "Resource": "*",
     "Condition": {"StringEquals": {"kms:EncryptionContextKeys": "Dept"}}}]}
ANY_IF_EXISTS = {"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Action": "kms:Encrypt", "Resource": "*",
     "Condition": {"ForAnyValue:StringLikeIfExists": {"aws:TagKeys": "team*"}}}]}


def test_cli_warns_when_a_policy_relies_on_undocumented_behaviour(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Where AWS documents nothing (an operator without set qualifier on a multivalued key;
    ``ForAnyValue:...IfExists``), ``check`` prints a warning line; the exit status is unchanged."""
    data = variant(keys__0__policy=UNDOCUMENTED)
    data["identityPolicies"] = {"arn:aws:iam::111122223333:role/App": [ANY_IF_EXISTS]}
    data["caller"] = "arn:aws:iam::111122223333:role/App"
    path = write(tmp_path, data)
    assert main(["check", path, "--color", "never"]) == 0
    out = capsys.readouterr().out
    warnings = [line for line in out.splitlines() if line.startswith("warning: ")]
    assert len(warnings) == 2
    assert "keys[0].policy Statement[1].Condition.StringEquals.kms:EncryptionContextKeys" in warnings[0]
    assert "ForAnyValue:StringLikeIfExists.aws:TagKeys" in warnings[1]
    assert all("AWS does not document" in w for w in warnings)
    assert main(["check", path, "--json"]) == 0
    assert len(json.loads(capsys.readouterr().out)["warnings"]) == 2
    assert main(["check", write(tmp_path, SETUP, "plain.json"), "--color", "never"]) == 0
    assert "warning:" not in capsys.readouterr().out
    failing = variant(keys__0__policy=UNDOCUMENTED, keys__0__keyState="PendingDeletion")
    assert main(["check", write(tmp_path, failing, "failing.json"), "--color", "never"]) == 1
    assert "warning: " in capsys.readouterr().out
