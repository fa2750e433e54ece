"""Reproduction scripts (``kms_conformance.report.repro``, ``kms-conformance report repro``).

Findings are made by running real rules' scenarios: once on moto in process and once on the reference
model, each through a recording wrapper that keeps every call in the finding format of report@2
(calls made as a role are the subject, the others stage; the subject's ``expected`` is the model's
answer to the same call). Each emitted script then fails under moto (which does not enforce key
policies) with an AssertionError naming the subject call, and passes under the model backend.
"""

from __future__ import annotations

import base64
import datetime as dt
import html
import json
import os
import runpy
import subprocess
import sys
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest
from kms_conformance.cli import main as cli_main
from kms_conformance.report.html import render_html
from kms_conformance.report.markdown import render_markdown
from kms_conformance.report.repro import ReproUnavailable, find_result, repro_script
from kms_conformance.rules import catalogue
from kms_conformance.scrub import REDACTED
from kms_conformance.targets import TargetConfig, make_target
from kms_conformance.targets.base import Outcome, Target
from kms_conformance.targets.model import ModelTarget
from kms_conformance.targets.model_backend import model_backend
from kms_conformance.verdicts import SCHEMA, Report, report_from_dict, report_to_dict

ROOT = Path(__file__).resolve().parents[1]
RUFF = [sys.executable, "-m", "ruff"]  # ruff is in the test extra


def jsonable(value: Any) -> Any:
    """A response as the finding format keeps it: bytes as {"base64": ...}, dates as ISO text."""
    if isinstance(value, bytes | bytearray):
        return {"base64": base64.b64encode(bytes(value)).decode()}
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    if isinstance(value, Mapping):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [jsonable(v) for v in value]
    return value


class Recording:
    """A target that keeps every call it makes, in the finding format."""

    def __init__(self, target: Target) -> None:
        self.inner = target
        self.name = target.name
        self.account = target.account
        self.region = target.region
        self.is_reference = target.is_reference
        self.calls: list[dict[str, Any]] = []

    def call(self, service: str, operation: str, params: Mapping[str, Any] | None = None, *,
             principal: str | None = None) -> Outcome:
        out = self.inner.call(service, operation, params, principal=principal)
        self.calls.append({
            "service": service, "operation": operation, "params": jsonable(dict(params or {})),
            "principal": principal, "role": "subject" if principal else "stage",
            "outcome": {"code": out.code, "message": out.message},
            "response": jsonable(dict(out.value)) if out.ok else {},
        })
        return out

    def unique(self, prefix: str) -> str:
        return self.inner.unique(prefix)

    def describe(self) -> Mapping[str, Any]:
        return self.inner.describe()

    def close(self) -> None:
        self.inner.close()


@pytest.fixture(scope="module")
def moto_target() -> Iterator[Target]:
    target = make_target(TargetConfig(name="moto", run_id="test-repro"))
    yield target
    target.close()


def finding_result(rule_id: str, example: Any, moto: Target) -> dict[str, Any]:
    """A nonconformant result entry of report@2 for one example of a rule, recorded on moto."""
    rule = next(r for r in catalogue() if r.id == rule_id)
    assert rule.behavior is not None
    on_moto, on_model = Recording(moto), Recording(ModelTarget())
    observed = rule.behavior.scenario(on_moto, example)
    expected = rule.behavior.scenario(on_model, example)
    assert observed != expected, f"{rule_id}: moto agrees with the model on {example}: no finding to reproduce"
    assert [c["operation"] for c in on_moto.calls] == [c["operation"] for c in on_model.calls]
    for call, reference in zip(on_moto.calls, on_model.calls, strict=True):
        if call["role"] == "subject":
            call["expected"] = {"code": reference["outcome"]["code"]}
    first = next(c for c in on_moto.calls if c["role"] == "subject" and c["expected"]["code"] != c["outcome"]["code"])
    signature = f"{first['service']}:{first['operation']} expected {first['expected']['code']} vs " \
                f"{first['outcome']['code']}"
    replay = f"kms-conformance run --rules {rule_id} --seed 0 --target moto"
    return {
        "rule_id": rule.id, "title": rule.title, "doc": rule.citation.doc, "section": rule.citation.section,
        "quote": rule.citation.quote, "severity": rule.severity, "kind": ["behavior"], "verdict": "nonconformant",
        "counterexample": example, "expected": expected, "observed": observed, "replay": replay,
        "findings": [{"signature": signature, "summary": f"{rule.id}: {signature}", "counterexample": example,
                      "expected": expected, "observed": observed, "replay": replay, "calls": on_moto.calls}],
    }


META = {"kit_version": "test", "target": "moto", "target_version": "5", "endpoint": None, "region": "us-east-1",
        "account": "123456789012", "seed": 0, "profile": "dev", "started": "2026-01-01T00:00:00Z"}

#: KMS-11: a key policy allows the role Encrypt only via SageMaker; moto lets the direct call through.
VIA_SERVICE = {"service": "sagemaker", "like": False, "actions": ["kms:Encrypt"], "call": "Encrypt"}
#: KMS-03: the key policy denies the role Decrypt; moto ignores the Deny (the ciphertext comes from an
#: earlier Encrypt: the script must carry it over, not copy it).
DENY_DECRYPT = {"account": "all", "statements": [
    {"Effect": "Deny", "Principal": {"AWS": "<<ROLE>>"}, "Action": ["kms:Decrypt"], "Resource": "*"}],
    "identity": {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "kms:*", "Resource": "*"}]},
    "call": "Decrypt", "context": {"purpose": "repro"}}


@pytest.fixture(scope="module")
def results(moto_target: Target) -> dict[str, dict[str, Any]]:
    return {"KMS-11": finding_result("KMS-11", VIA_SERVICE, moto_target),
            "KMS-03": finding_result("KMS-03", DENY_DECRYPT, moto_target)}


def run_script(path: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    return subprocess.run([sys.executable, str(path)], capture_output=True, text=True, env=env, timeout=120,
                          check=False)


def run_on_model(path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """Run a moto-mode script in process with every boto3 call answered by the reference model."""
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"):
        monkeypatch.setenv(name, "unset")
    with model_backend() as backend:
        runpy.run_path(str(path), run_name="__main__")
    return f"{backend.calls} calls"


@pytest.mark.parametrize("rule_id", ["KMS-11", "KMS-03"])
def test_script_fails_on_moto_and_passes_on_the_model(rule_id: str, results: dict[str, dict[str, Any]],
                                                     tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    result = results[rule_id]
    script = repro_script(result, 0, mode="moto", meta=META)
    path = tmp_path / "repro.py"
    path.write_text(script)
    assert "kms_conformance" not in script
    subject = next(c for c in result["findings"][0]["calls"] if c["role"] == "subject")
    done = run_script(path)
    assert done.returncode != 0
    assert "AssertionError" in done.stderr
    assert f"{rule_id} ({result['title']}): kms:{subject['operation']}" in done.stderr
    assert f"the page says {subject['expected']['code']}" in done.stderr
    run_on_model(path, monkeypatch)
    assert "the target conforms" in capsys.readouterr().out


def test_values_of_earlier_responses_are_not_copied(results: dict[str, dict[str, Any]]) -> None:
    result = results["KMS-03"]
    script = repro_script(result, 0, mode="moto", meta=META)
    calls = result["findings"][0]["calls"]
    key_arn = next(c for c in calls if c["operation"] == "CreateKey")["response"]["KeyMetadata"]["Arn"]
    role_arn = next(c for c in calls if c["operation"] == "CreateRole")["response"]["Role"]["Arn"]
    blob = next(c for c in calls if c["operation"] == "Encrypt")["response"]["CiphertextBlob"]["base64"]
    for recorded in (key_arn, key_arn.rsplit("/", 1)[1], role_arn, blob):
        assert recorded not in script
    assert '"CiphertextBlob": ciphertext_blob_' in script
    assert "json.dumps(" in script  # the key policy is built with the role's new ARN inside
    assert "TOKEN = uuid.uuid4().hex[:6]" in script


def test_script_with_substitutions_runs_twice_against_one_server(results: dict[str, dict[str, Any]],
                                                                tmp_path: Path) -> None:
    """Endpoint mode against one moto server: the second run creates new roles and keys and uses them
    (fresh names, ids taken from the new responses); both runs fail the same way (moto ignores the
    Deny), neither on a stage step."""
    from e2e_support import started_moto_server

    path = tmp_path / "repro.py"
    path.write_text(repro_script(results["KMS-03"], 0, mode="endpoint", meta=META))
    server = started_moto_server()
    try:
        host, port = server.get_host_and_port()
        env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
        env.update(AWS_ACCESS_KEY_ID="testing", AWS_SECRET_ACCESS_KEY="testing")
        for _ in range(2):
            done = subprocess.run([sys.executable, str(path), "--endpoint-url", f"http://{host}:{port}"],
                                  capture_output=True, text=True, env=env, timeout=120, check=False)
            assert "AssertionError" in done.stderr, done.stderr
            assert "stage step" not in done.stderr
            assert "kms:Decrypt" in done.stderr
    finally:
        server.stop()


def test_generated_scripts_are_ruff_clean(results: dict[str, dict[str, Any]], tmp_path: Path) -> None:
    for rule_id, result in results.items():
        for mode in ("moto", "endpoint"):
            path = tmp_path / f"repro_{rule_id.replace('-', '_')}_{mode}.py"
            path.write_text(repro_script(result, 0, mode=mode, meta=META))  # type: ignore[arg-type]
            done = subprocess.run([*RUFF, "check", "--no-cache", "--config", str(ROOT / "pyproject.toml"),
                                   str(path)], capture_output=True, text=True, check=False)
            assert done.returncode == 0, done.stdout + done.stderr


def test_header_names_rule_quote_signature_and_target(results: dict[str, dict[str, Any]]) -> None:
    result = results["KMS-11"]
    script = repro_script(result, 0, mode="moto", meta=META)
    head = script.split("\nimport ", 1)[0]
    assert "Rule KMS-11 [must]" in head
    assert result["findings"][0]["signature"] in head
    assert "on target moto 5" in head
    assert "python repro.py" in head and "Exit status 0" in head
    assert result["quote"][:30] in script


def test_no_finding_or_no_calls_is_unavailable(results: dict[str, dict[str, Any]]) -> None:
    conformant = {**results["KMS-11"], "verdict": "conformant", "findings": []}
    with pytest.raises(ReproUnavailable, match="no findings"):
        repro_script(conformant, 0)
    old = {**results["KMS-11"], "findings": [{**results["KMS-11"]["findings"][0], "calls": []}]}
    with pytest.raises(ReproUnavailable, match="recorded no calls"):
        repro_script(old, 0)
    with pytest.raises(ReproUnavailable, match="--finding takes 1 to 1"):
        repro_script(results["KMS-11"], 3)
    with pytest.raises(ReproUnavailable, match="no result for rule KMS-99"):
        find_result({"results": [results["KMS-11"]]}, "KMS-99")


# -- the command -----------------------------------------------------------------------------------


def write_report(path: Path, results: list[dict[str, Any]], schema: str = SCHEMA) -> Path:
    """A report.json as the kit writes it (through its own serialiser)."""
    data = report_to_dict(report_from_dict({"schema": SCHEMA, "meta": META, "results": results}))
    data["schema"] = schema
    path.write_text(json.dumps(data, default=str))
    return path


def test_command_prints_and_writes(results: dict[str, dict[str, Any]], tmp_path: Path,
                                   capsys: pytest.CaptureFixture[str]) -> None:
    report = write_report(tmp_path / "report.json", list(results.values()))
    assert cli_main(["report", "repro", str(report), "KMS-03"]) == 0
    printed = capsys.readouterr().out
    assert printed.startswith("# Reproduction of kms-conformance finding 1 of rule KMS-03 (moto mode).")
    assert "def main():" in printed and "from moto import mock_aws" in printed
    out = tmp_path / "repro.py"
    assert cli_main(["report", "repro", str(report), "kms-11", "--mode", "endpoint", "-o", str(out)]) == 0
    assert "--endpoint-url" in out.read_text()


def test_command_reads_the_report_from_standard_input(results: dict[str, dict[str, Any]], tmp_path: Path,
                                                      capsys: pytest.CaptureFixture[str],
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    """``-`` is standard input, as for every file the kit reads; it can be read only once."""
    import io

    report = write_report(tmp_path / "report.json", list(results.values()))
    assert cli_main(["report", "repro", str(report), "KMS-11"]) == 0
    from_file = capsys.readouterr().out
    monkeypatch.setattr("sys.stdin", io.StringIO(report.read_text()))
    assert cli_main(["report", "repro", "-", "KMS-11"]) == 0
    assert capsys.readouterr().out == from_file


@pytest.mark.parametrize(("args", "message"), [
    (["KMS-99"], "no result for rule KMS-99"),
    (["KMS-11", "--finding", "2"], "--finding takes 1 to 1"),
    (["KMS-11", "--finding", "0"], "--finding takes 1 to 1"),
])
def test_command_errors_are_one_line(args: list[str], message: str, results: dict[str, dict[str, Any]],
                                     tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    report = write_report(tmp_path / "report.json", list(results.values()))
    assert cli_main(["report", "repro", str(report), *args]) == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1 and "Traceback" not in err


def test_command_refuses_a_report_without_calls(results: dict[str, dict[str, Any]], tmp_path: Path,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    old = {k: v for k, v in results["KMS-11"].items() if k != "findings"}
    report = write_report(tmp_path / "report.json", [old], schema="kms-conformance/report@1")
    data = json.loads(report.read_text())
    for entry in data["results"]:
        entry.pop("findings", None)
    report.write_text(json.dumps(data))
    assert cli_main(["report", "repro", str(report), "KMS-11"]) == 2
    err = capsys.readouterr().err
    assert "report@1" in err and "records no calls" in err and err.count("\n") == 1
    broken = tmp_path / "broken.json"
    broken.write_text("{")
    assert cli_main(["report", "repro", str(broken), "KMS-11"]) == 2
    assert "not valid JSON" in capsys.readouterr().err


# -- the renderers -----------------------------------------------------------------------------------


def report_with_findings(result: dict[str, Any]) -> Report:
    """The report value of a run with this one result (findings, calls: report@2)."""
    return report_from_dict({"schema": SCHEMA, "meta": META, "results": [result]})


def test_markdown_shows_the_repro_command_and_html_the_script(results: dict[str, dict[str, Any]]) -> None:
    report = report_with_findings(results["KMS-11"])
    md = render_markdown(report)
    assert "kms-conformance report repro report.json KMS-11 > repro.py && python repro.py" in md
    assert "def main():" not in md  # the Markdown stays short: a command, never the script
    page = render_html(report)
    assert "<summary>Reproduction of finding 1" in page
    script = repro_script(report.results[0], 0, mode="moto", meta=report.meta)
    assert script == repro_script(results["KMS-11"], 0, mode="moto", meta=META)
    assert html.escape(script) in page


def test_values_the_report_redacted_come_from_the_earlier_response(results: dict[str, dict[str, Any]],
                                                                   tmp_path: Path,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    """The scrubber redacts ciphertexts in report.json (response and parameters alike): the Decrypt
    still takes the new run's ciphertext, from the Encrypt response of the same name."""
    result = json.loads(json.dumps(results["KMS-03"]))
    for call in result["findings"][0]["calls"]:
        for part in (call["params"], call["response"]):
            if "CiphertextBlob" in part:
                part["CiphertextBlob"] = {"base64": REDACTED}
    script = repro_script(result, 0, mode="moto", meta=META)
    assert REDACTED not in script
    assert '"CiphertextBlob": ciphertext_blob_' in script
    path = tmp_path / "repro.py"
    path.write_text(script)
    run_on_model(path, monkeypatch)


def test_deep_values_render_each_level_once_and_unrecovered_values_are_counted_once(
        results: dict[str, dict[str, Any]], monkeypatch: pytest.MonkeyPatch) -> None:
    """A parameter value nested 12 levels deep, too long for one line, renders each of its values about
    once (an item that fits one line is kept when its container breaks into lines: rendering every level
    twice was exponential in the depth); two redacted values no earlier response gave are counted two,
    however often the renderer looked at them."""
    from kms_conformance.report import repro

    result = json.loads(json.dumps(results["KMS-03"]))
    call = result["findings"][0]["calls"][0]
    deep: Any = {"Secret": REDACTED, "Other": REDACTED, "Text": "x" * 30}
    for level in range(12):
        deep = {f"Level{level}": deep, f"Pad{level}": "y" * 20}
    call["params"] = {**call["params"], "Deep": deep}
    rendered: list[Any] = []
    expr = repro._Renderer.expr

    def counted(self: Any, value: Any, *args: Any, **kwargs: Any) -> str:
        rendered.append(value)
        return expr(self, value, *args, **kwargs)

    monkeypatch.setattr(repro._Renderer, "expr", counted)
    script = repro_script(result, 0, mode="moto", meta=META)
    nodes = 1 + 12 * 2 + 3  # the containers, their pads, the innermost three values
    deep_renders = sum(1 for value in rendered if isinstance(value, Mapping) and "Level11" in value)
    assert deep_renders <= 2, deep_renders
    assert len(rendered) < 40 * nodes, len(rendered)
    assert "# 2 parameter value(s) were redacted in the report and came from no earlier response" in script
    assert script.count(f'"{REDACTED}"') == 2
