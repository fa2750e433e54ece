"""Policy variables ("IAM policy elements: Variables and tags", IAM User Guide).

Under ``"Version": "2012-10-17"`` a ``${key}`` in a Resource or in a String/ARN condition value is
replaced by the value of that request context key. ``${*}``, ``${?}`` and ``${$}`` stand for the
literal characters ``*``, ``?``, ``$`` (so they never act as wildcards); ``${key, 'default'}``
gives a value for a missing key. A variable whose key is missing (and has no default) makes that
value match nothing. Key lookups are case-insensitive. A multivalued key cannot be a policy
variable (page "Single-valued vs. multivalued context keys"): a key with several values counts
as missing here. Under 2008-10-17 (or with no Version) ``${...}`` is plain text.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

_VAR_RE = re.compile(r"\$\{([^}]*)\}")
_DEFAULT_RE = re.compile(r"^\s*([^,\s][^,]*?)\s*,\s*'([^']*)'\s*$")
_SPECIAL = {"*": "*", "?": "?", "$": "$"}

#: A piece of a template: (text, True) is pattern text in which ``*``/``?`` are wildcards;
#: (text, False) is literal text (a substituted value or a ``${*}``-style escape).
Piece = tuple[str, bool]


@dataclass(frozen=True)
class Template:
    """A policy value with variables. ``parts`` alternate between text pieces and variables
    (``("var", key, default)``)."""

    raw: str
    parts: tuple[tuple[str, str, str | None], ...]

    def resolve(self, ctx: Mapping[str, tuple[str, ...]]) -> tuple[Piece, ...] | None:
        """The pieces after substitution; None when a variable's key is missing."""
        out: list[Piece] = []
        for kind, text, default in self.parts:
            if kind == "text":
                out.append((text, True))
            elif kind == "lit":
                out.append((text, False))
            else:
                values = ctx.get(text)
                if values is not None and len(values) == 1:
                    out.append((values[0], False))
                elif default is not None and not values:
                    out.append((default, False))
                else:
                    return None
        return tuple(out)


def parse_template(value: str) -> Template | None:
    """A :class:`Template` when ``value`` holds a ``${...}`` variable, else None.

    Raises ValueError for a malformed variable (``${}``, a bad default)."""
    if "${" not in value:
        return None
    parts: list[tuple[str, str, str | None]] = []
    pos = 0
    for m in _VAR_RE.finditer(value):
        if m.start() > pos:
            parts.append(("text", value[pos:m.start()], None))
        inner = m.group(1)
        if inner in _SPECIAL:
            parts.append(("lit", _SPECIAL[inner], None))
        elif "," in inner:
            d = _DEFAULT_RE.match(inner)
            if d is None:
                raise ValueError(f"malformed policy variable ${{{inner}}}: a default is written ${{key, 'value'}}")
            parts.append(("var", d.group(1).lower(), d.group(2)))
        elif inner.strip():
            parts.append(("var", inner.strip().lower(), None))
        else:
            raise ValueError("empty policy variable ${}")
        pos = m.end()
    if pos < len(value):
        parts.append(("text", value[pos:], None))
    return Template(value, tuple(parts))


def plain(pieces: tuple[Piece, ...]) -> str:
    """The pieces joined as one string (for exact comparisons, where no wildcard acts)."""
    return "".join(text for text, _ in pieces)
