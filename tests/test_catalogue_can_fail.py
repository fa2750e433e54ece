"""Every behaviour rule can fail (DESIGN.md principle 4: "A rule that can never fail is a defect").

For each behaviour rule of the catalogue, Hypothesis searches the rule's own examples for one where
a target that gets one of the rule's operations wrong (:class:`MutantTarget`: that operation's
outcome flipped) is told apart from the reference model by the rule's own ``compare``. Each spec
test file shows this for hand-picked operations; this test proves it for the whole catalogue, so a
new rule cannot slip in with a scenario whose facts never depend on what the target does.
"""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import Phase, find, settings
from kms_conformance.rules import Rule, catalogue
from kms_conformance.scenarios.steps import StepFailed
from kms_conformance.targets.model import ModelTarget
from kms_conformance.targets.mutant import MutantTarget

BEHAVIOUR = [r for r in catalogue() if r.behavior is not None]


@pytest.fixture(autouse=True)
def _no_poll_pause(monkeypatch: pytest.MonkeyPatch) -> None:
    """The model answers a creation's final status at once; a mutant's invented success is never found
    by the status poll, which would otherwise pause 15 s between failed polls (steps.settle)."""
    from kms_conformance.scenarios import steps

    monkeypatch.setattr(steps, "POLL_SECONDS", 0.0)


def _facts(rule: Rule, target: Any, example: Any) -> dict[str, Any] | None:
    assert rule.behavior is not None
    try:
        return dict(rule.behavior.scenario(target, example))
    except StepFailed as exc:  # the mutant broke a setup step: the runner reports that as a divergence
        return {"failed_step": exc.step, "error": exc.outcome.code}


def _operations(rule: Rule) -> list[tuple[str, str]]:
    return [tuple(op.split(":", 1)) for op in rule.operations]  # type: ignore[misc]


@pytest.mark.parametrize("rule", BEHAVIOUR, ids=[r.id for r in BEHAVIOUR])
def test_a_wrong_target_is_caught(rule: Rule) -> None:
    assert rule.behavior is not None
    compare = rule.behavior.compare
    flips = _operations(rule)
    assert flips, f"{rule.id} names no operation"

    def caught(example: Any) -> bool:
        expected = _facts(rule, ModelTarget(), example)
        assert expected is not None
        for flip in flips:
            observed = _facts(rule, MutantTarget(ModelTarget(), flips={flip}), example)
            if observed is not None and compare(expected, observed) is not None:
                return True
        return False

    find(rule.behavior.examples(), caught,
         settings=settings(max_examples=40, deadline=None, database=None, derandomize=True,
                           phases=(Phase.generate,)))
