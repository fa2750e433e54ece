"""The journal of a run: ``report.partial.jsonl`` in the report folder, so that a crash, a SIGKILL or a
lost machine loses no finished rule, and ``kms-conformance run --resume`` continues from it.

One JSON object per line. The first line is the header: the format (:data:`FORMAT`), when the run
started and the options it was started with (the ``run`` command's option names, e.g. ``seed``,
``profile``, ``rules``); every further line is ``{"result": ...}``, one finished rule in the form of
``report.json``'s ``results`` (schema ``kms-conformance/report@2``, before the baseline is applied,
credentials scrubbed, the account masked under ``--redact-account``). Each line is written, flushed
and fsynced as its rule ends.

A last line with no newline is a write the process did not finish (it was killed in the middle):
reading ignores it, and that rule is run again. Any other line that is not what this says is an
error naming the file and the line.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from kms_conformance.errors import InputError
from kms_conformance.inputs import check_regular, cut, decode, parse_json
from kms_conformance.scrub import scrub_value
from kms_conformance.verdicts import RuleResult, result_from_dict, result_to_dict

__all__ = ["FORMAT", "JOURNAL_NAME", "Journal", "Resumed", "read_journal"]

#: The journal's file name in the report folder.
JOURNAL_NAME = "report.partial.jsonl"
#: The header's ``journal`` value.
FORMAT = "kms-conformance/journal@1"


def _line(value: Mapping[str, Any]) -> bytes:
    return (json.dumps(scrub_value(dict(value)), sort_keys=True, separators=(",", ":")) + "\n").encode("utf-8")


class Journal:
    """The writer: one line per finished rule, on disk (fsynced) before the next rule's result."""

    def __init__(self, path: Path, handle: IO[bytes]) -> None:
        self.path = path
        self._handle: IO[bytes] | None = handle
        #: Results recorded through this writer.
        self.recorded = 0

    @classmethod
    def create(cls, path: Path, *, options: Mapping[str, Any], started: str) -> Journal:
        """A new journal at ``path`` (replacing any), its header written."""
        journal = cls(path, open(path, "wb"))  # noqa: SIM115 - kept open for the run, closed by close()
        journal._write({"journal": FORMAT, "started": started, "options": dict(options)})
        return journal

    @classmethod
    def reopen(cls, path: Path, end: int) -> Journal:
        """The journal at ``path`` (read with :func:`read_journal`), cut back to ``end`` (the end of its
        last whole line) and appended to."""
        handle = open(path, "r+b")  # noqa: SIM115 - kept open for the run, closed by close()
        handle.truncate(end)
        handle.seek(end)
        return cls(path, handle)

    def _write(self, value: Mapping[str, Any]) -> None:
        if self._handle is None:
            raise ValueError(f"{self.path}: the journal is closed")
        self._handle.write(_line(value))
        self._handle.flush()
        os.fsync(self._handle.fileno())

    def record(self, result: RuleResult) -> None:
        """Append one finished rule (the runner's ``record`` callback)."""
        self._write({"result": result_to_dict(result)})
        self.recorded += 1

    def close(self) -> None:
        if self._handle is not None:
            self._handle.close()
            self._handle = None


@dataclass(frozen=True)
class Resumed:
    """What a journal holds: the run's options and start, the finished rules in the order they
    ended, and ``end``, the byte offset after the last whole line (a torn last line lies after it)."""

    options: Mapping[str, Any]
    started: str
    results: tuple[RuleResult, ...]
    end: int


def read_journal(path: Path) -> Resumed:
    """Read the journal at ``path``; ``InputError`` naming ``path:LINE`` when it is absent or malformed
    (a rule journaled twice included)."""
    check_regular(path, max_bytes=None)
    try:
        with open(path, "rb") as handle:
            data = handle.read()
    except OSError as exc:
        raise InputError(f"cannot read: {exc.strerror or exc}", source=str(path)) from None
    end = data.rfind(b"\n") + 1  # after it: a line the killed process did not finish
    lines = data[:end].splitlines()
    if not lines:
        raise InputError("empty: no header line (the run was stopped before it started)", source=f"{path}:1")
    header = _object(lines[0], path, 1)
    if header.get("journal") != FORMAT:
        raise InputError(f"not a journal header: expected journal {FORMAT!r}", source=f"{path}:1")
    options, started = header.get("options"), header.get("started")
    if not isinstance(options, dict) or not isinstance(started, str):
        raise InputError("the header needs options (an object) and started (a string)", source=f"{path}:1")
    results: list[RuleResult] = []
    seen: set[str] = set()
    for number, raw in enumerate(lines[1:], start=2):
        item = _object(raw, path, number)
        if set(item) != {"result"} or not isinstance(item["result"], dict):
            raise InputError("expected {\"result\": {...}}", source=f"{path}:{number}")
        try:
            result = result_from_dict(item["result"])
        except (KeyError, ValueError, TypeError) as exc:
            raise InputError(f"not a rule result: {cut(str(exc), 200)}", source=f"{path}:{number}", path="result") \
                from None
        if result.rule_id in seen:
            raise InputError(f"rule {result.rule_id} is journaled twice", source=f"{path}:{number}")
        seen.add(result.rule_id)
        results.append(result)
    return Resumed(options=options, started=started, results=tuple(results), end=end)


def _object(raw: bytes, path: Path, number: int) -> dict[str, Any]:
    source = f"{path}:{number}"
    value = parse_json(decode(raw, source), source)
    if not isinstance(value, dict):
        raise InputError("expected a JSON object", source=source)
    return value
