"""The overview picture at the top of ``report.html``: one cell per rule, grouped by page (or
document group) in page order, coloured by verdict and readable without colour (a letter per cell,
a ``title`` and an ``aria-label`` naming the rule and its verdict), each cell linking to the rule's
entry below. Also the page-language markup of quotes (``lang="ko"``) so browsers pick a font.
"""

from __future__ import annotations

import html
from typing import Any

from kms_conformance.documents import GROUP_TITLES, PAGES
from kms_conformance.report.md_summary import section_label, sections
from kms_conformance.report.summary import TRANSLATION_NOTE
from kms_conformance.verdicts import Report, RuleResult

#: Per cell key: the letter shown in the cell and the legend's words.
KEYS: tuple[tuple[str, str, str], ...] = (
    ("conformant", "C", "conformant"),
    ("nonconformant", "N", "nonconformant"),
    ("error", "E", "error"),
    ("known", "K", "known divergence"),
    ("inconclusive", "I", "inconclusive"),
    ("unsupported", "U", "unsupported"),
    ("skipped", "S", "skipped"),
)
_LETTER = {key: letter for key, letter, _ in KEYS}
_WORDS = {key: words for key, _, words in KEYS}

CSS = """
.overview{margin:.6em 0}.ov-group{margin:.3em 0}.ov-group h3{font-size:.95em;margin:.2em 0;font-weight:600}
.cells{display:flex;flex-wrap:wrap;gap:2px}
.cell{display:inline-block;width:1.6em;height:1.6em;line-height:1.6em;text-align:center;font:bold 11px/1.6em
 ui-monospace,monospace;text-decoration:none;border-radius:2px;color:#fff}
.cell:focus,.cell:hover{outline:2px solid #000}
.c-conformant{background:#1b7f2a}.c-nonconformant{background:#b00020}.c-error{background:#6a1b9a}
.c-known{background:#e0a000;color:#000}.c-inconclusive{background:#8d6e63}.c-unsupported{background:#9e9e9e;color:#000}
.c-skipped{background:#e0e0e0;color:#000}
.legend{display:flex;flex-wrap:wrap;gap:.8em;font-size:.9em;margin:.3em 0}.legend .cell{margin-right:.3em}
blockquote.en{font-style:normal;color:#333}blockquote.en small{display:block;color:#666}
pre,code,td{overflow-wrap:anywhere}pre{white-space:pre-wrap}
"""


def cell_key(result: RuleResult) -> str:
    """The colour and letter of a rule's cell: its verdict, or ``known`` for a known divergence."""
    return "known" if result.known is not None else result.verdict.value


def esc(value: Any) -> str:
    return html.escape(value if isinstance(value, str) else str(value), quote=True)


def legend() -> str:
    return '<div class="legend">' + "".join(
        f'<span><span class="cell c-{key}" aria-hidden="true">{letter}</span>{esc(words)}</span>'
        for key, letter, words in KEYS) + "</div>"


def render_overview(report: Report) -> str:
    """The picture: a legend, then per section (in page order) its rules' cells."""
    parts = ['<nav class="overview" aria-label="Overview: one cell per rule">', legend()]
    for key, results in sections(report).items():
        parts.append(f'<div class="ov-group"><h3>{esc(section_label(key))}</h3><div class="cells">')
        for r in results:
            k = cell_key(r)
            words = _WORDS.get(k, k)
            label = f"{r.rule_id}: {words}. {r.title}"
            parts.append(f'<a class="cell c-{esc(k)}" href="#{esc(r.rule_id)}" title="{esc(label)}" '
                         f'aria-label="{esc(label)}">{_LETTER.get(k, "?")}</a>')
        parts.append("</div></div>")
    parts.append("</nav>")
    return "".join(parts)


def section_heading(key: str, count: int, bad: int) -> str:
    """A section's heading: the page's short name, file and English title linking to the AWS page
    (a group's title for a document group), and its counts."""
    page = PAGES.get(key)
    name = esc(section_label(key))
    if page is not None:
        lang = "" if page.lang == "en" else f" (the kit's source is AWS's {esc(page.lang)} translation)"
        name = f'{name} <a href="{esc(page.url)}">{esc(page.url)}</a>{lang}'
    elif key in GROUP_TITLES:
        name = f"{name} (each rule quotes the page it cites)"
    return f"<h2>{name}: {count} rule(s), {bad} nonconformant</h2>"


def quotes(result: RuleResult) -> str:
    """The quoted sentence in its page's language, and the kit's English rendering marked as such."""
    page = PAGES.get(result.doc)
    lang = page.lang if page is not None else "und"
    out = f'<blockquote lang="{esc(lang)}">{esc(result.quote)}</blockquote>'
    if result.quote_en:
        out += (f'<blockquote class="en" lang="en"><small>{esc(TRANSLATION_NOTE)}</small>'
                f"{esc(result.quote_en)}</blockquote>")
    return out
