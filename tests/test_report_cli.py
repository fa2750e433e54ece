"""``kms-conformance report compare`` and ``report render``, end to end through the CLI."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest
from kms_conformance.cli import main
from kms_conformance.report import compare, write_reports
from kms_conformance.verdicts import KnownDivergence, Report, Verdict
from report_samples import MWAA, result, sample_report


def _report(*results: object, **meta: object) -> Report:
    return Report(meta=sample_report(**meta).meta, results=tuple(results))  # type: ignore[arg-type]


OLD = _report(
    result("R-01", Verdict.CONFORMANT), result("R-02", Verdict.CONFORMANT), result("R-03", Verdict.NONCONFORMANT),
    result("R-04", Verdict.ERROR), result("R-05", Verdict.CONFORMANT), result("R-06", Verdict.CONFORMANT),
    result("R-07", Verdict.SKIPPED), result("R-08", Verdict.UNSUPPORTED, unsupported_operation="mwaa:X"),
    result("R-09", Verdict.NONCONFORMANT, known=KnownDivergence("R-09", "moto", "known")),
)
NEW = _report(
    result("R-01", Verdict.NONCONFORMANT, detail="CreateGrant: expected 'OK'"),  # regression
    result("R-02", Verdict.ERROR, detail="boom"),  # regression
    result("R-03", Verdict.CONFORMANT),  # fix
    result("R-04", Verdict.CONFORMANT),  # fix
    result("R-05", Verdict.UNSUPPORTED, unsupported_operation="forecast:CreatePredictor"),  # newly unsupported
    result("R-06", Verdict.CONFORMANT),  # unchanged
    result("R-07", Verdict.CONFORMANT),  # other
    result("R-08", Verdict.CONFORMANT),  # other (newly supported)
    result("R-09", Verdict.NONCONFORMANT),  # the baseline no longer covers it: regression
    result("R-10", Verdict.CONFORMANT),  # new
)


def ids(changes: tuple) -> list[str]:  # type: ignore[type-arg]
    return [c.rule_id for c in changes]


def test_compare_classifies_every_change() -> None:
    c = compare(OLD, NEW)
    assert ids(c.regressions) == ["R-01", "R-02", "R-09"]
    assert ids(c.fixes) == ["R-03", "R-04"]
    assert ids(c.newly_unsupported) == ["R-05"] and "forecast:CreatePredictor" in c.newly_unsupported[0].detail
    assert ids(c.new_rules) == ["R-10"]
    assert ids(c.removed_rules) == []
    assert ids(c.other) == ["R-07", "R-08"]
    assert c.regressed
    back = compare(NEW, OLD)
    assert ids(back.removed_rules) == ["R-10"] and ids(back.regressions) == ["R-03", "R-04"]


def test_compare_identical_reports_is_quiet() -> None:
    c = compare(OLD, OLD)
    assert not c.regressed and not any(c.to_dict()[k] for k in ("fixes", "new_rules", "removed_rules", "other"))


def _write(tmp_path: Path, name: str, report: Report) -> str:
    d = tmp_path / name
    return str(write_reports(report, d, formats=("json",))["json"])


def test_cli_compare_exit_status_and_text(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    old, new = _write(tmp_path, "old", OLD), _write(tmp_path, "new", NEW)
    assert main(["report", "compare", old, new]) == 1
    out = capsys.readouterr().out
    assert "Regressions (3):" in out and "R-01 title of R-01: conformant -> nonconformant" in out
    assert "Fixes (2):" in out and "New rules (1):" in out and "3 regression(s)" in out
    assert main(["report", "compare", new, new]) == 0
    assert "no change" in capsys.readouterr().out
    assert main(["report", "compare", new, old]) == 1  # regress the other way round


def test_cli_compare_json(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    old, new = _write(tmp_path, "old", OLD), _write(tmp_path, "new", NEW)
    assert main(["report", "compare", old, new, "--json"]) == 1
    data = json.loads(capsys.readouterr().out)
    assert data["regressed"] is True
    assert [c["rule_id"] for c in data["regressions"]] == ["R-01", "R-02", "R-09"]
    assert data["regressions"][0] == {"rule_id": "R-01", "title": "title of R-01", "old": "conformant",
                                      "new": "nonconformant", "detail": "CreateGrant: expected 'OK'"}
    assert [c["rule_id"] for c in data["newly_unsupported"]] == ["R-05"]


def test_standard_input_holds_one_report(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                        monkeypatch: pytest.MonkeyPatch) -> None:
    """``-`` reads standard input, which holds one report: given twice, the second would read nothing."""
    import io

    old = _write(tmp_path, "old", OLD)
    monkeypatch.setattr("sys.stdin", io.StringIO(Path(old).read_text()))
    assert main(["report", "compare", "-", old]) == 0
    assert "no change" in capsys.readouterr().out
    for argv in (["compare", "-", "-"], ["matrix", "a=-", "b=-"], ["matrix", "-", old, "-"]):
        monkeypatch.setattr("sys.stdin", io.StringIO(Path(old).read_text()))
        assert main(["report", *argv]) == 2, argv
        err = capsys.readouterr().err
        assert err == "kms-conformance: error: - (standard input) can be given once: it holds one report\n", err


def test_cli_compare_bad_file_is_one_line_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    good = _write(tmp_path, "old", OLD)
    bad = tmp_path / "bad.json"
    data = json.loads(Path(good).read_text())
    data["results"][3]["verdict"] = "green"
    bad.write_text(json.dumps(data))
    assert main(["report", "compare", good, str(bad)]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1
    assert str(bad) in err and "results[3].verdict" in err and "Traceback" not in err


def test_cli_render_to_stdout_and_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    src = _write(tmp_path, "r", sample_report())
    assert main(["report", "render", src, "--format", "md"]) == 0
    assert capsys.readouterr().out.startswith("## kms-conformance: FAILED")
    out = tmp_path / "page.html"
    assert main(["report", "render", src, "--format", "html", "-o", str(out)]) == 0
    assert out.read_text().startswith("<!DOCTYPE html>")
    assert main(["report", "render", src, "--format", "junit"]) == 0
    assert capsys.readouterr().out.startswith('<?xml version="1.0"')


def test_cli_render_refuses_to_overwrite_without_force(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    src = _write(tmp_path, "r", sample_report())
    out = tmp_path / "junit.xml"
    out.write_text("keep me")
    assert main(["report", "render", src, "--format", "junit", "-o", str(out)]) == 2
    assert "--force" in capsys.readouterr().err
    assert out.read_text() == "keep me"
    assert main(["report", "render", src, "--format", "junit", "-o", str(out), "--force"]) == 0
    assert out.read_text().startswith("<?xml")


def test_cli_render_incomplete_report(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    report = sample_report(incomplete=True, finished=None)
    report = replace(report, results=tuple(r for r in report.results if r.doc != MWAA))
    src = _write(tmp_path, "r", report)
    for fmt in ("md", "html", "junit"):
        assert main(["report", "render", src, "--format", fmt]) == 0
        assert "INCOMPLETE RUN" in capsys.readouterr().out


def test_cli_render_malformed_json(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "report.json"
    bad.write_text("{not json")
    assert main(["report", "render", str(bad), "--format", "md"]) == 2
    err = capsys.readouterr().err
    assert str(bad) in err and "not valid JSON" in err and len(err.strip().splitlines()) == 1
