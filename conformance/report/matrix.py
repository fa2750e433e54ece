"""``report matrix``: several reports side by side, one column per report, one row per rule.

Vendor regression across more than two runs (moto 5.0, moto 5.2, LocalStack): where ``report
compare`` is the pairwise gate (exit 1 on a regression), the matrix only shows; by default the rows
where the reports disagree, then each report's totals.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from kms_conformance.verdicts import Report, Verdict


@dataclass(frozen=True)
class Column:
    """One report and the label its column shows."""

    label: str
    report: Report


def _cell(report: Report, rule_id: str) -> str:
    for result in report.results:
        if result.rule_id == rule_id:
            return result.verdict.value + (" (known)" if result.known is not None else "")
    return "-"


def rows(columns: Sequence[Column], *, every_rule: bool = False) -> list[tuple[str, list[str]]]:
    """``(rule id, cells)`` in the order rules first appear across the reports; only the rules whose
    cells differ unless ``every_rule``.

    >>> from kms_conformance.verdicts import RuleResult, RunMeta
    >>> def rep(v):
    ...     r = RuleResult("KMS-01", "t", "d", "s", "q", "must", ("behavior",), Verdict(v))
    ...     return Report(RunMeta(kit_version="0", target="x", target_version="", endpoint=None,
    ...                           region="r", account=None, seed=0, profile="ci", started="", finished=""), (r,))
    >>> rows([Column("a", rep("conformant")), Column("b", rep("nonconformant"))])
    [('KMS-01', ['conformant', 'nonconformant'])]
    >>> rows([Column("a", rep("conformant")), Column("b", rep("conformant"))])
    []
    """
    order: dict[str, None] = {}
    for column in columns:
        for result in column.report.results:
            order.setdefault(result.rule_id, None)
    out: list[tuple[str, list[str]]] = []
    for rule_id in order:
        cells = [_cell(c.report, rule_id) for c in columns]
        if every_rule or len(set(cells)) > 1:
            out.append((rule_id, cells))
    return out


def totals(report: Report) -> str:
    """``5 conformant, 12 nonconformant, ...`` over every verdict, in the verdicts' order."""
    counts = Counter(r.verdict for r in report.results)
    return ", ".join(f"{counts[v]} {v.value}" for v in Verdict)


def format_matrix(columns: Sequence[Column], *, every_rule: bool = False) -> str:
    """A Markdown table (rule x report) and each report's target, version and totals."""
    lines = ["| rule | " + " | ".join(c.label for c in columns) + " |",
             "|---|" + "---|" * len(columns)]
    body = rows(columns, every_rule=every_rule)
    lines += [f"| {rule_id} | " + " | ".join(cells) + " |" for rule_id, cells in body]
    if not body:
        lines.append("| (every rule has the same verdict in every report) |" + " |" * len(columns))
    lines.append("")
    for c in columns:
        meta = c.report.meta
        version = f" ({meta.target_version})" if meta.target_version else ""
        lines.append(f"- {c.label}: target {meta.target}{version}, seed {meta.seed}, profile {meta.profile}: "
                     f"{totals(c.report)}" + (" (incomplete)" if meta.incomplete else ""))
    return "\n".join(lines) + "\n"
