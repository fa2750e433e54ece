"""Errors a user can cause: bad input files and bad usage.

Every such error names the file, the JSON path and what is wrong; the CLI prints it on one line
and exits with status 2 (DESIGN.md, principle 6). Nothing here may ever print a traceback.
"""

from __future__ import annotations

from collections.abc import Sequence


def json_path(parts: Sequence[str | int]) -> str:
    """Render a JSON path the way AWS error messages and users write it.

    >>> json_path(["Statement", 2, "Condition", "StringLike"])
    'Statement[2].Condition.StringLike'
    """
    out = ""
    for part in parts:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else part
    return out or "$"


class InputError(Exception):
    """A malformed input: file, JSON path (``Statement[2].Condition``) and what is wrong."""

    def __init__(self, message: str, *, source: str = "<input>", path: str = "$") -> None:
        super().__init__(message)
        self.source = source
        self.path = path
        self.message = message

    def __str__(self) -> str:
        return f"{self.source}: {self.path}: {self.message}"


class UsageError(Exception):
    """Bad command-line usage that argparse cannot catch (exit status 2)."""


class UnsupportedOperation(Exception):
    """The target lacks ``service:operation`` (moto's NotImplementedError, 'Not yet implemented',
    an unknown service such as MWAA in moto 5.2)."""

    def __init__(self, service: str, operation: str, detail: str = "") -> None:
        super().__init__(f"{service}:{operation} is not supported by the target" + (f" ({detail})" if detail else ""))
        self.service = service
        self.operation = operation
        self.detail = detail

    @property
    def name(self) -> str:
        return f"{self.service}:{self.operation}"


class NotApplicable(ValueError):
    """A mutator has nothing to change in this document (no condition to flip, no action to drop).

    Mutators (:mod:`kms_conformance.strategies.mutators` and each service's) raise it; the runner's
    config self-check, given a setup its mutator does not fit, draws another setup."""
