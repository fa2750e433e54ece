"""``simulate --batch`` shows the lines read on standard error once a batch runs long (a counter on a
terminal, a line at intervals in a log, the total at the end), nothing for a short one, nothing
with ``-q``; its standard output holds only the decisions."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import pytest
from kms_conformance.batch_progress import BatchProgress
from kms_conformance.cli import main
from kms_conformance.commands.simulate import run_batch

KEY = "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab"
LINE = json.dumps({"request": {"action": "kms:Decrypt", "resource": KEY, "principal": "arn:aws:iam::111122223333:root"},
                   "resourcePolicy": {"Version": "2012-10-17", "Statement": [
                       {"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::111122223333:root"},
                        "Action": "kms:*", "Resource": "*"}]}})


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_a_short_batch_shows_nothing() -> None:
    stream, clock = io.StringIO(), Clock()
    progress = BatchProgress(stream, tty=True, clock=clock)
    clock.now += 0.5
    progress(256)
    progress.finish(300)
    assert stream.getvalue() == ""


def test_a_terminal_gets_a_counter_rewritten_in_place_and_the_total() -> None:
    stream, clock = io.StringIO(), Clock()
    progress = BatchProgress(stream, tty=True, clock=clock)
    clock.now += 2.0
    progress(10_000)
    progress(10_256)  # the same second: not rewritten
    clock.now += 2.0
    progress(20_000)
    progress.finish(20_100)
    text = stream.getvalue()
    assert text == ("\rsimulate: 10,000 lines read, 2.0 s (5,000 lines/s)\x1b[K"
                    "\rsimulate: 20,000 lines read, 4.0 s (5,000 lines/s)\x1b[K"
                    "\rsimulate: 20,100 lines read, 4.0 s (5,025 lines/s)\x1b[K\n")


def test_a_log_gets_a_line_at_each_interval_and_the_total() -> None:
    stream, clock = io.StringIO(), Clock()
    progress = BatchProgress(stream, tty=False, clock=clock)
    clock.now += 10.0
    progress(50_000)  # under the log's 30 s: nothing yet
    clock.now += 25.0
    progress(170_000)
    progress.finish(171_000)
    assert stream.getvalue().splitlines() == ["simulate: 170,000 lines read, 35.0 s (4,857 lines/s)",
                                              "simulate: 171,000 lines read, 35.0 s (4,886 lines/s)"]


def test_the_batch_tells_its_progress_every_256_lines_and_the_total() -> None:
    told: list[tuple[str, int]] = []

    class Recorder:
        def __call__(self, lines: int) -> None:
            told.append(("at", lines))

        def finish(self, lines: int) -> None:
            told.append(("end", lines))

    lines = [LINE] * 600 + ["", "{not json"]
    out = io.StringIO()
    assert run_batch(lines, out, progress=Recorder()) == 1  # type: ignore[arg-type]
    assert told == [("at", 256), ("at", 512), ("end", 602)]
    assert len(out.getvalue().splitlines()) == 601  # the blank line is counted as read, not answered


@pytest.mark.parametrize("quiet", [False, True])
def test_the_command_shows_progress_on_standard_error_unless_quiet(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, quiet: bool) -> None:
    import kms_conformance.batch_progress as module

    class Eager(BatchProgress):  # every call shows, as a long batch would
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, log_every=0.0, tty_every=0.0, **kwargs)

    monkeypatch.setattr(module, "BatchProgress", Eager)
    cases = tmp_path / "cases.jsonl"
    cases.write_text((LINE + "\n") * 300)
    status = main([*(["-q"] if quiet else []), "simulate", "--batch", str(cases)])
    captured = capsys.readouterr()
    assert status == 0
    assert [json.loads(x)["decision"] for x in captured.out.splitlines()] == ["Allowed"] * 300
    if quiet:
        assert captured.err == ""
    else:
        assert "simulate: 256 lines read" in captured.err and "simulate: 300 lines read" in captured.err


def test_a_closed_standard_error_shows_nothing_and_never_writes_to_standard_output(
        monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    """Python sets sys.stderr to None when the process starts with it closed; print(file=None)
    would then write to standard output, among the decisions."""
    monkeypatch.setattr("sys.stderr", None)
    clock = Clock()
    progress = BatchProgress(clock=clock, tty_every=0.0, log_every=0.0)
    clock.now += 100.0
    progress(10_000)
    progress.finish(10_001)
    assert capsys.readouterr().out == ""
