"""Ctrl-C and SIGKILL during ``kms-conformance run``, serial and ``--workers 2``: a first Ctrl-C, even
while the run reads its options, still writes the report (marked incomplete); a second one stops
the cleanup and the report lists what it skipped (exit 130); workers die with their parent, SIGKILL
included; with ``--workers`` each worker's cleanup is in the report. The run is a subprocess on the
moto target with its cleanup turned on (tests/run_driver.py)."""

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
from kms_conformance.journal import JOURNAL_NAME
from kms_conformance.runner import NOT_RUN, RunOptions, run
from kms_conformance.targets import TargetConfig
from kms_conformance.targets.boto import CLEANUP_INTERRUPTED

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="signals and /proc: Linux")

ROOT = Path(__file__).resolve().parents[1]
RULES = "KMS-0*"


def _start(mode: str, marks: Path, *argv: str) -> subprocess.Popen[bytes]:
    return subprocess.Popen([sys.executable, str(ROOT / "tests" / "run_driver.py"), mode, str(marks), "--", "run",
                             "--target", "moto", "--profile", "ci", *argv],
                            cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def _wait_for(check: Any, what: str, seconds: float = 120.0) -> None:
    deadline = time.monotonic() + seconds
    while not check():
        if time.monotonic() > deadline:
            pytest.fail(f"gave up waiting for {what}")
        time.sleep(0.05)


def _finished(folder: Path) -> int:
    path = folder / JOURNAL_NAME
    return max(0, path.read_bytes().count(b"\n") - 1) if path.exists() else 0


def _children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == pid:
                found.append(int(entry.name))
    return found


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


@pytest.mark.parametrize("workers", ["1", "2"])
def test_second_ctrl_c_stops_the_cleanup_and_the_report_lists_what_it_skipped(tmp_path: Path, workers: str) -> None:
    report_dir, marks = tmp_path / "reports", tmp_path / "marks"
    marks.mkdir()
    process = _start("block", marks, "--rules", RULES, "--workers", workers, "--report-dir", str(report_dir))
    try:
        _wait_for(lambda: _finished(report_dir) >= 1 or process.poll() is not None, "a finished rule")
        pids = _children(process.pid) if workers == "2" else [process.pid]
        os.kill(process.pid, signal.SIGINT)  # the first: stop the rules, clean up
        _wait_for(lambda: all(not _alive(pid) or (marks / f"cleaning-{pid}").exists() for pid in pids)
                  or process.poll() is not None, "the cleanup")
        os.kill(process.pid, signal.SIGINT)  # the second: stop the cleanup, write the report
        _, err = process.communicate(timeout=120)
    finally:
        process.kill()
        process.wait()
    assert process.returncode == 130, err.decode()
    assert b"Traceback" not in err, err.decode()
    report = json.loads((report_dir / "report.json").read_text())
    assert report["meta"]["incomplete"]
    assert any(r["detail"] == NOT_RUN for r in report["results"])  # the rules it never reached
    left = report["meta"]["cleanup"]["left"]
    assert left and all(item["error"] == CLEANUP_INTERRUPTED for item in left)
    assert (report_dir / JOURNAL_NAME).exists()  # incomplete: kept for --resume


def test_ctrl_c_while_the_run_reads_its_options_still_writes_a_report(tmp_path: Path) -> None:
    """The Ctrl-C comes as soon as the report folder exists: the run has read its options and has
    not built its target yet."""
    report_dir = tmp_path / "reports"
    process = _start("real", tmp_path, "--rules", "KMS-01", "--report-dir", str(report_dir))
    try:
        _wait_for(lambda: report_dir.exists() or process.poll() is not None, "the report folder")
        os.kill(process.pid, signal.SIGINT)
        _, err = process.communicate(timeout=120)
    finally:
        process.kill()
        process.wait()
    assert process.returncode == 130, err.decode()
    report = json.loads((report_dir / "report.json").read_text())
    assert report["meta"]["incomplete"] and [r["rule_id"] for r in report["results"]] == ["KMS-01"]


def test_workers_die_with_their_parent_on_sigkill(tmp_path: Path) -> None:
    report_dir = tmp_path / "reports"
    process = _start("real", tmp_path, "--rules", RULES, "--workers", "2", "--report-dir", str(report_dir))
    try:
        _wait_for(lambda: _finished(report_dir) >= 1 or process.poll() is not None, "a finished rule")
        workers = _children(process.pid)
        assert len(workers) == 2 and process.poll() is None
        os.kill(process.pid, signal.SIGKILL)
    finally:
        process.kill()
        process.wait()
    _wait_for(lambda: not any(_alive(pid) for pid in workers), "the workers to end", seconds=10)


@pytest.mark.parametrize("workers", [1, 2])
def test_every_workers_cleanup_is_in_the_report(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, workers: int) -> None:
    monkeypatch.syspath_prepend(str(ROOT / "tests"))
    import kms_conformance.runner as runner
    import kms_conformance.targets.boto as boto
    import run_driver

    monkeypatch.setattr(boto, "remove", boto.remove)
    monkeypatch.setattr(runner, "make_target", runner.make_target)
    run_driver.install("fail-kms", tmp_path)
    options = RunOptions(target=TargetConfig(name="moto", run_id="clean"), profile="ci", rules=("KMS-01", "KMS-02"),
                         report_dir=tmp_path, workers=workers)
    report = run(options)
    cleanup = report.meta.cleanup
    assert cleanup is not None and cleanup.left and cleanup.removed > 0
    assert all(item.kind.startswith("kms ") and "removal refused by the test" in item.error for item in cleanup.left)
