"""``report-summary.md``: the short Markdown of a report, for a CI step summary or a pull-request
comment, under :data:`LIMIT` characters whatever the size of the catalogue.

An overview table by page (counts per verdict), then the failing rules (nonconformant, not known;
errors) with their first finding, then every other rule folded in ``<details>``; what does not fit
is counted and left to ``report.html``, which the summary links to. The full Markdown is
:func:`kms_conformance.report.markdown.render_markdown`.
"""

from __future__ import annotations

from kms_conformance.documents import GROUP_TITLES, PAGES
from kms_conformance.report.markdown import cell
from kms_conformance.report.summary import doc_label, incomplete_text, outcome_text, summarize, target_text
from kms_conformance.verdicts import Report, RuleResult, Verdict

#: GitHub's step summary and comments take 65,536 characters at most; keep room for what CI adds.
LIMIT = 60_000

_COLUMNS = (Verdict.CONFORMANT, Verdict.NONCONFORMANT, Verdict.ERROR, Verdict.INCONCLUSIVE,
            Verdict.UNSUPPORTED, Verdict.SKIPPED)


def failing(result: RuleResult) -> bool:
    """Shown first: a nonconformant rule that is not a known divergence, or an error."""
    return result.verdict is Verdict.ERROR or (result.verdict is Verdict.NONCONFORMANT and result.known is None)


def section_of(result: RuleResult) -> str:
    """The heading a result is filed under: its document group (``kms``) or its page's file name."""
    return result.group or result.doc


def section_label(key: str) -> str:
    """How reports name a section: a group's title, or the page's short name, file and English title."""
    if key in GROUP_TITLES:
        return f"{key}: {GROUP_TITLES[key]}"
    page = PAGES.get(key)
    return f"{doc_label(key)}: {page.title}" if page else doc_label(key)


def sections(report: Report) -> dict[str, list[RuleResult]]:
    """Results by section, sections and rules in the order the report lists them (page order)."""
    out: dict[str, list[RuleResult]] = {}
    for r in report.results:
        out.setdefault(section_of(r), []).append(r)
    return out


def _first_finding(result: RuleResult) -> str:
    if result.verdict is Verdict.ERROR:
        return result.detail.splitlines()[0] if result.detail else "error"
    if result.findings:
        more = f" (+{len(result.findings) - 1} more)" if len(result.findings) > 1 else ""
        return result.findings[0].summary + more
    return result.detail or f"expected {result.expected!r}, observed {result.observed!r}"


def _bounded(head: str, rows: list[str], tail: str, budget: int, more: str) -> str:
    """``head`` + as many ``rows`` as fit in ``budget`` characters + ``tail``; a line saying how
    many rows were left out (``more`` formats the count) when not all fit."""
    kept: list[str] = []
    used = len(head) + len(tail) + len(more) + 20
    for row in rows:
        if used + len(row) + 1 > budget:
            break
        kept.append(row)
        used += len(row) + 1
    left = len(rows) - len(kept)
    note = [more.format(left)] if left else []
    return "\n".join([head, *kept, *note, tail])


def render_md_summary(report: Report, html_link: str = "report.html") -> str:
    """The summary Markdown (always under :data:`LIMIT` characters)."""
    s = summarize(report)
    link = f"[report.html]({html_link})" if html_link else "report.html"
    head = [f"## kms-conformance: {s.status} on {cell(target_text(report), 200)}", ""]
    if report.meta.incomplete:
        head += [f"> **{cell(incomplete_text(report), 300)}**", ""]
    head += [f"- **{s.coverage_text()}**", f"- **{s.divergence_text()}**",
             f"- {s.failed} result(s) fail the run; every rule, finding and reproduction: {link}", ""]
    groups = sections(report)
    table = ["| Page | Rules | " + " | ".join(v.value for v in _COLUMNS) + " |",
             "|---|---:|" + "---:|" * len(_COLUMNS)]
    for key, results in list(groups.items())[:200]:
        page = PAGES.get(key)
        name = cell(section_label(key), 120)
        label = f"[{name}]({page.url})" if page else name
        counts = [sum(1 for r in results if r.verdict is v) for v in _COLUMNS]
        table.append(f"| {label} | {len(results)} | " + " | ".join(str(n) for n in counts) + " |")
    if len(groups) > 200:
        table.append(f"| {len(groups) - 200} more pages: see {link} | | " + " | ".join(" " for _ in _COLUMNS) + " |")
    text = "\n".join(head + table + [""])
    bad = [r for r in report.results if failing(r)]
    rest = [r for r in report.results if not failing(r)]
    if bad:
        rows = [f"| {cell(r.rule_id, 30)} | {cell(outcome_text(r), 30)} | {cell(section_label(section_of(r)), 60)} | "
                f"{cell(_first_finding(r), 200)} |" for r in bad]
        text += "\n" + _bounded(f"### Failing ({len(bad)})\n\n| Rule | Verdict | Page | First finding |\n"
                                "|---|---|---|---|", rows, "",
                                (LIMIT - len(text)) * 2 // 3, f"\n_{{}} more failing rule(s): see {link}._")
    if rest:
        rows = [f"- {cell(r.rule_id, 30)} {cell(outcome_text(r), 40)}: {cell(r.title, 90)}" for r in rest]
        text += "\n" + _bounded(f"<details><summary>Other rules ({len(rest)})</summary>\n", rows,
                                "\n</details>\n", LIMIT - len(text) - 100, f"- … {{}} more: see {link}")
    return text[:LIMIT]
