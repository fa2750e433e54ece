"""The JSON Schema of ``report.json`` (``report.schema.json``, beside this module, draft 2020-12) and
its validation with the ``jsonschema`` library. Problems name the JSON path (``results[3].verdict``),
so ``load_report`` can tell the user where. ``jsonschema`` is imported when a report is first
validated (a command that only writes reports, ``run``, never loads it: 50 ms of its start).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from functools import cache
from importlib import resources
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from jsonschema import Draft202012Validator
    from jsonschema.exceptions import ValidationError


@cache
def report_schema() -> Mapping[str, Any]:
    """The schema, as shipped in the package (``conformance/report/report.schema.json``)."""
    text = resources.files("kms_conformance.report").joinpath("report.schema.json").read_text(encoding="utf-8")
    data: Mapping[str, Any] = json.loads(text)
    return data


@cache
def _validator() -> Draft202012Validator:
    from jsonschema import Draft202012Validator

    return Draft202012Validator(dict(report_schema()))


def _path(parts: list[str | int]) -> str:
    """``["results", 3, "verdict"]`` -> ``results[3].verdict``; the document itself is ``$``."""
    out = ""
    for part in parts:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "$"


def _short(value: Any) -> str:
    text = json.dumps(value, default=str)
    return text if len(text) <= 60 else text[:57] + "..."


def _json_type(value: Any) -> str:
    for name in ("null", "boolean", "integer", "number", "string", "array", "object"):
        if _validator().is_type(value, name):
            return name
    return type(value).__name__


def _problems(error: ValidationError) -> list[tuple[str, str]]:
    """One error as (JSON path, what is wrong): a missing field and an unknown field are named by
    their own path, the other problems by the path of the value."""
    where = list(error.absolute_path)
    kind, expected, value = error.validator, error.validator_value, error.instance
    if kind == "required":
        return [(_path([*where, name]), "required field is missing") for name in expected if name not in value]
    if kind == "additionalProperties":
        known = error.schema.get("properties", {})
        return [(_path([*where, name]), "unknown field") for name in value if name not in known]
    if kind == "type":
        names = [expected] if isinstance(expected, str) else list(expected)
        return [(_path(where), f"expected {' or '.join(names)}, got {_json_type(value)}")]
    if kind == "enum":
        return [(_path(where), f"expected one of {', '.join(map(repr, expected))}, got {_short(value)}")]
    if kind == "const":
        return [(_path(where), f"expected {expected!r}, got {_short(value)}")]
    if kind == "minimum":
        return [(_path(where), f"must be at least {expected}, got {value!r}")]
    if kind in ("anyOf", "oneOf"):
        return [(_path(where), f"does not match any allowed form (got {_short(value)})")]
    return [(_path(where), error.message)]


def validate_report_dict(data: Any) -> list[tuple[str, str]]:
    """Problems of a decoded ``report.json`` against the report schema (empty: valid), in the
    order of the document."""
    errors = sorted(_validator().iter_errors(data),
                    key=lambda e: [(0, p, "") if isinstance(p, int) else (1, 0, str(p)) for p in e.absolute_path])
    return [problem for error in errors for problem in _problems(error)]
