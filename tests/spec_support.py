"""Checks the spec test modules (tests/test_spec_*.py) share: rules by id, a config rule's reasons
for a raw setup, citations against their page, generated setups and mutations, behaviour scenarios
on the reference model and on a mutant target. Each test module keeps its own test functions (one
per rule or property) and calls these."""

from __future__ import annotations

import copy
import json
import os
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any

import pytest
from hypothesis import strategies as st
from kms_conformance.rules import _REGISTRY, Behavior, Rule, services
from kms_conformance.setup import Setup, load_setup, parse_setup
from kms_conformance.strategies.mutators import NotApplicable
from kms_conformance.targets.model import ModelTarget
from kms_conformance.targets.mutant import MutantTarget

#: The environment variable that names the folder of the source pages (the five pages and their
#: index README.md). The tests read the pages from there and nowhere else.
DOCS_VARIABLE = "KMS_CONFORMANCE_DOCS"


def pages() -> Path:
    """The folder of the source pages, from ``$KMS_CONFORMANCE_DOCS``. When it is unset, or names a
    folder without the pages' index (README.md), the calling test fails saying so: a skip would hide
    the citation tests on CI."""
    value = os.environ.get(DOCS_VARIABLE, "")
    if not value:
        pytest.fail(f"{DOCS_VARIABLE} is not set: set it to the folder of the source pages, e.g. "
                    f"`{DOCS_VARIABLE}=../shared/docs .venv/bin/python -m pytest` from the repository root",
                    pytrace=False)
    folder = Path(value)
    if not (folder / "README.md").is_file():
        pytest.fail(f"{DOCS_VARIABLE}={value} is not the folder of the source pages (no README.md index in "
                    f"{folder.resolve()})", pytrace=False)
    return folder


def rule(rule_id: str) -> Rule:
    return _REGISTRY[rule_id].freeze()


def reasons(rule_id: str, raw: dict[str, Any]) -> list[str]:
    """The reasons config rule ``rule_id`` gives for ``raw``; the rule must apply to it."""
    r = rule(rule_id)
    setup = parse_setup(raw)
    assert r.check is not None
    assert r.applies is None or r.applies(setup), f"{rule_id} does not apply"
    return r.check(setup)


def config_reasons(r: Rule, raw: dict[str, Any]) -> list[str]:
    """The reasons config rule ``r`` gives for ``raw`` (whether or not it applies)."""
    check = r.check
    assert check is not None
    return check(parse_setup(raw))


def example_setup(examples: Path, name: str = "setup.json") -> dict[str, Any]:
    """A worked example setup of ``examples`` (a folder of examples/) as raw JSON."""
    return dict(json.loads((examples / name).read_text()))


def holds(r: Any, setup: Any) -> list[str]:
    """The reasons of config rule ``r`` for ``setup``; none where it does not apply."""
    if r.applies is not None and not r.applies(setup):
        return []
    return list(r.check(setup))


# --- citations ----------------------------------------------------------------------------------------


def page_sections(text: str, headings: tuple[str, ...]) -> list[tuple[str, str]]:
    """(heading, normalised body) of each section of a page, in order (a heading may repeat)."""
    out: list[tuple[str, list[str]]] = []
    for line in text.splitlines():
        if line.strip() in headings:
            out.append((line.strip(), []))
        elif out:
            out[-1][1].append(line)
    return [(h, " ".join(" ".join(body).split())) for h, body in out]


def _page(doc: str) -> str:
    return (pages() / doc).read_text(encoding="utf-8")


def check_quotes_stand_in_their_section(prefix: str, doc: str, headings: tuple[str, ...]) -> None:
    """A citation's section is the one its quote stands in (the part before the first "...")."""
    sections = page_sections(_page(doc), headings)
    for rule_id in (r for r in _REGISTRY if r.startswith(prefix)):
        r = rule(rule_id)
        part = " ".join(r.citation.quote.split("...")[0].split())
        assert r.citation.section in [h for h, body in sections if part in body], rule_id


def check_quotes_are_in_the_page(prefix: str, doc: str) -> None:
    """Every citation quotes the page verbatim (each part around "...", whitespace normalised)."""
    text = " ".join(_page(doc).split())
    for rule_id in (r for r in _REGISTRY if r.startswith(prefix)):
        r = rule(rule_id)
        for part in r.citation.quote.split("..."):
            assert " ".join(part.split()) in text, (rule_id, part)
        assert r.citation.section in text, rule_id


# --- config rules: generated setups and their mutations ------------------------------------------------


def check_generated_setup_passes(raw: dict[str, Any], config_rules: Iterable[str]) -> None:
    """Every config rule that applies to a generated compliant setup holds."""
    setup = parse_setup(raw)
    for rule_id in config_rules:
        r = rule(rule_id)
        assert r.check is not None
        if r.applies is None or r.applies(setup):
            assert r.check(setup) == [], (rule_id, r.check(setup))


def check_mutation_is_caught(spec_mutators: Mapping[str, Any], raw: dict[str, Any], data: st.DataObject) -> None:
    """One drawn mutator breaks ``raw`` and its rule says so; a mutator that cannot apply
    (NotApplicable) is accepted only where its rule does not apply either."""
    rule_id = data.draw(st.sampled_from(sorted(spec_mutators)))
    try:
        strategy = spec_mutators[rule_id](copy.deepcopy(raw))
    except NotApplicable:
        applies = rule(rule_id).applies
        assert applies is not None and not applies(parse_setup(raw))
        return
    mutated = data.draw(strategy)
    assert mutated != raw
    assert reasons(rule_id, mutated), f"{rule_id} missed the mutation"


def check_kms_rules_accept(raw: dict[str, Any]) -> None:
    """A page's compliant setup also passes the KMS rules that apply to it."""
    import kms_conformance.specs.kms  # noqa: F401

    setup = parse_setup(raw)
    for rule_id, builder in _REGISTRY.items():
        if rule_id.startswith("KMS-") and builder.check is not None \
                and (builder.applies is None or builder.applies(setup)):
            assert builder.check(setup) == [], (rule_id, builder.check(setup))


def check_compliant_and_one_mutation(service: str, rules: Mapping[str, Rule], kms_config: Iterable[Rule],
                                     data: st.DataObject) -> None:
    """A drawn compliant setup of ``service`` passes its rules and the KMS config rules; a drawn
    mutation of it is caught by the mutator's rule."""
    spec = services()[service]
    raw = data.draw(spec.compliant())
    setup = parse_setup(raw)
    spec.parse_request(setup)
    for r in [*rules.values(), *kms_config]:
        if r.check is not None:
            assert holds(r, setup) == [], (r.id, holds(r, setup))
    rid = data.draw(st.sampled_from(sorted(spec.mutators)))
    r = rules[rid]
    try:
        strategy = spec.mutators[rid](copy.deepcopy(raw))
    except NotApplicable:  # accepted only where the mutator's rule does not apply either
        assert r.applies is not None and not r.applies(setup), rid
        return
    broken = parse_setup(data.draw(strategy))
    assert r.applies is None or r.applies(broken), rid
    assert r.check is not None and r.check(broken), rid


def failing_rules(setup: Setup, config_rules: Iterable[str]) -> set[str]:
    """The config rules among ``config_rules`` that apply to ``setup`` and do not hold."""
    out = set()
    for rule_id in config_rules:
        r = rule(rule_id)
        assert r.check is not None
        if (r.applies is None or r.applies(setup)) and r.check(setup):
            out.add(rule_id)
    return out


def example_verdicts(path: Path, rules: Mapping[str, Rule], parse_request: Callable[[Setup], Any]
                     ) -> dict[str, list[str]]:
    """The reasons of each config rule for the worked example setup at ``path``."""
    setup = load_setup(path)
    parse_request(setup)
    return {rid: holds(r, setup) for rid, r in rules.items() if r.check is not None}


# --- behaviour rules -------------------------------------------------------------------------------------


def run(model: ModelTarget, rule_id: str, example: dict[str, Any]) -> dict[str, Any]:
    """The facts behaviour rule ``rule_id`` observes on ``model`` for ``example``."""
    r = rule(rule_id)
    assert r.behavior is not None
    return dict(r.behavior.scenario(model, example))


def caught(rule_id: str, example: dict[str, Any], flip: tuple[str, str], model: ModelTarget) -> bool:
    """Whether a target flipping ``flip`` is found to differ from ``model``."""
    r = rule(rule_id)
    assert r.behavior is not None
    expected = r.behavior.scenario(model, example)
    observed = r.behavior.scenario(MutantTarget(model, flips={flip}), example)
    return r.behavior.compare(expected, observed) is not None


def check_deterministic_on_the_model(prefix: str, data: st.DataObject) -> None:
    """A drawn example of a drawn behaviour rule of ``prefix`` gives the same JSON facts on two fresh
    reference models of different accounts and Regions."""
    rule_id = data.draw(st.sampled_from(sorted(r for r in _REGISTRY if r.startswith(prefix)
                                               and _REGISTRY[r].behavior is not None)))
    r = rule(rule_id)
    assert r.behavior is not None
    example = data.draw(r.behavior.examples())
    first = r.behavior.scenario(ModelTarget(), example)
    second = r.behavior.scenario(ModelTarget(account="444455556666", region="eu-west-1"), example)
    assert json.loads(json.dumps(first)) == first
    assert r.behavior.compare(first, second) is None, (rule_id, first, second)


def check_generated_example_runs(rules: Mapping[str, Rule], model: ModelTarget, data: st.DataObject) -> None:
    """A drawn example of a drawn behaviour rule runs on ``model``, a reference model that earlier
    examples have used, and gives JSON facts equal to those a fresh reference model of the same account
    and Region gives: a scenario's facts do not depend on what earlier examples left behind (targets are
    never reset between examples, DESIGN.md principle 7)."""
    rid = data.draw(st.sampled_from(sorted(rid for rid, r in rules.items() if r.behavior is not None)))
    behavior = rules[rid].behavior
    assert behavior is not None
    example = data.draw(behavior.examples())
    facts = dict(behavior.scenario(model, example))
    try:
        as_json = json.loads(json.dumps(facts))
    except (TypeError, ValueError) as exc:
        raise AssertionError(f"{rid}: facts are not JSON values: {facts!r} ({exc})") from None
    assert as_json == facts, f"{rid}: facts are not JSON values: {facts!r}"
    fresh = dict(behavior.scenario(ModelTarget(account=model.account, region=model.region), example))
    assert facts == fresh and behavior.compare(fresh, facts) is None, \
        f"{rid}: facts on a used model differ from a fresh model's: {facts!r} vs {fresh!r}"


def check_behaviour_on_model_and_mutant(behavior: Behavior | None, model: ModelTarget, example: dict[str, Any],
                                        expected: dict[str, Any], flip: tuple[str, str]) -> None:
    """The scenario gives the ``expected`` facts (a subset) on the model, and a target flipping
    ``flip`` is found to differ."""
    assert behavior is not None
    facts = dict(behavior.scenario(model, example))
    assert {k: facts.get(k) for k in expected} == expected, facts
    observed = dict(behavior.scenario(MutantTarget(ModelTarget(), flips={flip}), example))
    assert behavior.compare(facts, observed) is not None, (facts, observed)


class ReportsCreated(MutantTarget):
    """A target that accepts a creation and then reports it created where it failed: the model with
    ``accept_then_fail`` whose status reads (DescribeDataset, DescribePredictor, GetEnvironment) show a
    CREATE_FAILED resource as ACTIVE (AVAILABLE for an environment) without its failure reason."""

    def __init__(self) -> None:
        super().__init__(ModelTarget(accept_then_fail=True), flips=())
        self.name = "reports-created"

    def call(self, service: str, operation: str, params: Mapping[str, Any] | None = None, *,
             principal: str | None = None) -> Any:
        out = self.inner.call(service, operation, params, principal=principal)
        if not out.ok:
            return out
        value = copy.deepcopy(dict(out.value))
        env = value.get("Environment")
        if isinstance(env, dict) and env.get("Status") == "CREATE_FAILED":
            env.update(Status="AVAILABLE")
            env.pop("LastUpdate", None)
        if value.get("Status") == "CREATE_FAILED":
            value.update(Status="ACTIVE")
            value.pop("Message", None)
        return type(out)(ok=True, value=value)


def late_failure(rule_id: str, example: dict[str, Any]) -> tuple[dict[str, Any], str | None, str | None]:
    """Run behaviour rule ``rule_id`` on ``example`` on the reference model (which refuses a creation it
    cannot make), on the model with ``accept_then_fail`` and on :class:`ReportsCreated`: (the reference
    facts, the comparison's diff for the accept-then-fail model, and for the target that reports it
    created; None: no divergence)."""
    r = rule(rule_id)
    assert r.behavior is not None
    expected = dict(r.behavior.scenario(ModelTarget(), example))
    late = r.behavior.scenario(ModelTarget(accept_then_fail=True), example)
    liar = r.behavior.scenario(ReportsCreated(), example)
    return expected, r.behavior.compare(expected, late), r.behavior.compare(expected, liar)
