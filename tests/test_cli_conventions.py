"""The conventions every command keeps: exit statuses, a closed pipe, colour, -q/-v, `run -x`,
rule exclusions, defaults from pyproject.toml, regions, output paths checked first, `sweep --json`.

Each convention is tested both ways: what it accepts works, what it refuses is refused (exit 2,
one line)."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from e2e_support import moto_server
from kms_conformance import cli
from kms_conformance.cli import BROKEN_PIPE, INTERNAL_ERROR, main
from kms_conformance.progress import Progress, use_color
from kms_conformance.rules import catalogue, select

ROOT = Path(__file__).resolve().parent.parent
FORECAST_SETUP = ROOT / "examples" / "forecast" / "setup.json"
BROKEN_SETUP = ROOT / "examples" / "forecast" / "broken-caller-decrypt.json"


@pytest.fixture(autouse=True)
def _in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("NO_COLOR", raising=False)


def one_line(capsys: pytest.CaptureFixture[str]) -> str:
    err = capsys.readouterr().err
    assert "Traceback" not in err
    lines = err.splitlines()
    assert len(lines) == 1, lines
    return lines[0]


# -- exit statuses ---------------------------------------------------------------------------------


def test_an_internal_error_is_one_line_and_status_3(monkeypatch: pytest.MonkeyPatch,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    import kms_conformance.commands.rules as rules_cmd

    def boom(_args: object) -> int:
        raise ZeroDivisionError("a defect")

    monkeypatch.setattr(rules_cmd, "main", boom)
    monkeypatch.setattr(cli, "_SHARED", [])  # main's parser, built once per process, is built again here
    assert main(["rules"]) == INTERNAL_ERROR
    line = one_line(capsys)
    assert "internal error: ZeroDivisionError: a defect" in line and "please report" in line
    with pytest.raises(ZeroDivisionError):  # --debug: the traceback, for the report
        main(["--debug", "rules"])


def test_a_closed_stdout_in_process_is_status_141(monkeypatch: pytest.MonkeyPatch,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    class Closed(io.StringIO):
        def write(self, _text: str) -> int:
            raise BrokenPipeError(32, "Broken pipe")

    monkeypatch.setattr(sys, "stdout", Closed())
    assert main(["rules"]) == BROKEN_PIPE
    assert capsys.readouterr().err == ""


@pytest.mark.parametrize("argv", [["rules"], ["rules", "--json"], ["check", str(FORECAST_SETUP), "--json"]])
def test_a_reader_that_goes_away_leaves_no_traceback(argv: list[str]) -> None:
    script = ROOT / ".venv" / "bin" / "kms-conformance"
    command = [str(script)] if script.exists() else [sys.executable, "-m", "kms_conformance"]
    proc = subprocess.Popen([*command, *argv], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert proc.stdout is not None
    proc.stdout.close()  # before the command writes: its first write meets a closed pipe
    _, err = proc.communicate(timeout=120)
    assert err == b"", err.decode()[-500:]
    assert proc.returncode == BROKEN_PIPE


# -- colour, -q, -v --------------------------------------------------------------------------------


class Tty(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_no_color_and_the_color_option(monkeypatch: pytest.MonkeyPatch) -> None:
    assert use_color("auto", Tty()) and not use_color("auto", io.StringIO())
    monkeypatch.setenv("NO_COLOR", "1")
    assert not use_color("auto", Tty()) and not use_color(None, Tty())
    assert use_color("always", io.StringIO())
    monkeypatch.setenv("NO_COLOR", "")  # empty: not set (no-color.org)
    assert use_color("auto", Tty())
    assert not use_color("never", Tty())


def test_check_colours_only_when_asked(capsys: pytest.CaptureFixture[str]) -> None:
    main(["--color", "always", "check", str(BROKEN_SETUP)])
    assert "\033[" in capsys.readouterr().out
    main(["check", str(BROKEN_SETUP)])  # captured output is not a terminal
    assert "\033[" not in capsys.readouterr().out
    main(["--color", "always", "check", str(BROKEN_SETUP), "--color", "never"])  # the command's own wins
    assert "\033[" not in capsys.readouterr().out


def test_quiet_and_verbose_progress() -> None:
    from kms_conformance.verdicts import Verdict
    from report_samples import result

    ok = result("KMS-01", Verdict.CONFORMANT)
    for verbosity, expected in ((-1, ""), (0, "\r[1/1] KMS-01 conformant\x1b[K"), (1, "[1/1] KMS-01")):
        stream = Tty()
        Progress(1, stream, verbosity=verbosity)(ok)
        assert stream.getvalue().startswith(expected) if expected else stream.getvalue() == ""


def test_global_options_parse() -> None:
    args = cli.build_parser().parse_args(["-q", "-v", "-v", "--color", "never", "rules"])
    assert (args.quiet, args.verbose, args.global_color) == (1, 2, "never")


# -- rule selection --------------------------------------------------------------------------------


def test_exclusions_leave_out_what_they_match() -> None:
    every = catalogue()
    ids = {r.id for r in select(every, ids=["!AOSS-0*"])}
    assert ids and not any(i.startswith("AOSS-0") for i in ids)
    assert ids == {r.id for r in every} - {r.id for r in select(every, ids=["AOSS-0*"])}
    both = {r.id for r in select(every, ids=["KMS-*", "!KMS-01"])}
    assert "KMS-01" not in both and "KMS-02" in both and all(i.startswith("KMS-") for i in both)


@pytest.mark.parametrize("ids", [["NOPE-01"], ["!NOPE-01"], ["ZZZ-*"], ["!ZZZ-*"], ["KMS-01", "!KMS-9?9"]])
def test_selections_naming_nothing_are_errors(ids: list[str]) -> None:
    with pytest.raises(ValueError, match=r"unknown rule id|matches no rule"):
        select(catalogue(), ids=ids)


def test_run_dry_run_with_an_exclusion(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["run", "--target", "model", "--dry-run", "--rules", "KMS-*,!KMS-01"]) == 0
    out = capsys.readouterr().out
    assert "KMS-02" in out and "KMS-01 " not in out
    assert main(["run", "--target", "model", "--dry-run", "--rules", "!AOSS-0*,!NOPE*"]) == 2
    assert "NOPE*" in one_line(capsys)


def test_baseline_naming_no_rule_is_an_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    good = tmp_path / "good.json"
    good.write_text(json.dumps([{"rule": "KMS-01", "target": "model", "reason": "accepted"}]))
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps([{"rule": "KMS-01", "target": "model", "reason": "accepted"},
                               {"rule": "NOPE-01", "target": "model", "reason": "typo"}]))
    argv = ["-q", "run", "--target", "model", "--rules", "KMS-01", "--report-dir", str(tmp_path / "r")]
    assert main([*argv, "--baseline", str(good)]) == 0
    capsys.readouterr()
    assert main([*argv, "--baseline", str(bad)]) == 2
    line = one_line(capsys)
    assert "[1].rule" in line and "NOPE-01" in line


# -- run -x ----------------------------------------------------------------------------------------


def test_exitfirst_stops_at_the_first_failing_must_rule(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # moto does not enforce key policies: KMS-03 (a must rule) is nonconformant, first of the three.
    argv = ["-q", "run", "--target", "moto", "--rules", "KMS-03,KMS-04,KMS-05"]
    assert main([*argv, "-x", "--report-dir", str(tmp_path / "x")]) == 1
    report = json.loads((tmp_path / "x" / "report.json").read_text())
    verdicts = {r["rule_id"]: r["verdict"] for r in report["results"]}
    assert verdicts["KMS-03"] == "nonconformant"
    assert verdicts["KMS-04"] == verdicts["KMS-05"] == "skipped"
    assert report["meta"]["incomplete"] is True
    assert "INCOMPLETE" in capsys.readouterr().out
    assert main([*argv, "--report-dir", str(tmp_path / "all")]) == 1  # without -x: every rule runs
    report = json.loads((tmp_path / "all" / "report.json").read_text())
    assert "skipped" not in {r["verdict"] for r in report["results"]}
    assert report["meta"]["incomplete"] is False


# -- defaults from pyproject.toml ------------------------------------------------------------------


def test_pyproject_defaults_and_flags_win(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                          monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "pyproject.toml").write_text('[tool.kms-conformance]\ntarget = "model"\nrules = "KMS-01"\n'
                                             'region = "eu-west-1"\nprofile = "ci"\n')
    assert main(["run", "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert "target model, profile ci" in out and "1 rules" in out
    assert main(["run", "--dry-run", "--rules", "KMS-02,KMS-03", "--profile", "dev"]) == 0
    out = capsys.readouterr().out
    assert "profile dev" in out and "2 rules" in out
    args = cli.build_parser()
    cli.config_defaults(args, tmp_path / "pyproject.toml")
    assert args.parse_args(["run"]).region == "eu-west-1"
    # main's parser is built once per process: a later call elsewhere gets the built-in defaults back
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    assert main(["run", "--dry-run", "--target", "model"]) == 0
    out = capsys.readouterr().out
    assert "profile dev" in out and "1 rules" not in out


@pytest.mark.parametrize(("table", "says"), [
    ('nope = "x"', "unknown key"), ('target = "mars"', "is not one of"), ("rules = 1", "must be a string"),
    ('region = "us-fake-9"', "not a region this botocore knows"), ("[", "not valid TOML")])
def test_bad_pyproject_defaults_are_one_line(table: str, says: str, tmp_path: Path,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "pyproject.toml").write_text(f"[tool.kms-conformance]\n{table}\n")
    assert main(["run", "--dry-run"]) == 2
    assert says in one_line(capsys)


# -- regions ---------------------------------------------------------------------------------------


def test_regions(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["run", "--target", "model", "--dry-run", "--rules", "KMS-01", "--region", "eu-central-1"]) == 0
    capsys.readouterr()
    assert main(["run", "--target", "model", "--dry-run", "--region", "us-fake-9"]) == 2
    assert "--allow-unknown-region" in one_line(capsys)
    assert main(["--allow-unknown-region", "run", "--target", "model", "--dry-run", "--rules", "KMS-01",
                 "--region", "us-fake-9"]) == 0
    capsys.readouterr()
    assert main(["--allow-unknown-region", "run", "--target", "model", "--dry-run", "--region", "bad region!"]) == 2
    assert "not a region name" in one_line(capsys)


# -- output paths ----------------------------------------------------------------------------------


def test_report_dir_is_checked_before_the_run(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "file").write_text("")
    (tmp_path / "taken").mkdir()
    (tmp_path / "taken" / "report.json").mkdir()
    run = ["-q", "run", "--target", "model", "--rules", "KMS-01", "--report-dir"]
    for where, says in ((tmp_path / "file" / "sub", "not a directory"), (tmp_path / "file", "not a directory"),
                        (tmp_path / "taken", "report.json in it is a directory"),
                        (tmp_path / ("n" * 300), "cannot write there")):
        assert main([*run, str(where)]) == 2, where
        assert says in one_line(capsys).lower()
    assert main([*run, str(tmp_path / "new" / "dir")]) == 0
    assert (tmp_path / "new" / "dir" / "report.json").is_file()
    assert not [p for p in (tmp_path / "new" / "dir").iterdir() if p.name.startswith(".kms-conformance-probe")]


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes into a read-only folder")
def test_read_only_report_dir(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    ro = tmp_path / "ro"
    ro.mkdir(mode=0o500)
    assert main(["run", "--target", "model", "--rules", "KMS-01", "--report-dir", str(ro)]) == 2
    assert "cannot write there" in one_line(capsys)


def test_render_output_is_checked(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from kms_conformance.report import write_reports
    from report_samples import sample_report

    write_reports(sample_report(), tmp_path / "r")
    src = str(tmp_path / "r" / "report.json")
    (tmp_path / "file").write_text("")
    assert main(["report", "render", src, "-f", "md", "-o", str(tmp_path / "file" / "x.md")]) == 2
    assert "not a directory" in one_line(capsys)
    assert main(["report", "render", src, "-f", "md", "-o", str(tmp_path / "r")]) == 2
    assert "is a directory" in one_line(capsys)
    assert main(["report", "render", src, "-f", "md", "-o", str(tmp_path / "out" / "x.md")]) == 0
    assert (tmp_path / "out" / "x.md").is_file()


# -- sweep --json ----------------------------------------------------------------------------------


@pytest.mark.slow
def test_sweep_json(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    import boto3
    from kms_conformance.resources import creation_tags, kms_tags, new_run_id

    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    with moto_server() as url:
        kms = boto3.client("kms", endpoint_url=url, region_name="us-east-1")
        run_id = new_run_id("run")
        kms.create_key(Tags=kms_tags(creation_tags(run_id)))
        kms.create_key()  # the user's key: not the kit's, never swept
        # one attempt per call: moto's server answers the operations it lacks with a 500 every time
        argv = ["sweep", "--endpoint-url", url, "--older-than", "0", "--json", "--allow-account", "123456789012",
                "--max-attempts", "1"]

        def printed() -> dict[str, object]:  # the sweep's JSON (moto's server, in this process, prints to stdout too)
            out = capsys.readouterr().out
            data: dict[str, object] = json.loads(out[out.index("{\n"):])
            return data

        assert main([*argv, "--dry-run"]) == 0
        planned = printed()
        assert planned["dry_run"] is True and planned["removed"] == 0 and planned["failed"] == 0
        assert [(a["service"], a["run_id"]) for a in planned["actions"]] == [("kms", run_id)]
        assert main(argv) == 0
        done = printed()
        assert done["removed"] == 1 and done["failed"] == 0
        assert main(argv) == 0
        assert printed()["actions"] == []
        assert main([*argv[:-1], "0"]) == 2  # --max-attempts 0: refused as run refuses it
        assert "--max-attempts must be 1 or more" in capsys.readouterr().err
