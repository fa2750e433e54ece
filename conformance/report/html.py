"""``report.html``: one self-contained page (no external assets: styles and a few lines of script
are inline). An overview picture (one cell per rule, :mod:`kms_conformance.report.overview`), then per
page of documentation (in page order; the KMS rules under their own group), failing rules first and
passing ones folded: the verdict, the quoted sentence in the page's language with the kit's English
rendering, the counterexample. Filterable by verdict (``failing``: nonconformant + error), document
and text, the filters kept in the URL fragment (``#filter=failing``). Everything printed is escaped.
"""

from __future__ import annotations

import html
import json
from collections.abc import Iterable
from typing import Any

from kms_conformance.report.md_summary import failing, section_of, sections
from kms_conformance.report.overview import CSS as OVERVIEW_CSS
from kms_conformance.report.overview import quotes, render_overview, section_heading
from kms_conformance.report.repro import repro_scripts
from kms_conformance.report.summary import (
    call_lines,
    doc_label,
    incomplete_text,
    reason_text,
    summarize,
    target_text,
)
from kms_conformance.verdicts import Finding, Report, RuleResult, Verdict

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
.v-unsupported .badge,.v-skipped .badge,.v-known .badge,.v-inconclusive .badge{color:#666}
.finding{border-left:3px solid #b00020;margin:.4em 0;padding-left:.6em}
.del{color:#b00020}.ins{color:#1b7f2a}
pre{background:#f6f8fa;padding:.5em;overflow:auto;max-height:24em}
table.meta td{padding:0 1em 0 0;vertical-align:top}
"""

_JS = """
(function () {
  var v = document.getElementById('f-verdict'), d = document.getElementById('f-doc'),
      t = document.getElementById('f-text'), n = document.getElementById('f-count');
  function fromHash() {
    var h = location.hash.slice(1);
    if (h.indexOf('=') < 0) {  // a rule's anchor: unfold it
      var el = h && document.getElementById(decodeURIComponent(h));
      if (el && el.closest('details')) { el.closest('details').open = true; el.scrollIntoView(); }
      return;
    }
    var p = {};
    h.split('&').forEach(function (kv) {
      var i = kv.indexOf('='); p[kv.slice(0, i)] = decodeURIComponent(kv.slice(i + 1));
    });
    v.value = p.filter || ''; d.value = p.doc || ''; t.value = p.q || '';
  }
  function toHash() {
    var parts = [];
    if (v.value) { parts.push('filter=' + encodeURIComponent(v.value)); }
    if (d.value) { parts.push('doc=' + encodeURIComponent(d.value)); }
    if (t.value) { parts.push('q=' + encodeURIComponent(t.value)); }
    if (parts.length || location.hash.indexOf('=') >= 0) {
      history.replaceState(null, '', parts.length ? '#' + parts.join('&') : location.pathname + location.search);
    }
  }
  function apply() {
    var shown = 0, text = t.value.toLowerCase();
    document.querySelectorAll('details.passing').forEach(function (el) { el.open = !!(v.value || text); });
    document.querySelectorAll('.rule').forEach(function (el) {
      var verdict = el.getAttribute('data-verdict');
      var ok = (!v.value || verdict === v.value ||
                (v.value === 'failing' && el.getAttribute('data-failing') === 'true')) &&
               (!d.value || el.getAttribute('data-doc') === d.value) &&
               (!text || el.textContent.toLowerCase().indexOf(text) >= 0);
      el.hidden = !ok; if (ok) { shown++; }
    });
    document.querySelectorAll('section.doc').forEach(function (s) {
      s.hidden = !s.querySelector('.rule:not([hidden])');
    });
    n.textContent = shown + ' shown';
  }
  function changed() { toHash(); apply(); }
  [v, d, t].forEach(function (e) { e.addEventListener('input', changed); e.addEventListener('change', changed); });
  window.addEventListener('hashchange', function () { fromHash(); apply(); });
  fromHash();
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


def _diff_line(line: str) -> str:
    cls = "del" if line.startswith("-") else "ins" if line.startswith("+") else ""
    return f'<span class="{cls}">{esc(line)}</span>' if cls else esc(line)


def _finding(i: int, total: int, finding: Finding) -> str:
    """One finding: summary, signature, counterexample, and the calls (subject calls as a diff of
    the reference model's answer and the target's)."""
    parts = [f'<div class="finding" id="finding-{i}"><div><strong>Finding {i} of {total}</strong>: '
             f"{esc(finding.summary)}</div>",
             f"<div><small>signature: <code>{esc(finding.signature)}</code></small></div>",
             f"<details open><summary>Counterexample</summary><pre>{esc(_json(finding.counterexample))}</pre>"
             "</details>"]
    if finding.calls:
        lines = "\n".join(_diff_line(line) for line in call_lines(finding))
        parts.append(f"<details><summary>Calls ({len(finding.calls)})</summary><pre>{lines}</pre></details>")
    parts.append("</div>")
    return "\n".join(parts)


def _rule(result: RuleResult, meta: Any = None) -> str:
    key = _filter_key(result)
    label = "known divergence" if key == "known" else result.verdict.value
    parts = [
        f'<article class="rule v-{esc(key)}" data-verdict="{esc(key)}" data-doc="{esc(section_of(result))}" '
        f'data-failing="{str(failing(result)).lower()}" id="{esc(result.rule_id)}">',
        f'<div><span class="badge">{esc(label)}</span> <strong>{esc(result.rule_id)}</strong> '
        f'[{esc(result.severity)}, {esc(", ".join(result.kind))}] {esc(result.title)}</div>',
        f"<div>section “{esc(result.section)}”</div>",
        quotes(result),
    ]
    if result.verdict is Verdict.NONCONFORMANT:
        if result.detail:
            parts.append(f"<pre>{esc(result.detail)}</pre>")
        if result.findings:
            parts.extend(_finding(i, len(result.findings), f) for i, f in enumerate(result.findings, 1))
        else:
            for name, value in (("Counterexample", result.counterexample),
                                ("Expected (reference model)", result.expected),
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
    if result.verdict is Verdict.NONCONFORMANT and meta is not None:
        for index, script in repro_scripts(result, meta):
            parts.append(f"<details><summary>Reproduction of finding {index + 1}: a standalone boto3 + moto script "
                         f"(<code>python repro.py</code>; exit 0 once the target conforms)</summary>"
                         f"<pre>{esc(script)}</pre></details>")
    parts.append(f"<small>{result.examples} example(s), {result.duration:.2f} s</small></article>")
    return "\n".join(parts)


def _options(values: Iterable[tuple[str, str]]) -> str:
    return "".join(f'<option value="{esc(v)}">{esc(label)}</option>' for v, label in values)


def render_html(report: Report) -> str:
    s = summarize(report)
    m = report.meta
    docs = sections(report)  # by page (or document group), in page order
    title = f"kms-conformance: {s.status} on {target_text(report)}"
    verdicts = [("", "all verdicts"), ("failing", "failing (nonconformant + error)")] + [
        (v.value, v.value) for v in Verdict] + [("known", "known divergence")]
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
        render_overview(report),
        '<div class="filters"><label>Verdict <select id="f-verdict">' + _options(verdicts) + "</select></label> "
        '<label>Document <select id="f-doc">' + _options([("", "all documents")] + [(d, doc_label(d)) for d in docs])
        + '</select></label> <label>Text <input id="f-text" type="search" placeholder="id, title, sentence...">'
        '</label> <span id="f-count"></span></div>',
    ]
    for doc, results in docs.items():
        bad = sum(1 for r in results if r.verdict is Verdict.NONCONFORMANT and r.known is None)
        body.append(f'<section class="doc">{section_heading(doc, len(results), bad)}')
        # failing rules first, then the other untested or known ones; passing rules folded
        body.extend(_rule(r, report.meta) for r in results if failing(r))
        body.extend(_rule(r, report.meta) for r in results if not failing(r) and r.verdict is not Verdict.CONFORMANT)
        passing = [r for r in results if not failing(r) and r.verdict is Verdict.CONFORMANT]
        if passing:
            body.append(f'<details class="passing"><summary>{len(passing)} conformant rule(s)</summary>')
            body.extend(_rule(r, report.meta) for r in passing)
            body.append("</details>")
        body.append("</section>")
    if not report.results:
        body.append("<p>No rule was run.</p>")
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{esc(title)}</title><style>{_CSS}{OVERVIEW_CSS}</style></head>\n<body>\n"
        + "\n".join(p for p in body if p)
        + f"\n<script>{_JS}</script>\n</body></html>\n"
    )
