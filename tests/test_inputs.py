"""``inputs.parse_json``'s nesting check: a text with at most MAX_DEPTH opening brackets cannot
be nested deeper and is not walked; any other text is walked, and a deep one still refused with
its one line."""

from __future__ import annotations

import json
from typing import Any

import pytest
from kms_conformance import inputs
from kms_conformance.errors import InputError
from kms_conformance.inputs import MAX_DEPTH


def nested(depth: int) -> str:
    """A list ``depth`` levels deep: exactly ``depth`` opening brackets."""
    return "[" * depth + "]" * depth


def walks(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    """Record each document check_depth walks (and still walk it)."""
    seen: list[Any] = []
    real = inputs.check_depth

    def spy(doc: Any, source: str, **kw: Any) -> Any:
        seen.append(doc)
        return real(doc, source, **kw)

    monkeypatch.setattr(inputs, "check_depth", spy)
    return seen


def test_as_deep_as_allowed_is_accepted_without_a_walk(monkeypatch: pytest.MonkeyPatch) -> None:
    seen = walks(monkeypatch)
    doc = inputs.parse_json(nested(MAX_DEPTH), "f.json")
    assert seen == [] and isinstance(doc, list)


def test_one_level_deeper_is_walked_and_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    seen = walks(monkeypatch)
    with pytest.raises(InputError, match=f"nested deeper than {MAX_DEPTH} levels") as err:
        inputs.parse_json(nested(MAX_DEPTH + 1), "f.json")
    assert len(seen) == 1 and err.value.source == "f.json"


def test_deep_object_among_many_brackets_is_refused() -> None:
    # more brackets than the limit, spread wide, and one branch too deep: the walk finds it
    wide = [[{"a": [1]}] for _ in range(MAX_DEPTH)]
    deep: Any = 1
    for _ in range(MAX_DEPTH + 1):
        deep = {"k": deep}
    with pytest.raises(InputError, match="nested deeper"):
        inputs.parse_json(json.dumps({"wide": wide, "deep": deep}), "f.json")


def test_many_brackets_shallow_document_is_walked_and_accepted(monkeypatch: pytest.MonkeyPatch) -> None:
    seen = walks(monkeypatch)
    wide = {"items": [{"a": [i]} for i in range(MAX_DEPTH)]}  # 129 brackets, 4 levels
    assert inputs.parse_json(json.dumps(wide), "f.json") == wide
    assert len(seen) == 1


def test_brackets_inside_strings_only_make_the_walk_happen(monkeypatch: pytest.MonkeyPatch) -> None:
    seen = walks(monkeypatch)
    doc = {"text": "{[" * MAX_DEPTH}
    assert inputs.parse_json(json.dumps(doc), "f.json") == doc
    assert len(seen) == 1  # counted as brackets: walked, and 1 level deep


def block_mapping(depth: int) -> str:
    """A block-style YAML mapping ``depth`` levels deep (indentation only, no brackets)."""
    return "\n".join("  " * i + "a:" for i in range(depth)) + " 1\n"


@pytest.mark.parametrize("text, deep", [
    (nested(MAX_DEPTH), False),
    (nested(MAX_DEPTH + 1), True),
    (nested(1100), True),  # past libyaml's own limit: its error says so
    (block_mapping(MAX_DEPTH), False),
    (block_mapping(MAX_DEPTH + 1), True),
    ("a: [1, 2\n", False),  # not YAML at all: left to the loader and its message
])
def test_the_yaml_depth_check_before_loading(text: str, deep: bool) -> None:
    assert inputs._yaml_too_deep(text) is deep
    if deep:
        with pytest.raises(InputError, match=f"nested deeper than {MAX_DEPTH}"):
            inputs.parse_yaml(text, "x.yaml")


def test_a_yaml_syntax_error_keeps_the_loaders_message() -> None:
    with pytest.raises(InputError, match="not valid YAML") as caught:
        inputs.parse_yaml("a: [1, 2\n", "x.yaml")
    assert caught.value.path.startswith("line ")  # the Python loader's mark, as before the check
