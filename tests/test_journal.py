"""The journal of finished rules (``report.partial.jsonl``) and ``run --resume``: a SIGKILL loses no
finished rule, a resumed run skips them and writes the whole report, a journal the resume cannot
trust is refused in one line naming its file and line."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from kms_conformance.cli import build_parser, main
from kms_conformance.commands.run import recorded_options
from kms_conformance.journal import JOURNAL_NAME, Journal, read_journal

#: Six rules that each take a moment at profile ci (the run is killed after two, before the sixth).
RULES = "KMS-01,KMS-02,KMS-07,KMS-08,KMS-10,KMS-11"
ROOT = Path(__file__).resolve().parents[1]


def _lines(path: Path) -> list[dict[str, Any]]:
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_bytes().split(b"\n")[:-1]]


def _wait_for(check: Any, what: str, seconds: float = 120.0) -> None:
    deadline = time.monotonic() + seconds
    while not check():
        if time.monotonic() > deadline:
            pytest.fail(f"gave up waiting for {what}")
        time.sleep(0.05)


def test_sigkill_loses_no_finished_rule_and_resume_runs_the_rest(tmp_path: Path,
                                                                  capsys: pytest.CaptureFixture[str]) -> None:
    journal = tmp_path / JOURNAL_NAME
    process = subprocess.Popen(
        [sys.executable, "-m", "kms_conformance", "run", "--target", "moto", "--profile", "ci", "--rules", RULES,
         "--seed", "3", "--report-dir", str(tmp_path)],
        cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        _wait_for(lambda: len(_lines(journal)) >= 3 or process.poll() is not None, "two finished rules")
        os.kill(process.pid, signal.SIGKILL)
    finally:
        process.wait()
    assert process.returncode == -signal.SIGKILL, "the run ended before it could be killed"
    header, *done = _lines(journal)
    assert header["options"]["seed"] == 3 and header["options"]["rules"] == RULES
    journaled = {line["result"]["rule_id"]: line["result"] for line in done}
    assert 2 <= len(journaled) < 6 and not (tmp_path / "report.json").exists()

    assert main(["run", "--resume", "--report-dir", str(tmp_path)]) in (0, 1)
    report = json.loads((tmp_path / "report.json").read_text())
    ids = [r["rule_id"] for r in report["results"]]
    assert ids == RULES.split(",")  # every rule, once, in the selection's order
    assert not report["meta"]["incomplete"] and report["meta"]["seed"] == 3 and report["meta"]["profile"] == "ci"
    for result in report["results"]:
        if result["rule_id"] in journaled:  # not run again: the journaled result, duration and all
            assert result == journaled[result["rule_id"]]
    assert report["meta"]["started"] == header["started"]
    assert not journal.exists()  # the report is complete: the journal is gone
    assert "interrupted" not in capsys.readouterr().err


def _journal(folder: Path, *argv: str) -> Path:
    args = build_parser().parse_args(["run", "--target", "model", "--report-dir", str(folder), *argv])
    path = folder / JOURNAL_NAME
    Journal.create(path, options=recorded_options(args), started="2026-01-01T00:00:00Z").close()
    return path


def test_resume_takes_the_options_of_the_journal(tmp_path: Path) -> None:
    _journal(tmp_path, "--rules", "KMS-01,KMS-02", "--profile", "ci", "--seed", "7")
    assert main(["run", "--resume", "--report-dir", str(tmp_path)]) in (0, 1)
    report = json.loads((tmp_path / "report.json").read_text())
    assert [r["rule_id"] for r in report["results"]] == ["KMS-01", "KMS-02"]
    assert (report["meta"]["target"], report["meta"]["seed"], report["meta"]["profile"]) == ("model", 7, "ci")


@pytest.mark.parametrize(("journal", "argv", "says"), [
    (None, [], "no journal at"),
    ("good", ["--seed", "5"], "--seed 5 conflicts with the journal's 7"),
    ("good", ["--target", "moto"], "--target moto conflicts"),
    ("good", ["--last-failed"], "no --last-failed"),
    (b"", [], "report.partial.jsonl:1: $: empty"),
    (b"{not json\n", [], "report.partial.jsonl:1"),
    (b'{"journal": "something else"}\n', [], "report.partial.jsonl:1: $: not a journal header"),
    ("good+" + '{"result": {"rule_id": "KMS-01"}}\n', [], "report.partial.jsonl:2: result: not a rule result"),
    ("good+" + '[1, 2]\n', [], "report.partial.jsonl:2: $: expected a JSON object"),
    ("seed", [], "report.partial.jsonl:1: options.seed: not a value of --seed"),
])
def test_resume_refuses_in_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str], journal: Any,
                                    argv: list[str], says: str) -> None:
    path = tmp_path / JOURNAL_NAME
    if isinstance(journal, str) and journal.startswith("good"):
        _journal(tmp_path, "--rules", "KMS-01", "--seed", "7")
        with open(path, "a", encoding="utf-8") as handle:
            handle.write(journal.removeprefix("good").removeprefix("+"))
    elif journal == "seed":
        _journal(tmp_path, "--rules", "KMS-01")
        text = path.read_text().replace('"seed":0', '"seed":"zero"')
        path.write_text(text)
    elif journal is not None:
        path.write_bytes(journal)
    assert main(["run", "--resume", "--report-dir", str(tmp_path), *argv]) == 2
    err = capsys.readouterr().err
    assert says in err and err.count("\n") == 1 and "Traceback" not in err
    assert not (tmp_path / "report.json").exists()


def test_a_torn_last_line_is_a_rule_to_run_again(tmp_path: Path) -> None:
    """A process killed in the middle of a write leaves a last line without its newline: ignored,
    and cut off before the resumed run appends."""
    assert main(["run", "--target", "model", "--profile", "ci", "--rules", "KMS-01,KMS-02",
                 "--report-dir", str(tmp_path)]) in (0, 1)
    path = tmp_path / JOURNAL_NAME
    assert not path.exists()
    first = json.loads((tmp_path / "report.json").read_text())["results"][0]
    _journal(tmp_path, "--rules", "KMS-01,KMS-02", "--profile", "ci")
    with open(path, "a", encoding="utf-8") as handle:
        handle.write(json.dumps({"result": first}) + "\n" + '{"result": {"rule_id": "KMS-0')
    resumed = read_journal(path)
    assert [r.rule_id for r in resumed.results] == ["KMS-01"] and resumed.end < path.stat().st_size
    Journal.reopen(path, resumed.end).close()
    assert path.read_bytes().endswith(b"\n") and len(_lines(path)) == 2


def test_journal_is_kept_when_the_report_is_incomplete(tmp_path: Path) -> None:
    """``-x`` stops at the first failing rule: the report is incomplete, the journal stays for --resume."""
    status = main(["run", "--target", "moto", "--profile", "ci", "--rules", "KMS-03,KMS-04", "-x",
                   "--report-dir", str(tmp_path)])
    report = json.loads((tmp_path / "report.json").read_text())
    assert status == 1 and report["meta"]["incomplete"]
    journaled = [line["result"]["rule_id"] for line in _lines(tmp_path / JOURNAL_NAME)[1:]]
    assert journaled == ["KMS-03"]
