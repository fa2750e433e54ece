"""What one rule's run yields before the runner makes it a
:class:`~kms_conformance.verdicts.RuleResult`: a dict of the result's fields (``verdict``,
``detail``, ``examples``, ``counterexample``...), JSON-safe values in it (:func:`jsonable`), and
:class:`Stop`, which ends a Hypothesis run at once with a verdict that is not a divergence."""

from __future__ import annotations

import base64
import dataclasses
from collections.abc import Mapping
from datetime import date, datetime
from typing import Any

from kms_conformance.verdicts import Verdict


def jsonable(value: Any) -> Any:
    """A JSON-safe copy: bytes as base64 (``{"$bytes": ...}``), sets sorted, dataclasses as dicts."""
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, bytes | bytearray):
        return {"$bytes": base64.b64encode(bytes(value)).decode("ascii")}
    if isinstance(value, Mapping):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, set | frozenset):
        items = [jsonable(v) for v in value]
        return sorted(items, key=repr)
    if isinstance(value, list | tuple):
        return [jsonable(v) for v in value]
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return jsonable(dataclasses.asdict(value))
    if isinstance(value, datetime | date):
        return value.isoformat()
    return repr(value)


def describe_exc(exc: BaseException) -> str:
    """``Type: message``, the form every error verdict's detail uses."""
    return f"{type(exc).__name__}: {exc}"


class Stop(BaseException):
    """Ends the Hypothesis run at once with a verdict that is not a divergence (``unsupported``,
    ``error``), or ends a shrink pass whose budget is spent (``nonconformant``)."""

    def __init__(self, verdict: Verdict, detail: str, operation: str | None = None) -> None:
        super().__init__(detail)
        self.verdict = verdict
        self.detail = detail
        self.operation = operation
