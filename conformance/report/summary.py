"""What every format says first: coverage and divergence, reported apart (never added together),
and whether the run is incomplete. Derived from the results; shared by all renderers."""

from __future__ import annotations

import json
from dataclasses import dataclass

from kms_conformance.documents import DOCS, cited_as
from kms_conformance.verdicts import Finding, Report, RuleResult, Verdict


@dataclass(frozen=True)
class Summary:
    """Counts of one report.

    *Coverage*: rules the target could be tested on (a conformant or nonconformant verdict) of all
    rules. *Divergence*: nonconformant rules of those tested (known divergences included, and
    counted apart). Errors, unsupported, inconclusive and skipped rules are neither covered nor divergent.
    """

    rules: int
    conformant: int
    nonconformant: int
    unsupported: int
    error: int
    skipped: int
    known: int
    failed: int
    incomplete: bool
    inconclusive: int = 0

    @property
    def tested(self) -> int:
        return self.conformant + self.nonconformant

    def coverage_text(self) -> str:
        pct = f" ({100 * self.tested / self.rules:.0f}%)" if self.rules else ""
        untested = [f"{n} {what}" for n, what in ((self.unsupported, "unsupported"), (self.error, "error"),
                                                  (self.inconclusive, "inconclusive"),
                                                  (self.skipped, "skipped")) if n]
        rest = f"; not tested: {', '.join(untested)}" if untested else ""
        return f"coverage: {self.tested} of {self.rules} rules tested{pct}{rest}"

    def divergence_text(self) -> str:
        pct = f" ({100 * self.nonconformant / self.tested:.0f}%)" if self.tested else ""
        known = f", {self.known} of them known divergences" if self.known else ""
        return f"divergence: {self.nonconformant} of {self.tested} tested rules nonconformant{pct}{known}"

    @property
    def status(self) -> str:
        """``FAILED`` when a result fails the run (a nonconformant must rule, not known; an error),
        ``INCOMPLETE`` when the run was interrupted, ``NOTHING TESTED`` when no rule could be tested
        (all unsupported or skipped: never shown as a pass), ``PASSED`` otherwise."""
        if self.failed:
            return "FAILED"
        if self.incomplete:
            return "INCOMPLETE"
        return "NOTHING TESTED" if self.tested == 0 else "PASSED"


def summarize(report: Report) -> Summary:
    def count(v: Verdict) -> int:
        return sum(1 for r in report.results if r.verdict is v)

    return Summary(
        rules=len(report.results), conformant=count(Verdict.CONFORMANT), nonconformant=count(Verdict.NONCONFORMANT),
        unsupported=count(Verdict.UNSUPPORTED), error=count(Verdict.ERROR), skipped=count(Verdict.SKIPPED),
        known=sum(1 for r in report.results if r.known is not None), failed=sum(1 for r in report.results if r.fails),
        incomplete=report.meta.incomplete, inconclusive=count(Verdict.INCONCLUSIVE),
    )


def target_text(report: Report) -> str:
    """``moto 5.2.5 (us-east-1, http://127.0.0.1:5000)``."""
    m = report.meta
    where = ", ".join(x for x in (m.region, m.endpoint) if x)
    name = m.target_version if m.target_version.startswith(m.target) else f"{m.target} {m.target_version}".strip()
    return name + (f" ({where})" if where else "")


def incomplete_text(report: Report) -> str:
    return ("INCOMPLETE RUN: the run was interrupted; rules without a result were not run, "
            "so this report does not show whether they hold.")


def doc_label(doc: str) -> str:
    """``forecast (004_1f23ff3028fec3c5.txt)``: the short name users pass as ``--doc``."""
    short = DOCS.get(doc)
    return f"{short} ({doc})" if short else doc


def doc_citation(doc: str) -> str:
    """The short name and file name, then the page's English title and URL
    (:func:`kms_conformance.documents.cited_as`): how text reports name a source page."""
    return cited_as(doc)


#: How a translation of a quote is marked wherever it is shown.
TRANSLATION_NOTE = "English rendering by kms-conformance (a translation, not AWS's words)"


def outcome_text(result: RuleResult) -> str:
    """The verdict as a user reads it: ``nonconformant (known)``, ``unsupported: mwaa:CreateEnvironment``."""
    v = result.verdict.value
    if result.known is not None:
        return f"{v} (known divergence)"
    if result.verdict is Verdict.UNSUPPORTED and result.unsupported_operation:
        return f"{v}: {result.unsupported_operation}"
    if result.verdict is Verdict.INCONCLUSIVE and result.inconclusive is not None:
        return f"{v}: {result.inconclusive.step}"
    return v


def blocked_text(result: RuleResult) -> str:
    """``sagemaker:CreateFeatureGroup answered InternalFailure (reference model: OK); blocked by FS-01``."""
    b = result.inconclusive
    if b is None:
        return result.detail
    by = f"; blocked by {b.blocked_by}" if b.blocked_by else ""
    return f"{b.step} answered {b.observed} (reference model: {b.expected}){by}"


def call_lines(finding: Finding) -> list[str]:
    """A finding's calls, one line each; a subject call whose answer differs from the reference
    model's is shown as a diff (``- expected`` / ``+ observed``)."""
    lines = []
    for c in finding.calls:
        who = f" as {c.principal}" if c.principal else ""
        head = f"{c.role:<8} {c.service}:{c.operation}{who} {json.dumps(c.params, sort_keys=True, default=str)}"
        code = c.outcome.get("code", "")
        if c.expected is not None and c.expected.get("code") != code:
            lines += [f"  {head}", f"-   -> {c.expected.get('code')}  (reference model)",
                      f"+   -> {code}  {c.outcome.get('message', '')}".rstrip()]
        else:
            lines.append(f"  {head} -> {code}")
    return lines


def reason_text(result: RuleResult) -> str:
    """Why a rule was not tested (or is known to diverge): the reason shown for a skipped case."""
    if result.known is not None:
        expires = f", expires {result.known.expires}" if result.known.expires else ""
        return f"known divergence on {result.known.target}: {result.known.reason}{expires}"
    if result.verdict is Verdict.INCONCLUSIVE:
        return f"inconclusive: {blocked_text(result)}"
    if result.verdict is Verdict.UNSUPPORTED:
        op = result.unsupported_operation or "an operation"
        if result.detail and op in result.detail:
            return f"unsupported: {result.detail}"
        return f"unsupported: the target lacks {op}" + (f" ({result.detail})" if result.detail else "")
    return result.detail or result.verdict.value
