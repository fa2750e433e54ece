"""The JSON Schema of ``report.json`` (``report.schema.json``, beside this module) and a small
validator for the subset of JSON Schema it uses: ``type``, ``enum``, ``const``, ``properties``,
``required``, ``additionalProperties``, ``items``, ``minimum``, ``anyOf`` and local ``$ref``.
Errors name the JSON path (``results[3].verdict``), so ``load_report`` can tell the user where.
No dependency: the kit reads reports wherever it runs.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from functools import cache
from importlib import resources
from typing import Any

_TYPES: Mapping[str, Any] = {
    "object": dict, "array": list, "string": str, "boolean": bool, "null": type(None),
    "integer": int, "number": (int, float),
}


@cache
def report_schema() -> Mapping[str, Any]:
    """The schema, as shipped in the package (``conformance/report/report.schema.json``)."""
    text = resources.files("kms_conformance.report").joinpath("report.schema.json").read_text(encoding="utf-8")
    data: Mapping[str, Any] = json.loads(text)
    return data


def _path(parent: str, part: str | int) -> str:
    if isinstance(part, int):
        return f"{parent}[{part}]" if parent != "$" else f"[{part}]"
    return part if parent == "$" else f"{parent}.{part}"


def _is_type(value: Any, name: str) -> bool:
    if isinstance(value, bool) and name in ("integer", "number"):
        return False
    return isinstance(value, _TYPES[name])


def _resolve(ref: str, root: Mapping[str, Any]) -> Mapping[str, Any]:
    if not ref.startswith("#/"):
        raise ValueError(f"only local $ref is supported, got {ref!r}")
    node: Any = root
    for part in ref[2:].split("/"):
        node = node[part]
    result: Mapping[str, Any] = node
    return result


def iter_errors(value: Any, schema: Mapping[str, Any], root: Mapping[str, Any] | None = None,
                path: str = "$") -> Iterator[tuple[str, str]]:
    """Every (JSON path, problem) where ``value`` breaks ``schema``; none when it is valid."""
    root = root if root is not None else schema
    if "$ref" in schema:
        yield from iter_errors(value, _resolve(schema["$ref"], root), root, path)
        return
    if "anyOf" in schema:
        if not any(not list(iter_errors(value, sub, root, path)) for sub in schema["anyOf"]):
            yield path, f"does not match any allowed form (got {_short(value)})"
        return
    if "const" in schema and value != schema["const"]:
        yield path, f"expected {schema['const']!r}, got {_short(value)}"
        return
    if "enum" in schema and value not in schema["enum"]:
        yield path, f"expected one of {', '.join(map(repr, schema['enum']))}, got {_short(value)}"
        return
    if "type" in schema:
        names = [schema["type"]] if isinstance(schema["type"], str) else list(schema["type"])
        if not any(_is_type(value, n) for n in names):
            yield path, f"expected {' or '.join(names)}, got {_json_type(value)}"
            return
    if "minimum" in schema and _is_type(value, "number") and value < schema["minimum"]:
        yield path, f"must be at least {schema['minimum']}, got {value!r}"
    if isinstance(value, dict):
        props: Mapping[str, Any] = schema.get("properties", {})
        for name in schema.get("required", ()):
            if name not in value:
                yield _path(path, name), "required field is missing"
        extra = schema.get("additionalProperties", True)
        for name, item in value.items():
            if name in props:
                yield from iter_errors(item, props[name], root, _path(path, name))
            elif extra is False:
                yield _path(path, name), "unknown field"
            elif isinstance(extra, dict):
                yield from iter_errors(item, extra, root, _path(path, name))
    if isinstance(value, list) and "items" in schema:
        for i, item in enumerate(value):
            yield from iter_errors(item, schema["items"], root, _path(path, i))


def validate_report_dict(data: Any) -> list[tuple[str, str]]:
    """Problems of a decoded ``report.json`` against the report schema (empty: valid)."""
    return list(iter_errors(data, report_schema()))


def _json_type(value: Any) -> str:
    for name in ("null", "boolean", "integer", "number", "string", "array", "object"):
        if _is_type(value, name):
            return name
    return type(value).__name__


def _short(value: Any) -> str:
    text = json.dumps(value, default=str)
    return text if len(text) <= 60 else text[:57] + "..."
