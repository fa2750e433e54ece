"""Conformance reports: ``report.json`` (the source of truth, schema ``kms-conformance/report@2``, @1 read too
in ``report.schema.json``), ``junit.xml``, ``report.md`` and ``report.html`` rendered from it, and
``compare`` between two reports.

Every format is rendered from the report after :func:`scrub_report` (:mod:`kms_conformance.scrub`), so
no credential reaches a file; files are written atomically (temporary file + ``os.replace``).
"""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any, Literal

from kms_conformance import inputs
from kms_conformance.errors import InputError
from kms_conformance.report.compare import Change, Comparison, compare, format_comparison
from kms_conformance.report.html import render_html
from kms_conformance.report.junit import render_junit
from kms_conformance.report.markdown import render_markdown
from kms_conformance.report.md_summary import render_md_summary
from kms_conformance.report.schema import validate_report_dict
from kms_conformance.scrub import scrub_value
from kms_conformance.verdicts import READABLE_SCHEMAS, Report, report_from_dict, report_to_dict

__all__ = ["FILES", "Change", "Comparison", "compare", "format_comparison", "load_report", "render",
           "scrub_report", "write_atomic", "write_reports"]

Format = Literal["json", "junit", "md", "md-summary", "html"]
FORMATS: tuple[str, ...] = ("json", "junit", "md", "md-summary", "html")
#: The file each format is written to in the report directory.
FILES = {"json": "report.json", "junit": "junit.xml", "md": "report.md", "md-summary": "report-summary.md",
         "html": "report.html"}


def scrub_report(report: Report) -> Report:
    """The same report with every credential-looking value replaced (:func:`kms_conformance.scrub.scrub_value`)."""
    data = report_to_dict(report)
    data.pop("summary", None)
    return report_from_dict(scrub_value(data))


def render_json(report: Report) -> str:
    return json.dumps(report_to_dict(report), indent=2, ensure_ascii=False, default=str) + "\n"


_RENDERERS: dict[str, Callable[[Report], str]] = {
    "json": render_json, "junit": render_junit, "md": render_markdown, "md-summary": render_md_summary,
    "html": render_html,
}


def render(report: Report, fmt: str) -> str:
    """The report in one format (credentials scrubbed). ``fmt``: json, junit, md, md-summary or html."""
    try:
        renderer = _RENDERERS[fmt]
    except KeyError:
        raise ValueError(f"unknown report format {fmt!r}; one of {', '.join(FORMATS)}") from None
    return renderer(scrub_report(report))


def _file_mode() -> int:
    """The mode open() would give a new file (mkstemp alone gives 0600): 0666 less the umask."""
    mask = os.umask(0o022)
    os.umask(mask)
    return 0o666 & ~mask


def write_atomic(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` through a temporary file in the same directory and ``os.replace``,
    so a reader never sees a half-written file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        os.fchmod(fd, _file_mode())
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def write_reports(report: Report, directory: Path, formats: Iterable[str] = FORMATS) -> dict[str, Path]:
    """Write the report in each format to ``directory`` (report.json first); returns format -> path."""
    wanted = list(dict.fromkeys(formats))
    for fmt in wanted:
        if fmt not in _RENDERERS:
            raise ValueError(f"unknown report format {fmt!r}; one of {', '.join(FORMATS)}")
    if "json" in wanted:
        wanted.remove("json")
        wanted.insert(0, "json")
    clean = scrub_report(report)
    written: dict[str, Path] = {}
    for fmt in wanted:
        path = Path(directory) / FILES[fmt]
        write_atomic(path, _RENDERERS[fmt](clean))
        written[fmt] = path
    return written


def load_report(path: str | Path) -> Report:
    """Read a ``report.json``; a malformed or wrong-schema file raises ``InputError`` naming the file
    and the JSON path of the first problem."""
    return report_from_json(inputs.load_json(path), source=str(path))


def report_from_json(data: Any, *, source: str) -> Report:
    """A ``report.json`` already parsed (``data``, read from ``source``: a file name, ``-``), checked as
    :func:`load_report` checks it; for a command that also needs the parsed form, since ``-`` (standard
    input) can be read only once."""
    if isinstance(data, dict) and "schema" in data and data["schema"] not in READABLE_SCHEMAS:
        raise InputError(f"not a kms-conformance report of a known version: schema is {data['schema']!r}, "
                         f"this kit reads {', '.join(map(repr, READABLE_SCHEMAS))}", source=source, path="schema")
    problems = validate_report_dict(data)
    if problems:
        where, what = problems[0]
        more = f" (and {len(problems) - 1} more problem(s))" if len(problems) > 1 else ""
        raise InputError(what + more, source=source, path=where)
    try:
        return report_from_dict(data)
    except (KeyError, ValueError, TypeError) as exc:
        raise InputError(f"not a valid report: {exc}", source=source) from None
