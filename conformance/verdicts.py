"""Verdicts and report values: what a run produces, shared by the runner, the reports and the
pytest plugin. JSON (``report.json``, schema ``kms-conformance/report@2``) is the source of truth;
:func:`report_to_dict` / :func:`report_from_dict` are its only (de)serialisers, and the latter also
reads ``kms-conformance/report@1`` (no ``inconclusive`` verdict, no findings).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, field, replace
from enum import Enum
from typing import Any

SCHEMA = "kms-conformance/report@2"
#: Every schema :func:`report_from_dict` reads (a report of @1 has no findings and no inconclusive verdict).
READABLE_SCHEMAS = ("kms-conformance/report@1", SCHEMA)


class Verdict(str, Enum):
    """Per rule and target (DESIGN.md, Words)."""

    CONFORMANT = "conformant"
    NONCONFORMANT = "nonconformant"
    UNSUPPORTED = "unsupported"
    ERROR = "error"
    SKIPPED = "skipped"
    #: A stage or control step failed on the target before the rule's subject could be observed.
    INCONCLUSIVE = "inconclusive"


#: Verdicts that say the target was tested on the rule (coverage counts these, nothing else).
TESTED = (Verdict.CONFORMANT, Verdict.NONCONFORMANT)


@dataclass(frozen=True)
class Inconclusive:
    """Why a rule's subject could not be observed: the ``step`` (``sagemaker:CreateFeatureGroup``)
    that the reference model completed with ``expected`` (``OK``) failed on the target with
    ``observed`` (``InternalFailure``); ``blocked_by`` is the rule whose subject that step is, when
    the catalogue has one (the divergence is filed there)."""

    step: str
    expected: str
    observed: str
    message: str = ""
    blocked_by: str | None = None


@dataclass(frozen=True)
class Call:
    """One call a scenario made on a target: as sent (``params`` with every value resolved,
    ``principal`` the role acted as, None for the target's administrator), its ``role`` (``stage``:
    it had to succeed for the scenario to go on; ``control``: a check the scenario makes on the
    way; ``subject``: what the rule is about), the ``outcome`` (``{"code", "message"}``), the
    response (JSON-able, trimmed) and, for subject calls, what the reference model answered to the
    same call (``{"code"}``, plus ``"checks"`` when both succeeded and the target's response lacks
    what the model's has: ``targets.recording.response_checks``)."""

    service: str
    operation: str
    params: Any
    principal: str | None
    role: str
    outcome: Mapping[str, str]
    response: Any = None
    expected: Mapping[str, Any] | None = None


@dataclass(frozen=True)
class Finding:
    """One distinct divergence of a rule on a target, with its own shrunk counterexample, the
    facts on both sides, the replay command and the target's calls for that example. ``signature``
    is what tells findings apart (the differing facts, expected vs observed, and the scenario's
    ``_feature``); ``repro`` is filled by a later stage when it exists (None here)."""

    signature: str
    summary: str
    counterexample: Any
    expected: Any
    observed: Any
    replay: str | None = None
    calls: tuple[Call, ...] = ()
    repro: str | None = None


@dataclass(frozen=True)
class KnownDivergence:
    """A baseline entry that matched a nonconformant verdict: reported as known, not a failure."""

    rule: str
    target: str
    reason: str
    expires: str | None = None


@dataclass(frozen=True)
class RuleResult:
    """One rule's verdict on one target, with everything needed to explain and replay it."""

    rule_id: str
    title: str
    doc: str
    section: str
    quote: str
    severity: str
    kind: tuple[str, ...]
    verdict: Verdict
    #: The project's English rendering of ``quote`` (empty when the page is in English).
    quote_en: str = ""
    #: The document group the rule is filed under (``kms``), empty when filed under its page.
    group: str = ""
    examples: int = 0
    counterexample: Any = None
    expected: Any = None
    observed: Any = None
    replay: str | None = None
    detail: str = ""
    duration: float = 0.0
    unsupported_operation: str | None = None
    known: KnownDivergence | None = None
    #: Every distinct divergence (nonconformant only), simplest first; the fields above hold the first.
    findings: tuple[Finding, ...] = ()
    #: Why the rule could not be observed (verdict ``inconclusive`` only).
    inconclusive: Inconclusive | None = None

    @property
    def fails(self) -> bool:
        """Counts against exit status 0: a nonconformant ``must`` rule that is not a known
        divergence, or an error (an error is never counted as conformant). ``inconclusive`` does
        not, like ``unsupported``: the target was not tested on the rule."""
        if self.verdict is Verdict.ERROR:
            return True
        return self.verdict is Verdict.NONCONFORMANT and self.severity == "must" and self.known is None


@dataclass(frozen=True)
class Leftover:
    """A resource the run created and its cleanup could not remove: its kind (``service kind``, as
    :data:`kms_conformance.resources.KINDS` names it), its identifier, and the error (credentials scrubbed)."""

    kind: str
    id: str
    error: str


@dataclass(frozen=True)
class Cleanup:
    """What the target's cleanup did at the end of the run: how many resources it removed, and what it left."""

    removed: int = 0
    left: tuple[Leftover, ...] = ()


def cleanup_from_dict(raw: Mapping[str, Any] | None) -> Cleanup | None:
    """The :class:`Cleanup` of ``meta.cleanup`` (None when the run does not say)."""
    if raw is None:
        return None
    return Cleanup(removed=int(raw["removed"]), left=tuple(Leftover(**item) for item in raw.get("left", ())))


@dataclass(frozen=True)
class RunMeta:
    """Run metadata. Never holds credentials; ``account`` may be masked (``--redact-account``)."""

    kit_version: str
    target: str
    target_version: str
    endpoint: str | None
    region: str
    account: str | None
    seed: int
    profile: str
    started: str
    finished: str | None = None
    host: str = ""
    incomplete: bool = False
    argv: tuple[str, ...] = ()
    baseline_notes: tuple[str, ...] = ()  # expired or no-longer-observed baseline entries
    #: What the target did to run faster or differently (e.g. moto's lazy private keys); added by H6.
    target_notes: tuple[str, ...] = ()
    #: What the target's cleanup removed and left (None: the target creates nothing, or did not say).
    cleanup: Cleanup | None = None


@dataclass(frozen=True)
class Report:
    meta: RunMeta
    results: tuple[RuleResult, ...] = field(default_factory=tuple)
    schema: str = SCHEMA


def _result_to_dict(result: RuleResult) -> dict[str, Any]:
    data = asdict(replace(result, findings=()))  # the findings have their own form, built once below
    data["verdict"] = result.verdict.value
    data["kind"] = list(result.kind)
    data["findings"] = [_finding_to_dict(f) for f in result.findings]
    return data


def _finding_to_dict(finding: Finding) -> dict[str, Any]:
    data = asdict(replace(finding, calls=()))  # the calls have their own form, built once below
    data["calls"] = [{k: v for k, v in asdict(c).items() if k != "expected" or v is not None}
                     for c in finding.calls]
    if finding.repro is None:
        data.pop("repro")
    return data


def _finding_from_dict(raw: Mapping[str, Any]) -> Finding:
    item = dict(raw)
    item["calls"] = tuple(Call(**c) for c in item.get("calls", ()))
    return Finding(**item)


def _cleanup_to_dict(cleanup: Cleanup | None) -> dict[str, Any] | None:
    if cleanup is None:
        return None
    return {"removed": cleanup.removed, "left": [asdict(item) for item in cleanup.left]}


def report_to_dict(report: Report) -> dict[str, Any]:
    """The JSON form of a report (plus summary counts, derived, never read back)."""
    results = [_result_to_dict(r) for r in report.results]
    counts = {v.value: sum(1 for r in report.results if r.verdict is v) for v in Verdict}
    tested = sum(counts[v.value] for v in TESTED)
    return {
        "schema": report.schema,
        "meta": {**asdict(report.meta), "argv": list(report.meta.argv),
                 "baseline_notes": list(report.meta.baseline_notes),
                 "target_notes": list(report.meta.target_notes),
                 "cleanup": _cleanup_to_dict(report.meta.cleanup)},
        "summary": {
            "counts": counts,
            "rules": len(report.results),
            "known_divergences": sum(1 for r in report.results if r.known is not None),
            # Coverage and divergence are reported apart, never added together (issue 4).
            "coverage": {"tested": tested, "of": len(report.results)},
            "divergence": {"nonconformant": counts["nonconformant"], "of_tested": tested},
            "failed": sum(1 for r in report.results if r.fails),
        },
        "results": results,
    }


def report_from_dict(data: Mapping[str, Any]) -> Report:
    """Inverse of :func:`report_to_dict`; raises KeyError/ValueError/TypeError on a malformed report
    (callers turn those into ``InputError`` with the file name)."""
    if data.get("schema") not in READABLE_SCHEMAS:
        raise ValueError(f"schema is {data.get('schema')!r}, expected one of {', '.join(READABLE_SCHEMAS)}")
    meta_raw = dict(data["meta"])
    meta_raw["argv"] = tuple(meta_raw.get("argv", ()))
    meta_raw["baseline_notes"] = tuple(meta_raw.get("baseline_notes", ()))
    meta_raw["target_notes"] = tuple(meta_raw.get("target_notes", ()))
    meta_raw["cleanup"] = cleanup_from_dict(meta_raw.get("cleanup"))
    meta = RunMeta(**meta_raw)
    results = [result_from_dict(raw) for raw in data["results"]]
    return Report(meta=meta, results=tuple(results))  # read as the current schema (an @1 report is upgraded)


def result_to_dict(result: RuleResult) -> dict[str, Any]:
    """One result in the JSON form of ``report.json``'s ``results`` (also a journal line's)."""
    return _result_to_dict(result)


def result_from_dict(raw: Mapping[str, Any]) -> RuleResult:
    """Inverse of :func:`result_to_dict`; KeyError/ValueError/TypeError when malformed."""
    item = dict(raw)
    item["verdict"] = Verdict(item["verdict"])
    item["kind"] = tuple(item.get("kind", ()))
    if item.get("known") is not None:
        item["known"] = KnownDivergence(**item["known"])
    item["findings"] = tuple(_finding_from_dict(f) for f in item.get("findings", ()))
    if item.get("inconclusive") is not None:
        item["inconclusive"] = Inconclusive(**item["inconclusive"])
    return RuleResult(**item)


def with_known(result: RuleResult, known: KnownDivergence | None) -> RuleResult:
    """The same result, marked as a known divergence (or not)."""
    return replace(result, known=known)
