"""Values of the IAM policy language: decisions, errors, parsed policies, requests, evaluations.

Everything here is a frozen dataclass or an enum; the compiled matchers a statement carries are
hidden fields (excluded from equality and repr), so two parses of the same document compare equal.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from enum import Enum
from typing import Any

from kms_conformance.errors import InputError


class Decision(str, Enum):
    """The outcome of evaluating policies for one request ("Policy evaluation logic", IAM User Guide)."""

    ALLOWED = "Allowed"
    EXPLICITLY_DENIED = "ExplicitlyDenied"
    IMPLICITLY_DENIED = "ImplicitlyDenied"


class PolicyError(InputError, ValueError):
    """A malformed policy document: ``.message`` says what is wrong, ``.path`` where
    (``Statement[2].Condition.StringLike``), ``.source`` which policy (the ``origin`` given to
    :func:`kms_conformance.policy.parse_policy`)."""

    def __init__(self, message: str, path: str = "$", *, source: str = "policy") -> None:
        super().__init__(message, source=source, path=path)


@dataclass(frozen=True)
class PrincipalBlock:
    """A ``Principal`` / ``NotPrincipal`` element ("AWS JSON policy elements: Principal").

    ``everyone`` is ``"*"`` or ``{"AWS": "*"}``; the tuples hold the values of each principal type
    as written (``aws`` holds ARNs and bare 12-digit account ids). ``star_form`` remembers whether
    the element was the bare string ``"*"`` (for serialization only).
    """

    everyone: bool = False
    aws: tuple[str, ...] = ()
    service: tuple[str, ...] = ()
    federated: tuple[str, ...] = ()
    canonical_user: tuple[str, ...] = ()
    star_form: bool = field(default=False, compare=False)


@dataclass(frozen=True)
class Condition:
    """One (operator, key, values) entry of a ``Condition`` block.

    ``operator`` is the name as written (``ForAnyValue:StringLikeIfExists``); ``base`` the operator
    without qualifier and ``IfExists`` (``StringLike``); ``qualifier`` is ``""``, ``"ForAnyValue"``
    or ``"ForAllValues"``; ``key`` is the condition key as written, ``values`` the values as
    strings (numbers and booleans in the document become their JSON string forms).
    """

    operator: str
    key: str
    values: tuple[str, ...]
    base: str = field(compare=False, default="")
    qualifier: str = field(compare=False, default="")
    if_exists: bool = field(compare=False, default=False)
    test: Callable[[Mapping[str, tuple[str, ...]]], bool] = field(
        compare=False, repr=False, default=lambda _ctx: False
    )


@dataclass(frozen=True)
class Statement:
    """One statement of a policy, as parsed. Exactly one of ``action``/``not_action`` is set; at
    most one of ``principal``/``not_principal`` and of ``resource``/``not_resource``. ``index``
    is the statement's position in the document (0 for a single statement object)."""

    sid: str | None
    effect: str
    principal: PrincipalBlock | None
    not_principal: PrincipalBlock | None
    action: tuple[str, ...] | None
    not_action: tuple[str, ...] | None
    resource: tuple[str, ...] | None
    not_resource: tuple[str, ...] | None
    conditions: tuple[Condition, ...]
    index: int
    action_test: Callable[[str], bool] = field(compare=False, repr=False, default=lambda _a: False)
    resource_test: Callable[[str, Mapping[str, tuple[str, ...]]], bool] = field(
        compare=False, repr=False, default=lambda _r, _c: False
    )


@dataclass(frozen=True)
class Match:
    """A statement that took part in a decision."""

    policy: str
    index: int
    sid: str | None
    effect: str


@dataclass(frozen=True)
class Policy:
    """A parsed policy document. ``name`` is the ``origin`` it was parsed with (used in
    explanations); ``id`` the document's ``Id``; ``single_statement`` remembers that
    ``Statement`` was one object rather than a list (for serialization only)."""

    version: str | None
    statements: tuple[Statement, ...]
    name: str = "policy"
    id: str | None = None
    single_statement: bool = field(default=False, compare=False)
    #: The evaluator's per-policy memo (statements by action and principal). Not an init field:
    #: ``dataclasses.replace`` must give a changed copy a cache of its own, never share this one.
    cache: dict[Any, Any] = field(init=False, compare=False, repr=False, hash=False)
    pairs: tuple[tuple[Statement, Match], ...] = field(init=False, compare=False, repr=False, hash=False)

    def __post_init__(self) -> None:
        # Each statement with the Match that reports it, built once (the evaluator's hot path
        # reuses them instead of building a Match per decision).
        pairs = tuple((s, Match(self.name, s.index, s.sid, s.effect)) for s in self.statements)
        object.__setattr__(self, "pairs", pairs)
        object.__setattr__(self, "cache", {})


@dataclass(frozen=True)
class Request:
    """One authorization request: the action (``kms:Decrypt``), the resource ARN, the calling
    principal (an ARN, a bare account id or a service principal name) and the request context,
    whose keys are case-folded and whose values are tuples of strings (one value for a
    single-valued key). ``resource_account`` overrides the account taken from the resource ARN."""

    action: str
    resource: str
    principal: str
    context: Mapping[str, tuple[str, ...]]
    resource_account: str | None = None

    def get(self, key: str) -> tuple[str, ...] | None:
        """The values of a context key, looked up case-insensitively; None when absent."""
        return self.context.get(key.lower())


@dataclass(frozen=True)
class Evaluation:
    """A decision with the statements that made it and a one-line reason."""

    decision: Decision
    matched: tuple[Match, ...]
    reason: str

    @property
    def allowed(self) -> bool:
        return self.decision is Decision.ALLOWED

    def explain(self) -> str:
        """The decision, the reason, then one line per deciding statement."""
        lines = [f"{self.decision.value}: {self.reason}"]
        for m in self.matched:
            sid = f" Sid {m.sid!r}" if m.sid is not None else ""
            lines.append(f"  {m.policy} Statement[{m.index}]{sid}: {m.effect}")
        return "\n".join(lines)
