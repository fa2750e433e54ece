"""``report.html``: one self-contained page (no external assets: styles and a few lines of script
are inline). Per page of documentation, per rule: the verdict, the quoted sentence, the
counterexample; filterable by verdict, document and text. Everything printed is escaped.
"""

from __future__ import annotations

import html
import json
from collections.abc import Iterable
from typing import Any

from kms_conformance.report.summary import doc_label, incomplete_text, reason_text, summarize, target_text
from kms_conformance.verdicts import Report, RuleResult, Verdict

_CSS = """
body{font:14px/1.45 system-ui,sans-serif;margin:0 auto;max-width:1100px;padding:1em;color:#1b1b1b}
h1{font-size:1.4em}h2{font-size:1.15em;border-bottom:1px solid #ccc;padding-bottom:.2em}
.status-FAILED{color:#b00020}.status-PASSED{color:#1b7f2a}.status-INCOMPLETE,.status-NOTHING-TESTED{color:#a35c00}
.banner{background:#fff3cd;border:1px solid #e0b000;padding:.6em;font-weight:bold}
.filters{position:sticky;top:0;background:#fff;padding:.5em 0;border-bottom:1px solid #ddd}
.filters input{width:20em}
.rule{border:1px solid #ddd;border-radius:4px;margin:.4em 0;padding:.4em .6em}
.rule blockquote{margin:.3em 0 .3em 1em;color:#444;font-style:italic}
.badge{display:inline-block;min-width:7em;font-weight:bold}
.v-conformant .badge{color:#1b7f2a}.v-nonconformant .badge,.v-error .badge{color:#b00020}
.v-unsupported .badge,.v-skipped .badge,.v-known .badge{color:#666}
pre{background:#f6f8fa;padding:.5em;overflow:auto;max-height:24em}
table.meta td{padding:0 1em 0 0;vertical-align:top}
"""

_JS = """
(function () {
  var v = document.getElementById('f-verdict'), d = document.getElementById('f-doc'),
      t = document.getElementById('f-text'), n = document.getElementById('f-count');
  function apply() {
    var shown = 0, text = t.value.toLowerCase();
    document.querySelectorAll('.rule').forEach(function (el) {
      var ok = (!v.value || el.getAttribute('data-verdict') === v.value) &&
               (!d.value || el.getAttribute('data-doc') === d.value) &&
               (!text || el.textContent.toLowerCase().indexOf(text) >= 0);
      el.hidden = !ok; if (ok) { shown++; }
    });
    document.querySelectorAll('section.doc').forEach(function (s) {
      s.hidden = !s.querySelector('.rule:not([hidden])');
    });
    n.textContent = shown + ' shown';
  }
  [v, d, t].forEach(function (e) { e.addEventListener('input', apply); e.addEventListener('change', apply); });
  apply();
})();
"""


def esc(value: Any) -> str:
    """Escape anything for HTML text or a quoted attribute."""
    return html.escape(value if isinstance(value, str) else str(value), quote=True)


def _json(value: Any) -> str:
    return json.dumps(value, indent=2, sort_keys=True, default=str, ensure_ascii=False)


def _filter_key(result: RuleResult) -> str:
    return "known" if result.known is not None else result.verdict.value


def _rule(result: RuleResult) -> str:
    key = _filter_key(result)
    label = "known divergence" if key == "known" else result.verdict.value
    parts = [
        f'<article class="rule v-{esc(key)}" data-verdict="{esc(key)}" data-doc="{esc(result.doc)}" '
        f'id="{esc(result.rule_id)}">',
        f'<div><span class="badge">{esc(label)}</span> <strong>{esc(result.rule_id)}</strong> '
        f'[{esc(result.severity)}, {esc(", ".join(result.kind))}] {esc(result.title)}</div>',
        f"<div>section “{esc(result.section)}”</div>",
        f"<blockquote>{esc(result.quote)}</blockquote>",
    ]
    if result.verdict is Verdict.NONCONFORMANT:
        if result.detail:
            parts.append(f"<pre>{esc(result.detail)}</pre>")
        for name, value in (("Counterexample", result.counterexample), ("Expected (reference model)", result.expected),
                            ("Observed (target)", result.observed)):
            parts.append(f"<details{' open' if name == 'Counterexample' else ''}><summary>{esc(name)}</summary>"
                         f"<pre>{esc(_json(value))}</pre></details>")
        if result.known is not None:
            parts.append(f"<p>{esc(reason_text(result))}</p>")
    elif result.verdict is Verdict.ERROR:
        parts.append(f"<pre>{esc(result.detail or 'error')}</pre>")
    elif result.verdict is not Verdict.CONFORMANT:
        parts.append(f"<p>{esc(reason_text(result))}</p>")
    if result.replay and result.verdict in (Verdict.NONCONFORMANT, Verdict.ERROR):
        parts.append(f"<p>Replay: <code>{esc(result.replay)}</code></p>")
    parts.append(f"<small>{result.examples} example(s), {result.duration:.2f} s</small></article>")
    return "\n".join(parts)


def _options(values: Iterable[tuple[str, str]]) -> str:
    return "".join(f'<option value="{esc(v)}">{esc(label)}</option>' for v, label in values)


def render_html(report: Report) -> str:
    s = summarize(report)
    m = report.meta
    docs: dict[str, list[RuleResult]] = {}
    for r in report.results:
        docs.setdefault(r.doc, []).append(r)
    title = f"kms-conformance: {s.status} on {target_text(report)}"
    verdicts = [("", "all verdicts")] + [(v.value, v.value) for v in Verdict] + [("known", "known divergence")]
    body = [
        f'<h1 class="status-{esc(s.status.replace(" ", "-"))}">{esc(title)}</h1>',
        f'<p class="banner">{esc(incomplete_text(report))}</p>' if m.incomplete else "",
        f"<p><strong>{esc(s.coverage_text())}</strong><br><strong>{esc(s.divergence_text())}</strong><br>"
        f"{s.failed} result(s) fail the run.</p>",
        '<table class="meta">' + "".join(
            f"<tr><td>{esc(k)}</td><td>{esc(v)}</td></tr>" for k, v in (
                ("kit", m.kit_version), ("target", target_text(report)), ("account", m.account or "-"),
                ("profile", m.profile), ("seed", m.seed), ("started", m.started), ("finished", m.finished or "-"),
                ("host", m.host or "-"), ("incomplete", str(m.incomplete).lower()),
                ("command", " ".join(m.argv) or "-"), *(("baseline", n) for n in m.baseline_notes),
                *(("target note", n) for n in m.target_notes))) + "</table>",
        '<div class="filters"><label>Verdict <select id="f-verdict">' + _options(verdicts) + "</select></label> "
        '<label>Document <select id="f-doc">' + _options([("", "all documents")] + [(d, doc_label(d)) for d in docs])
        + '</select></label> <label>Text <input id="f-text" type="search" placeholder="id, title, sentence...">'
        '</label> <span id="f-count"></span></div>',
    ]
    for doc, results in docs.items():
        bad = sum(1 for r in results if r.verdict is Verdict.NONCONFORMANT and r.known is None)
        body.append(f'<section class="doc"><h2>{esc(doc_label(doc))}: {len(results)} rule(s), {bad} nonconformant</h2>')
        body.extend(_rule(r) for r in results)
        body.append("</section>")
    if not report.results:
        body.append("<p>No rule was run.</p>")
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{esc(title)}</title><style>{_CSS}</style></head>\n<body>\n"
        + "\n".join(p for p in body if p)
        + f"\n<script>{_JS}</script>\n</body></html>\n"
    )
