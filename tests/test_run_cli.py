"""``kms-conformance run`` end to end through ``kms_conformance.cli.main``: exit status, files written."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from kms_conformance import runner
from kms_conformance.cli import main
from kms_conformance.rules import Rule
from test_runner import FakeTarget, make_rule


@pytest.fixture
def fake_catalogue(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[dict[str, Any]]:
    """The fake rules of test_runner as the catalogue; targets are FakeTargets (threshold per name)."""
    import kms_conformance.rules as rules_mod

    state: dict[str, Any] = {"rules": (make_rule("FAKE-01"), make_rule("FAKE-02", severity="should")),
                             "threshold": 50}
    monkeypatch.setattr(rules_mod, "catalogue", lambda: state["rules"])
    monkeypatch.setattr(runner, "make_target", lambda cfg: FakeTarget(threshold=state["threshold"], name=cfg.name))
    monkeypatch.setattr(runner, "_model_reference", lambda target: FakeTarget())
    monkeypatch.chdir(tmp_path)
    yield state


def test_conformant_run_exits_0_and_writes_reports(fake_catalogue: dict[str, Any], tmp_path: Path,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "reports").mkdir()
    (tmp_path / "reports" / "keep.txt").write_text("mine")
    status = main(["run", "--target", "model", "--profile", "ci", "--seed", "5"])
    out = capsys.readouterr()
    assert status == 0, out.err
    data = json.loads((tmp_path / "reports" / "report.json").read_text())
    assert [r["rule_id"] for r in data["results"]] == ["FAKE-01", "FAKE-02"]
    assert {r["verdict"] for r in data["results"]} == {"conformant"}
    assert data["meta"]["seed"] == 5 and data["meta"]["profile"] == "ci"
    assert (tmp_path / "reports" / "keep.txt").read_text() == "mine"  # other files untouched
    assert "coverage" in out.out and "report.json" in out.out
    assert "FAKE-01" in out.err  # progress: one line per rule when not a terminal


def test_nonconformant_must_rule_exits_1_with_replay(fake_catalogue: dict[str, Any], tmp_path: Path,
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    fake_catalogue["threshold"] = 60
    status = main(["run", "--target", "moto", "--report-dir", "out", "--rules", "FAKE-01"])
    out = capsys.readouterr().out
    assert status == 1
    data = json.loads((tmp_path / "out" / "report.json").read_text())
    (result,) = data["results"]
    assert result["verdict"] == "nonconformant" and result["counterexample"] == 50
    assert result["replay"] == "kms-conformance run --replay FAKE-01 --seed 0 --target moto"
    assert result["replay"] in out


def test_should_rule_or_baselined_divergence_exits_0(fake_catalogue: dict[str, Any], tmp_path: Path) -> None:
    fake_catalogue["threshold"] = 60
    assert main(["run", "--rules", "FAKE-02"]) == 0  # severity should: reported, not failing
    baseline = tmp_path / "baseline.json"
    baseline.write_text(json.dumps([{"rule": "FAKE-01", "target": "*", "reason": "accepted"}]))
    assert main(["run", "--baseline", str(baseline)]) == 0
    data = json.loads((tmp_path / "reports" / "report.json").read_text())
    assert data["results"][0]["known"]["reason"] == "accepted"


def test_bad_usage_exits_2(fake_catalogue: dict[str, Any], tmp_path: Path,
                           capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["run", "--rules", "NOPE-9"]) == 2
    assert "NOPE-9" in capsys.readouterr().err
    bad = tmp_path / "b.json"
    bad.write_text("{}")
    assert main(["run", "--baseline", str(bad)]) == 2
    assert f"{bad}" in capsys.readouterr().err
    assert main(["run", "--workers", "0"]) == 2
    assert main(["run", "--target", "moto", "--endpoint-url", "http://127.0.0.1:1"]) == 2
    with pytest.raises(SystemExit) as exc:
        main(["run", "--profile", "huge"])
    assert exc.value.code == 2


def test_dry_run_creates_nothing(fake_catalogue: dict[str, Any], tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                 capsys: pytest.CaptureFixture[str]) -> None:
    def no_target(cfg: Any) -> Any:
        raise AssertionError("dry run must not build a target")

    monkeypatch.setattr(runner, "make_target", no_target)
    assert main(["run", "--target", "aws", "--dry-run", "--profile", "ci"]) == 0
    out = capsys.readouterr().out
    assert "FAKE-01" in out and "svc:Op" in out and "up to  25 examples" in out
    assert not (tmp_path / "reports").exists()


def test_interrupted_run_writes_an_incomplete_report(fake_catalogue: dict[str, Any], tmp_path: Path) -> None:
    def interrupted(target: Any, example: int) -> dict[str, Any]:
        raise KeyboardInterrupt

    fake_catalogue["rules"] = (make_rule("FAKE-01"), make_rule("FAKE-02", scen=interrupted))
    assert main(["run"]) == 130
    data = json.loads((tmp_path / "reports" / "report.json").read_text())
    assert data["meta"]["incomplete"] is True
    assert [r["verdict"] for r in data["results"]] == ["conformant", "skipped"]


def _real_catalogue() -> tuple[Rule, ...]:
    from kms_conformance.rules import catalogue

    return catalogue()


def test_real_catalogue_on_the_model(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    rules = _real_catalogue()
    assert rules, "the catalogue must import"
    monkeypatch.chdir(tmp_path)
    picked = ",".join(r.id for r in rules[:3])
    status = main(["run", "--target", "model", "--rules", picked, "--report-dir", "r"])
    data = json.loads((tmp_path / "r" / "report.json").read_text())
    assert [r["rule_id"] for r in data["results"]] == picked.split(",")
    assert status == (1 if data["summary"]["failed"] else 0)


def test_doc_selection_and_empty_selection(fake_catalogue: dict[str, Any], tmp_path: Path,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["run", "--doc", "forecast", "--report-dir", "d"]) == 0
    assert len(json.loads((tmp_path / "d" / "report.json").read_text())["results"]) == 2
    assert main(["run", "--doc", "mwaa"]) == 2
    assert "no rule matches" in capsys.readouterr().err
    assert main(["run", "--doc", "nope"]) == 2


def test_unreachable_target_is_one_line(fake_catalogue: dict[str, Any], monkeypatch: pytest.MonkeyPatch,
                                        capsys: pytest.CaptureFixture[str]) -> None:
    from kms_conformance.targets.boto import TargetUnavailable

    def unreachable(cfg: Any) -> Any:
        raise TargetUnavailable("sts: EndpointConnectionError: Could not connect")

    monkeypatch.setattr(runner, "make_target", unreachable)
    assert main(["run", "--target", "aws", "--endpoint-url", "http://127.0.0.1:9"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "cannot use target aws: sts: EndpointConnectionError" in err


def test_real_catalogue_on_moto_is_deterministic(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    rules = _real_catalogue()
    assert rules, "the catalogue must import"
    ids = {r.id for r in rules}
    wanted = ["KMS-09", "MWAA-01", "AOSS-03"]  # KMS-09: nonconformant on moto, a shrunk counterexample
    assert set(wanted) <= ids
    monkeypatch.chdir(tmp_path)
    runs = []
    for out in ("a", "b"):
        main(["run", "--target", "moto", "--profile", "ci", "--seed", "3", "--rules", ",".join(wanted),
              "--report-dir", out])
        data = json.loads((tmp_path / out / "report.json").read_text())
        runs.append([(r["rule_id"], r["verdict"], r["counterexample"], r["unsupported_operation"])
                     for r in data["results"]])
    assert runs[0] == runs[1]
    verdicts = {rule_id: (verdict, op) for rule_id, verdict, _, op in runs[0]}
    if "MWAA-01" in verdicts:
        assert verdicts["MWAA-01"] == ("unsupported", "mwaa:CreateEnvironment")


# -- replays and selections write into their own folder ------------------------------------------

REPORT_FILES = ("report.json", "junit.xml", "report.md", "report.html")


def _snapshot(directory: Path) -> dict[str, bytes]:
    return {name: (directory / name).read_bytes() for name in REPORT_FILES}


def test_replay_leaves_the_full_run_alone(fake_catalogue: dict[str, Any], tmp_path: Path,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    """A full run into reports/, then its replay line: the replay writes into reports/replay-FAKE-01/,
    prints the finding in full, and the full run's four files are byte for byte what they were."""
    fake_catalogue["threshold"] = 60
    fake_catalogue["rules"] = (*fake_catalogue["rules"], make_rule("FAKE-03", severity="should"))
    assert main(["run", "--target", "moto"]) == 1
    full = json.loads((tmp_path / "reports" / "report.json").read_text())
    assert [r["rule_id"] for r in full["results"]] == ["FAKE-01", "FAKE-02", "FAKE-03"]
    before = _snapshot(tmp_path / "reports")
    replay = full["results"][0]["replay"]
    assert replay == "kms-conformance run --replay FAKE-01 --seed 0 --target moto"
    capsys.readouterr()
    assert main(replay.split()[1:]) == 1
    out = capsys.readouterr().out
    assert _snapshot(tmp_path / "reports") == before
    replayed = json.loads((tmp_path / "reports" / "replay-FAKE-01" / "report.json").read_text())
    assert [r["rule_id"] for r in replayed["results"]] == ["FAKE-01"]
    assert all((tmp_path / "reports" / "replay-FAKE-01" / name).is_file() for name in REPORT_FILES)
    # the finding in full on the terminal: counterexample, expected vs observed, the replay line
    assert "FAKE-01 nonconformant" in out
    assert "counterexample: 50" in out
    assert 'expected: {"Op": "AccessDeniedException"}' in out and 'observed: {"Op": "OK"}' in out
    assert f"replay: {replay}" in out
    # --rules naming one id is the same replay; several ids, patterns and --doc get their own folder
    assert main(["run", "--rules", "FAKE-01"]) == 1
    assert main(["run", "--rules", "FAKE-01,FAKE-02", "--target", "moto"]) == 1
    assert main(["run", "--rules", "FAKE-0*"]) == 1  # the whole catalogue: the default folder
    assert len(json.loads((tmp_path / "reports" / "report.json").read_text())["results"]) == 3
    after_doc = _snapshot(tmp_path / "reports")
    assert main(["run", "--rules", "FAKE-02"]) == 0
    assert (tmp_path / "reports" / "replay-FAKE-02" / "report.json").is_file()
    assert (tmp_path / "reports" / "FAKE-01_FAKE-02" / "report.json").is_file()
    assert _snapshot(tmp_path / "reports") == after_doc
    # an explicit --report-dir is used as given
    assert main(["run", "--replay", "FAKE-01", "--report-dir", "mine"]) == 1
    assert (tmp_path / "mine" / "report.json").is_file()


def test_full_run_prints_no_findings(fake_catalogue: dict[str, Any], capsys: pytest.CaptureFixture[str]) -> None:
    fake_catalogue["threshold"] = 60
    assert main(["run"]) == 1
    assert "counterexample:" not in capsys.readouterr().out


def test_last_failed_reruns_the_failed_rules(fake_catalogue: dict[str, Any], tmp_path: Path,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    """--last-failed reads reports/report.json and reruns exactly its nonconformant and error rules
    (not the conformant, unsupported or skipped ones), into reports/last-failed/."""
    from hypothesis import strategies as st

    def crashes(target: Any, example: int) -> dict[str, Any]:
        raise RuntimeError("boom in the kit")

    fake_catalogue["rules"] = (make_rule("FAKE-01", strategy=lambda: st.integers(0, 40)), make_rule("FAKE-02"),
                               make_rule("FAKE-03", scen=crashes), make_rule("FAKE-04", strategy=lambda: st.just(1)))
    fake_catalogue["threshold"] = 60
    assert main(["run", "--target", "moto"]) == 1
    report = json.loads((tmp_path / "reports" / "report.json").read_text())
    assert [r["verdict"] for r in report["results"]] == ["conformant", "nonconformant", "error", "conformant"]
    before = _snapshot(tmp_path / "reports")
    capsys.readouterr()
    fake_catalogue["threshold"] = 50  # FAKE-02 holds now; FAKE-03 still crashes
    assert main(["run", "--target", "moto", "--last-failed"]) == 1
    rerun = json.loads((tmp_path / "reports" / "last-failed" / "report.json").read_text())
    assert [(r["rule_id"], r["verdict"]) for r in rerun["results"]] == [("FAKE-02", "conformant"),
                                                                         ("FAKE-03", "error")]
    assert _snapshot(tmp_path / "reports") == before
    # --report-dir names the folder whose report is read
    fake_catalogue["rules"] = fake_catalogue["rules"][:2]
    assert main(["run", "--last-failed", "--report-dir", "reports/last-failed"]) == 0
    assert "nothing failed" in capsys.readouterr().out
    assert not (tmp_path / "reports" / "last-failed" / "last-failed").exists()


def test_last_failed_and_replay_bad_usage(fake_catalogue: dict[str, Any], tmp_path: Path,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["run", "--last-failed"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "no report at reports/report.json" in err
    (tmp_path / "reports").mkdir()
    (tmp_path / "reports" / "report.json").write_text("{not json")
    assert main(["run", "--last-failed"]) == 2
    assert "report.json" in capsys.readouterr().err
    assert main(["run", "--last-failed", "--rules", "FAKE-01"]) == 2
    assert main(["run", "--replay", "FAKE-01", "--rules", "FAKE-02"]) == 2
    assert main(["run", "--replay", "FAKE-*"]) == 2
    assert main(["run", "--replay", "NOPE-9"]) == 2
    assert "NOPE-9" in capsys.readouterr().err


def test_selection_slug() -> None:
    from kms_conformance.commands.run import selection_slug

    assert selection_slug(("kms-03",), ()) == "replay-KMS-03"
    assert selection_slug(("AOSS-*",), ()) == "AOSS-all"
    assert selection_slug((), ("forecast", "mwaa")) == "doc-forecast_doc-mwaa"
    long = selection_slug(tuple(f"FORECAST-{i:02d}" for i in range(1, 15)), ())
    assert len(long) == 60 and long.startswith("FORECAST-01_FORECAST-02")
