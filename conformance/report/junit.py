"""``junit.xml`` for CI: one testcase per rule.

nonconformant -> ``<failure>`` (expected, observed, counterexample, replay); error -> ``<error>``;
unsupported, skipped and known divergences -> ``<skipped>`` with the reason (never a pass). An
incomplete run adds an errored testcase ``run.complete`` so that CI cannot read it as green.
"""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from typing import Any

from kms_conformance.documents import DOCS
from kms_conformance.report.summary import (
    TRANSLATION_NOTE,
    call_lines,
    doc_citation,
    incomplete_text,
    reason_text,
    summarize,
    target_text,
)
from kms_conformance.verdicts import Report, RuleResult, Verdict

# XML 1.0 forbids most control characters, even escaped.
_INVALID_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def _clean(text: str) -> str:
    return _INVALID_XML.sub("\ufffd", text)


def _json(value: Any) -> str:
    return json.dumps(value, indent=2, sort_keys=True, default=str, ensure_ascii=False)


def failure_text(result: RuleResult) -> str:
    """The body of a failure: the sentence, expected vs observed, the counterexample, the replay command."""
    lines = [
        f"{result.rule_id} [{result.severity}] {result.title}",
        f"{doc_citation(result.doc)}, section \"{result.section}\":",
        f"  \"{result.quote}\"",
        *([f"  {TRANSLATION_NOTE}: \"{result.quote_en}\""] if result.quote_en else []),
    ]
    if result.detail:
        lines += ["", result.detail]
    lines += ["", "expected:", _json(result.expected), "observed:", _json(result.observed),
              "counterexample:", _json(result.counterexample)]
    for i, f in enumerate(result.findings, 1):
        lines += ["", f"finding {i} of {len(result.findings)}: {f.summary}", f"  signature: {f.signature}",
                  "  counterexample: " + json.dumps(f.counterexample, sort_keys=True, default=str), *call_lines(f)]
    if result.replay:
        lines += ["", f"replay: {result.replay}"]
    return "\n".join(lines)


def _case(suite: ET.Element, result: RuleResult) -> None:
    short = DOCS.get(result.doc, result.doc)
    case = ET.SubElement(suite, "testcase", {
        "classname": _clean(f"kms-conformance.{short}"),
        "name": _clean(f"{result.rule_id} {result.title}"),
        "time": f"{result.duration:.3f}",
    })
    if result.verdict is Verdict.NONCONFORMANT and result.known is None:
        el = ET.SubElement(case, "failure", {
            "type": f"nonconformant ({result.severity})",
            "message": _clean(f"{result.rule_id} nonconformant: "
                              f"{result.detail or 'the target differs from the reference model'}"),
        })
        el.text = _clean(failure_text(result))
    elif result.verdict is Verdict.ERROR:
        el = ET.SubElement(case, "error", {"type": "error", "message": _clean(result.detail or "error")})
        el.text = _clean(result.detail + (f"\nreplay: {result.replay}" if result.replay else ""))
    elif result.verdict is not Verdict.CONFORMANT:
        ET.SubElement(case, "skipped", {"message": _clean(reason_text(result))})


def render_junit(report: Report) -> str:
    """The JUnit XML document (a ``<testsuites>`` with one ``<testsuite>``)."""
    s = summarize(report)
    failures = sum(1 for r in report.results if r.verdict is Verdict.NONCONFORMANT and r.known is None)
    errors = s.error + (1 if report.meta.incomplete else 0)
    skipped = s.rules - s.conformant - failures - s.error
    name = "kms-conformance" + (" (INCOMPLETE)" if report.meta.incomplete else "")
    tests = s.rules + (1 if report.meta.incomplete else 0)
    total = f"{sum(r.duration for r in report.results):.3f}"
    root = ET.Element("testsuites", {"name": name, "tests": str(tests), "failures": str(failures),
                                     "errors": str(errors), "skipped": str(skipped), "time": total})
    suite = ET.SubElement(root, "testsuite", {
        "name": _clean(f"{name}: {target_text(report)}"), "tests": str(tests), "failures": str(failures),
        "errors": str(errors), "skipped": str(skipped), "time": total, "timestamp": _clean(report.meta.started),
        "hostname": _clean(report.meta.host or "unknown"),
    })
    props = ET.SubElement(suite, "properties")
    m = report.meta
    for key, value in (("kit_version", m.kit_version), ("target", m.target), ("target_version", m.target_version),
                       ("endpoint", m.endpoint or ""), ("region", m.region), ("account", m.account or ""),
                       ("seed", str(m.seed)), ("profile", m.profile), ("started", m.started),
                       ("finished", m.finished or ""), ("incomplete", str(m.incomplete).lower()),
                       ("coverage", s.coverage_text()), ("divergence", s.divergence_text())):
        ET.SubElement(props, "property", {"name": key, "value": _clean(value)})
    if m.incomplete:
        case = ET.SubElement(suite, "testcase", {"classname": "kms-conformance.run", "name": "run.complete",
                                                 "time": "0.000"})
        ET.SubElement(case, "error", {"type": "incomplete", "message": incomplete_text(report)})
    for result in report.results:
        _case(suite, result)
    out = ET.SubElement(suite, "system-out")
    out.text = _clean("\n".join([s.coverage_text(), s.divergence_text(), *m.baseline_notes, *m.target_notes]))
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"
