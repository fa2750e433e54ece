"""``kms-conformance rules``: table, --json, filters, and a loud failure when a spec module is missing."""

from __future__ import annotations

import json

import pytest
from fake_catalogue import FORECAST, install
from kms_conformance import rules as R
from kms_conformance.cli import main


@pytest.fixture
def fake(monkeypatch: pytest.MonkeyPatch) -> None:
    install(monkeypatch)


@pytest.mark.usefixtures("fake")
def test_table_lists_every_rule(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["rules"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split() == ["ID", "SEVERITY", "KIND", "SERVICE", "TITLE"]
    count = lines.index("5 rule(s)")
    ids = [line.split()[0] for line in lines[1:count]]
    assert ids == ["MWAA-T1", "MWAA-T2", "KMS-T1", "FORECAST-T1", "FORECAST-T2"]
    row = next(line for line in lines if line.startswith("MWAA-T2"))
    assert row.split()[:4] == ["MWAA-T2", "should", "config", "mwaa"] and row.endswith("Use a symmetric key")
    # then the pages the rules cite, each with its English title and the URL of the AWS page
    assert lines[count + 1] == "Sources:"
    assert any(line.strip().startswith("mwaa (003_38db2e13c46896ae.txt): Using customer managed keys for encryption")
               and line.endswith("https://docs.aws.amazon.com/mwaa/latest/userguide/custom-keys-certs.html")
               for line in lines[count + 2:])


@pytest.mark.usefixtures("fake")
def test_json_is_rule_summary(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["rules", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data == [r.summary() for r in R.catalogue()]
    first = data[0]
    assert {"id", "title", "doc", "section", "quote", "severity", "kind", "operations"} <= set(first)
    assert first["id"] == "MWAA-T1" and first["operations"] == ["CreateEnvironment"] and first["kind"] == ["config"]


@pytest.mark.usefixtures("fake")
@pytest.mark.parametrize(("argv", "expected"), [
    (["--doc", "forecast"], ["KMS-T1", "FORECAST-T1", "FORECAST-T2"]),
    (["--doc", FORECAST, "--kind", "behavior"], ["FORECAST-T2"]),
    (["--severity", "should"], ["MWAA-T2"]),
    (["--service", "kms"], ["KMS-T1"]),
    (["--service", "mwaa", "--severity", "must"], ["MWAA-T1"]),
    (["--doc", "mwaa", "--doc", "forecast", "--kind", "config"], ["MWAA-T1", "MWAA-T2", "KMS-T1", "FORECAST-T1"]),
])
def test_filters(argv: list[str], expected: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["rules", "--json", *argv]) == 0
    assert [r["id"] for r in json.loads(capsys.readouterr().out)] == expected


@pytest.mark.usefixtures("fake")
def test_unknown_doc_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["rules", "--doc", "lambda"]) == 2
    err = capsys.readouterr().err
    assert "unknown document 'lambda'" in err and len(err.strip().splitlines()) == 1


def test_missing_spec_module_fails_loudly(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    install(monkeypatch)
    monkeypatch.setattr(R, "SPEC_MODULES", ("kms_conformance.specs.does_not_exist",))
    assert main(["rules"]) == 2
    err = capsys.readouterr().err
    assert "kms_conformance.specs.does_not_exist" in err and "cannot be loaded" in err
    assert main(["rules", "--json"]) == 2
