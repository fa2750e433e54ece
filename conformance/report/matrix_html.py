"""``report matrix -o matrix.html``: the matrix as one self-contained page.

Rules down (grouped by page, in the reports' order), reports across (labelled by target and
version); each verdict cell is a letter and a word, coloured (the overview's colours), and links to
the rule's entry in that report's HTML (``<report dir>/report.html#RULE``, relative to the matrix
file); rows whose verdicts differ are highlighted and marked. Like the Markdown matrix it only shows:
``report compare`` is the gate.
"""

from __future__ import annotations

from collections.abc import Sequence

from kms_conformance.report.matrix import Column, totals
from kms_conformance.report.md_summary import section_label, section_of
from kms_conformance.report.overview import CSS as OVERVIEW_CSS
from kms_conformance.report.overview import cell_key, esc, legend
from kms_conformance.verdicts import RuleResult

_CSS = """
body{font:14px/1.45 system-ui,sans-serif;margin:0 auto;max-width:1100px;padding:1em;color:#1b1b1b}
h1{font-size:1.3em}table.matrix{border-collapse:collapse;width:100%;table-layout:fixed}
.matrix th,.matrix td{border:1px solid #ddd;padding:.2em .4em;text-align:left;vertical-align:top}
.matrix tr.differs{background:#fff3cd}.matrix tr.differs th:first-child::after{content:" \\2260";color:#b00020}
.matrix th.group{background:#f0f0f0;font-weight:600}
.matrix td a{display:inline-flex;align-items:center;gap:.3em;text-decoration:none;color:inherit}
"""

_LETTERS = {"conformant": "C", "nonconformant": "N", "error": "E", "known": "K", "inconclusive": "I",
            "unsupported": "U", "skipped": "S"}


def _cell(result: RuleResult | None, href: str) -> str:
    if result is None:
        return '<td title="not in this report">-</td>'
    key = cell_key(result)
    words = "known divergence" if key == "known" else key
    return (f'<td><a href="{esc(href)}#{esc(result.rule_id)}" title="{esc(result.rule_id)}: {esc(words)}">'
            f'<span class="cell c-{esc(key)}" aria-hidden="true">{_LETTERS.get(key, "?")}</span>{esc(words)}</a></td>')


def render_matrix_html(columns: Sequence[Column], hrefs: Sequence[str]) -> str:
    """The page: ``hrefs[i]`` is the link to column i's ``report.html`` (relative to the page)."""
    by_id = [{r.rule_id: r for r in c.report.results} for c in columns]
    order: dict[str, RuleResult] = {}
    for column in columns:
        for result in column.report.results:
            order.setdefault(result.rule_id, result)
    head = "".join(
        f"<th>{esc(c.label)}<br><small>{esc(c.report.meta.target)}"
        f"{' ' + esc(c.report.meta.target_version) if c.report.meta.target_version else ''}</small></th>"
        for c in columns)
    rows: list[str] = []
    section = None
    differ = 0
    for rule_id, first in order.items():
        key = section_of(first)
        if key != section:
            section = key
            rows.append(f'<tr><th class="group" colspan="{len(columns) + 1}">{esc(section_label(key))}</th></tr>')
        results = [ids.get(rule_id) for ids in by_id]
        keys = {cell_key(r) if r is not None else "-" for r in results}
        cls = ' class="differs"' if len(keys) > 1 else ""
        differ += len(keys) > 1
        rows.append(f'<tr{cls}><th scope="row" title="{esc(first.title)}">{esc(rule_id)}</th>'
                    + "".join(_cell(r, h) for r, h in zip(results, hrefs, strict=True)) + "</tr>")
    summary = "".join(
        f"<li>{esc(c.label)}: target {esc(c.report.meta.target)} {esc(c.report.meta.target_version)}, "
        f"seed {c.report.meta.seed}, profile {esc(c.report.meta.profile)}: {esc(totals(c.report))}"
        f"{' (incomplete)' if c.report.meta.incomplete else ''}</li>" for c in columns)
    title = f"kms-conformance matrix: {len(order)} rule(s), {differ} differ across {len(columns)} report(s)"
    return ('<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
            '<meta name="viewport" content="width=device-width, initial-scale=1">'
            f"<title>{esc(title)}</title><style>{_CSS}{OVERVIEW_CSS}</style></head>\n<body>\n"
            f"<h1>{esc(title)}</h1>{legend()}<p>Rows whose verdicts differ are highlighted and marked ≠.</p>"
            f'<table class="matrix"><thead><tr><th>rule</th>{head}</tr></thead><tbody>{"".join(rows)}</tbody></table>'
            f"<ul>{summary}</ul>\n</body></html>\n")
