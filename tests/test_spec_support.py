"""The shared spec checks can fail: a scenario whose facts depend on what earlier examples left on the
model, or whose facts are not JSON values, is caught; the source pages come from
``$KMS_CONFORMANCE_DOCS`` only, and a test that needs them fails when it is unset or wrong."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from kms_conformance.rules import Behavior, Citation, Rule
from kms_conformance.targets.base import Target
from kms_conformance.targets.model import ModelTarget
from spec_support import DOCS_VARIABLE, check_generated_example_runs, pages

FEW = settings(max_examples=3, deadline=None, database=None)


def _rules(scenario: Callable[[Target, Any], Mapping[str, Any]]) -> dict[str, Rule]:
    behavior = Behavior(scenario=scenario, examples=lambda: st.just({}))
    citation = Citation(doc="003_38db2e13c46896ae.txt", section="s", quote="q")
    return {"FAKE-01": Rule(id="FAKE-01", title="t", service="kms", citation=citation, severity="must",
                            operations=("kms:CreateAlias",), behavior=behavior)}


def _run(rules: Mapping[str, Rule], model: ModelTarget) -> None:
    @FEW
    @given(st.data())
    def check(data: st.DataObject) -> None:
        check_generated_example_runs(rules, model, data)

    check()


def _alias_of_a_new_key(target: Target, name: str) -> str:
    key = target.call("kms", "CreateKey", {})
    assert key.ok, key
    return target.call("kms", "CreateAlias", {"AliasName": name,
                                              "TargetKeyId": key.value["KeyMetadata"]["KeyId"]}).code


def test_unique_names_give_the_same_facts_on_a_used_model() -> None:
    rules = _rules(lambda target, _: {"CreateAlias": _alias_of_a_new_key(target, target.unique("alias/kmsc"))})
    model = ModelTarget()
    _run(rules, model)
    _run(rules, model)


def test_a_fact_left_over_from_an_earlier_example_is_caught() -> None:
    """A fixed alias name: the used model answers AlreadyExistsException, a fresh one OK."""
    rules = _rules(lambda target, _: {"CreateAlias": _alias_of_a_new_key(target, "alias/kmsc-fixed")})
    model = ModelTarget()
    assert _alias_of_a_new_key(model, "alias/kmsc-fixed") == "OK"
    with pytest.raises(AssertionError, match=r"differ from a fresh model's.*AlreadyExistsException"):
        _run(rules, model)


@pytest.mark.parametrize("facts", [{"operations": ("Decrypt", "Encrypt")}, {"operations": {"Decrypt"}}],
                         ids=["tuple", "set"])
def test_facts_that_are_not_json_values_are_caught(facts: dict[str, Any]) -> None:
    with pytest.raises(AssertionError, match="not JSON values"):
        _run(_rules(lambda target, _: facts), ModelTarget())


def test_pages_come_from_the_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    (tmp_path / "README.md").write_text("index\n")
    monkeypatch.setenv(DOCS_VARIABLE, str(tmp_path))
    assert pages() == tmp_path


def test_unset_pages_fail_saying_what_to_set(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(DOCS_VARIABLE, raising=False)
    with pytest.raises(pytest.fail.Exception, match=f"{DOCS_VARIABLE} is not set"):
        pages()


def test_a_folder_without_the_index_fails(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv(DOCS_VARIABLE, str(tmp_path))
    with pytest.raises(pytest.fail.Exception, match=r"no README\.md index"):
        pages()
