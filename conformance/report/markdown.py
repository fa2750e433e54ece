"""``report.md``: fits a pull-request comment or a CI step summary.

A status line, coverage and divergence on lines of their own (never added together), a table of
failures with their replay commands, then collapsible details. Everything taken from the report
is escaped (Markdown table syntax and raw HTML), and the whole stays under GitHub's comment limit.
"""

from __future__ import annotations

import html
import json
import re
from typing import Any

from kms_conformance.documents import DOCS
from kms_conformance.report.repro import findings_of, repro_command
from kms_conformance.report.summary import (
    TRANSLATION_NOTE,
    call_lines,
    doc_citation,
    incomplete_text,
    outcome_text,
    reason_text,
    summarize,
    target_text,
)
from kms_conformance.verdicts import Report, RuleResult, Verdict

#: GitHub refuses comments over 65536 characters; keep room for what CI wraps around it.
LIMIT = 60_000


def cell(value: Any, width: int = 80) -> str:
    """One table cell: on one line, HTML and ``|`` escaped, cut to ``width`` characters."""
    text = value if isinstance(value, str) else json.dumps(value, sort_keys=True, default=str, ensure_ascii=False)
    text = re.sub(r"\s+", " ", text).strip()
    if len(text) > width:
        text = text[: width - 1] + "…"
    return html.escape(text, quote=False).replace("|", "\\|").replace("`", "&#96;") or " "


def code_cell(value: str | None) -> str:
    if not value:
        return " "
    return f"<code>{cell(value, 200)}</code>"


def fenced(text: str, lang: str = "") -> str:
    """A fenced code block that survives any backticks inside ``text``."""
    longest = max((len(m) for m in re.findall(r"`+", text)), default=0)
    fence = "`" * max(3, longest + 1)
    return f"{fence}{lang}\n{text}\n{fence}"


def _json(value: Any) -> str:
    return json.dumps(value, indent=2, sort_keys=True, default=str, ensure_ascii=False)


def _details(result: RuleResult) -> str:
    summary = html.escape(f"{result.rule_id} [{result.severity}] {result.title}", quote=False)
    parts = [
        f"<details><summary>{summary}</summary>",
        "",
        f"{cell(doc_citation(result.doc), 300)}, section “{cell(result.section, 200)}”:",
        "",
        "> " + cell(result.quote, 1000),
        "",
        *([f"> _{TRANSLATION_NOTE}:_ " + cell(result.quote_en, 1000), ""] if result.quote_en else []),
    ]
    if result.detail:
        parts += [fenced(result.detail), ""]
    if result.findings:
        for i, f in enumerate(result.findings, 1):
            parts += [f"**Finding {i} of {len(result.findings)}**: {cell(f.summary, 300)}", "",
                      f"signature: <code>{cell(f.signature, 300)}</code>", "",
                      "Counterexample:", "", fenced(_json(f.counterexample), "json"), ""]
            if f.calls:
                parts += ["Calls (expected vs observed for subject calls):", "",
                          fenced("\n".join(call_lines(f)), "diff"), ""]
            if f.repro:  # a stand-alone reproduction, when one was made for the finding
                parts += [f"Reproduction: {cell(f.repro, 300)}", ""]
    else:
        for name, value in (("Counterexample", result.counterexample), ("Expected (reference model)", result.expected),
                            ("Observed (target)", result.observed)):
            if value is not None or result.verdict is Verdict.NONCONFORMANT:
                parts += [f"{name}:", "", fenced(_json(value), "json"), ""]
    if result.replay:
        parts += ["Replay:", "", fenced(result.replay, "sh"), ""]
    repros = [repro_command(result.rule_id, i + 1) for i, _ in findings_of(result)]
    if repros:
        parts += ["Standalone reproduction (boto3 + moto), per finding:", "", fenced("\n".join(repros), "sh"), ""]
    parts += ["</details>", ""]
    return "\n".join(parts)


def render_markdown(report: Report) -> str:
    s = summarize(report)
    m = report.meta
    out: list[str] = [f"## kms-conformance: {s.status} on {cell(target_text(report), 200)}", ""]
    if m.incomplete:
        out += [f"> **{cell(incomplete_text(report), 300)}**", ""]
    out += [f"- **{s.coverage_text()}**", f"- **{s.divergence_text()}**",
            f"- {s.failed} result(s) fail the run; profile `{cell(m.profile, 40)}`, seed `{m.seed}`, "
            f"kit {cell(m.kit_version, 40)}", ""]
    failures = [r for r in report.results if r.verdict is Verdict.NONCONFORMANT and r.known is None]
    errors = [r for r in report.results if r.verdict is Verdict.ERROR]
    known = [r for r in report.results if r.known is not None]
    untested = [r for r in report.results if r.verdict in (Verdict.UNSUPPORTED, Verdict.INCONCLUSIVE,
                                                           Verdict.SKIPPED)]
    if failures:
        out += [f"### Nonconformant ({len(failures)})", "",
                "| Rule | Severity | Document, section | Expected | Observed | Findings | Replay |",
                "|---|---|---|---|---|---|---|"]
        for r in failures:
            out.append(f"| {cell(r.rule_id)} | {cell(r.severity)} | {cell(DOCS.get(r.doc, r.doc), 30)}, "
                       f"{cell(r.section, 40)} | {cell(r.expected, 60)} | {cell(r.observed, 60)} | "
                       f"{len(r.findings) or 1} | {code_cell(r.replay)} |")
        out.append("")
    if errors:
        out += [f"### Errors ({len(errors)})", "", "| Rule | Error | Replay |", "|---|---|---|"]
        out += [f"| {cell(r.rule_id)} | {cell(r.detail or 'error', 120)} | {code_cell(r.replay)} |" for r in errors]
        out.append("")
    if known:
        out += [f"### Known divergences ({len(known)})", "", "| Rule | Reason |", "|---|---|"]
        out += [f"| {cell(r.rule_id)} | {cell(reason_text(r), 160)} |" for r in known]
        out.append("")
    if untested:
        out += [f"<details><summary>Not tested ({len(untested)})</summary>", "", "| Rule | Verdict | Reason |",
                "|---|---|---|"]
        out += [f"| {cell(r.rule_id)} | {cell(outcome_text(r), 60)} | {cell(reason_text(r), 160)} |"
                for r in untested]
        out += ["", "</details>", ""]
    if m.baseline_notes:
        out += ["Baseline notes:", ""] + [f"- {cell(n, 300)}" for n in m.baseline_notes] + [""]
    text = "\n".join(out)
    details = [_details(r) for r in failures + errors]
    if details:
        text += "\n### Details\n\n"
        for i, block in enumerate(details):
            if len(text) + len(block) > LIMIT:
                text += f"_{len(details) - i} more not shown (size limit): see report.html or report.json._\n"
                break
            text += block
    run = ("<details><summary>Run</summary>\n\n| | |\n|---|---|\n"
           + "".join(f"| {k} | {cell(v, 200)} |\n" for k, v in (
               ("target", target_text(report)), ("account", m.account or "-"), ("started", m.started),
               ("finished", m.finished or "-"), ("host", m.host or "-"), ("incomplete", str(m.incomplete).lower()),
               ("command", " ".join(m.argv) or "-"), *(("target note", n) for n in m.target_notes)))
           + "\n</details>\n")
    return text + "\n" + run
