"""Verdicts and report values: what a run produces, shared by the runner, the reports and the
pytest plugin. JSON (``report.json``, schema ``kms-conformance/report@1``) is the source of truth;
:func:`report_to_dict` / :func:`report_from_dict` are its only (de)serialisers.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, field, replace
from enum import Enum
from typing import Any

SCHEMA = "kms-conformance/report@1"


class Verdict(str, Enum):
    """Per rule and target (DESIGN.md, Words)."""

    CONFORMANT = "conformant"
    NONCONFORMANT = "nonconformant"
    UNSUPPORTED = "unsupported"
    ERROR = "error"
    SKIPPED = "skipped"


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
    examples: int = 0
    counterexample: Any = None
    expected: Any = None
    observed: Any = None
    replay: str | None = None
    detail: str = ""
    duration: float = 0.0
    unsupported_operation: str | None = None
    known: KnownDivergence | None = None

    @property
    def fails(self) -> bool:
        """Counts against exit status 0: a nonconformant ``must`` rule that is not a known
        divergence, or an error (an error is never counted as conformant)."""
        if self.verdict is Verdict.ERROR:
            return True
        return self.verdict is Verdict.NONCONFORMANT and self.severity == "must" and self.known is None


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


@dataclass(frozen=True)
class Report:
    meta: RunMeta
    results: tuple[RuleResult, ...] = field(default_factory=tuple)
    schema: str = SCHEMA


def _result_to_dict(result: RuleResult) -> dict[str, Any]:
    data = asdict(result)
    data["verdict"] = result.verdict.value
    data["kind"] = list(result.kind)
    return data


def report_to_dict(report: Report) -> dict[str, Any]:
    """The JSON form of a report (plus summary counts, derived, never read back)."""
    results = [_result_to_dict(r) for r in report.results]
    counts = {v.value: sum(1 for r in report.results if r.verdict is v) for v in Verdict}
    tested = counts["conformant"] + counts["nonconformant"]
    return {
        "schema": report.schema,
        "meta": {**asdict(report.meta), "argv": list(report.meta.argv),
                 "baseline_notes": list(report.meta.baseline_notes),
                 "target_notes": list(report.meta.target_notes)},
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
    if data.get("schema") != SCHEMA:
        raise ValueError(f"schema is {data.get('schema')!r}, expected {SCHEMA!r}")
    meta_raw = dict(data["meta"])
    meta_raw["argv"] = tuple(meta_raw.get("argv", ()))
    meta_raw["baseline_notes"] = tuple(meta_raw.get("baseline_notes", ()))
    meta_raw["target_notes"] = tuple(meta_raw.get("target_notes", ()))
    meta = RunMeta(**meta_raw)
    results = []
    for raw in data["results"]:
        item = dict(raw)
        item["verdict"] = Verdict(item["verdict"])
        item["kind"] = tuple(item.get("kind", ()))
        if item.get("known") is not None:
            item["known"] = KnownDivergence(**item["known"])
        results.append(RuleResult(**item))
    return Report(meta=meta, results=tuple(results), schema=data["schema"])


def with_known(result: RuleResult, known: KnownDivergence | None) -> RuleResult:
    """The same result, marked as a known divergence (or not)."""
    return replace(result, known=known)
