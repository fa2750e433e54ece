"""The whole catalogue, as shipped: its shape, and the reference model as its own oracle.

Issue 4: "The whole catalogue runs against `model` (all conformant: the reference is its own
oracle, which proves rules and strategies agree)". A rule the model cannot satisfy is a defect of
the rule, its strategy or the model, and fails here with the rule's own explanation.
"""

from __future__ import annotations

import re
from collections import Counter

import pytest
from kms_conformance.rules import DOCS, catalogue, services
from kms_conformance.runner import RunOptions, run
from kms_conformance.targets import TargetConfig
from kms_conformance.verdicts import Verdict

ID = re.compile(r"^(KMS|FORECAST|FS|AOSS|MWAA)-\d{2}$")


def test_every_rule_is_well_formed() -> None:
    rules = catalogue()
    assert len(rules) >= 70
    assert len({r.id for r in rules}) == len(rules)
    for r in rules:
        assert ID.match(r.id), r.id
        assert r.citation.doc in DOCS and r.citation.section and r.citation.quote, r.id
        assert r.severity in ("must", "should"), r.id
        assert r.kinds, r.id
        assert r.check is not None or r.behavior is not None, r.id


def test_every_static_rule_has_a_mutator_that_breaks_it() -> None:
    """A config rule is tested twice (compliant passes, mutated fails): its service must offer a
    mutator for it, or the runner's self-test of the rule could never fail."""
    specs = services()
    missing = [r.id for r in catalogue() if r.check is not None
               and r.id not in specs[r.service].mutators]
    assert missing == []


def test_catalogue_covers_every_page() -> None:
    per_doc = Counter(r.citation.doc for r in catalogue())
    for doc in ("004_1f23ff3028fec3c5.txt", "001_33dc1ec0c5fdd4cf.txt", "002_c2442b383cdbec83.txt",
                "003_38db2e13c46896ae.txt"):
        assert per_doc[doc] >= 5, (doc, per_doc)


@pytest.mark.slow
def test_whole_catalogue_is_conformant_on_the_reference_model(tmp_path: object) -> None:
    report = run(RunOptions(target=TargetConfig(name="model"), profile="dev", seed=0))
    wrong = [f"{r.rule_id}: {r.verdict.value}: {r.detail}" for r in report.results
             if r.verdict is not Verdict.CONFORMANT]
    assert wrong == []
    assert len(report.results) == len(catalogue())
