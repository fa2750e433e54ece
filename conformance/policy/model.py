"""Values of the IAM policy language: decisions, errors, parsed policies, requests, evaluations.

Everything here is a frozen dataclass or an enum; the compiled matchers a statement carries are
hidden (excluded from equality and repr), so two parses of the same document compare equal. They
are compiled on first use, by the compiler the parser hands each statement and condition entry:
most statements of a fresh policy are never reached by a given request (their action does not
match), so they never pay for compiling their resource patterns and condition values.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import MISSING, dataclass, field, fields, is_dataclass
from enum import Enum
from typing import Any, Generic, Protocol, TypeVar, overload

from kms_conformance.errors import InputError

#: A request context: case-folded key names to their values.
Context = Mapping[str, tuple[str, ...]]

_T = TypeVar("_T")


class _lazy(Generic[_T]):
    """An attribute computed on first use and kept in the instance's ``__dict__`` (which then
    shadows this non-data descriptor, so later reads cost a plain attribute lookup). Unlike
    ``functools.cached_property`` (Python 3.11) it takes no lock: the values are pure functions of
    frozen fields, so two threads computing one at once store equal values."""

    def __init__(self, func: Callable[[Any], _T]) -> None:
        self.func = func
        self.name = func.__name__
        self.__doc__ = func.__doc__

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name

    @overload
    def __get__(self, obj: None, owner: type | None = None) -> _lazy[_T]: ...

    @overload
    def __get__(self, obj: object, owner: type | None = None) -> _T: ...

    def __get__(self, obj: object | None, owner: type | None = None) -> _T | _lazy[_T]:
        if obj is None:
            return self
        value = obj.__dict__[self.name] = self.func(obj)
        return value


_UNSET: Any = object()


def builder(cls: type[_T]) -> Callable[..., _T]:
    """A constructor of the frozen dataclass ``cls`` that takes its fields as :meth:`__init__`
    does (in order, by position or by name) and gives the instance :meth:`__init__` would give.
    The ``__init__`` of a frozen dataclass stores each field through ``object.__setattr__``, which
    is most of the cost of building the many statements and condition entries of a batch of
    fresh policies; this one writes the instance's ``__dict__`` directly. Only for classes without ``__post_init__``
    (checked here), whose ``__init__`` does nothing else. A field left out takes its default
    (or its ``default_factory``'s value), as with ``__init__``."""
    if not is_dataclass(cls) or hasattr(cls, "__post_init__") or hasattr(cls, "__slots__"):
        raise TypeError(f"{cls.__name__}: builder() needs a dataclass with a __dict__ and no __post_init__")
    every = fields(cls)
    if any(not f.init or f.kw_only for f in every):
        raise TypeError(f"{cls.__name__}: builder() needs every field in __init__, by position")
    namespace: dict[str, Any] = {"new": object.__new__, "cls": cls, "unset": _UNSET}
    params, lines = [], ["    obj = new(cls)", "    d = obj.__dict__"]
    for f in every:
        n = f.name
        if f.default is not MISSING:
            namespace[f"default_{n}"] = f.default
            params.append(f"{n}=default_{n}")
        elif f.default_factory is not MISSING:
            namespace[f"factory_{n}"] = f.default_factory
            params.append(f"{n}=unset")
            lines.append(f"    if {n} is unset: {n} = factory_{n}()")
        else:
            params.append(n)
        lines.append(f"    d[{n!r}] = {n}")
    lines = [f"def build({', '.join(params)}):", *lines, "    return obj"]
    exec("\n".join(lines), namespace)  # field names of our own dataclass, as dataclasses itself does
    build: Callable[..., _T] = namespace["build"]
    build.__qualname__ = f"builder({cls.__name__})"
    return build


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
    #: Policy variables apply (policy Version 2012-10-17).
    variables: bool = field(compare=False, default=False)
    #: Builds :attr:`test` on first use (None: the entry matches nothing).
    compiler: Callable[[Condition], Callable[[Context], bool]] | None = field(
        compare=False, repr=False, default=None)

    @_lazy
    def test(self) -> Callable[[Context], bool]:
        """The entry's predicate over a request context, compiled on first use."""
        return _never if self.compiler is None else self.compiler(self)


def _never(*_args: Any) -> bool:
    return False


class StatementCompiler(Protocol):
    """Builds a statement's matchers (:attr:`Statement.action_test`, :attr:`Statement.resource_test`)."""

    def action_test(self, stmt: Statement) -> Callable[[str], bool]: ...

    def resource_test(self, stmt: Statement) -> Callable[[str, Context], bool]: ...


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
    #: Policy variables apply in ``Resource`` (policy Version 2012-10-17).
    variables: bool = field(compare=False, default=False)
    #: Builds the matchers on first use (None: the statement matches nothing).
    compiler: StatementCompiler | None = field(compare=False, repr=False, default=None)

    @_lazy
    def action_test(self) -> Callable[[str], bool]:
        """Does ``Action``/``NotAction`` cover an action name? Compiled on first use (the parser
        sets it when it builds the statement: every evaluation asks every statement)."""
        return _never if self.compiler is None else self.compiler.action_test(self)

    @_lazy
    def resource_test(self) -> Callable[[str, Context], bool]:
        """Does ``Resource``/``NotResource`` cover a resource ARN (policy variables resolved in the
        request context)? Compiled on first use."""
        return _never if self.compiler is None else self.compiler.resource_test(self)


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

    @_lazy
    def cache(self) -> dict[Any, Any]:
        """The evaluator's per-policy memo (statements by action and principal). Not a field:
        ``dataclasses.replace`` gives a changed copy a memo of its own, never this one. The
        evaluator creates it, empty, at the policy's first evaluation (which scans the statements
        directly) and fills it from the second on."""
        return {}

    @_lazy
    def pairs(self) -> tuple[tuple[Statement, Match], ...]:
        """Each statement with the Match that reports it, built once, on first use (the
        evaluator's hot path reuses them instead of building a Match per decision)."""
        name = self.name
        return tuple([(s, new_match(name, s.index, s.sid, s.effect)) for s in self.statements])




#: :class:`PrincipalBlock`, :class:`Condition`, :class:`Statement`, :class:`Match`,
#: :class:`Policy` from every field in order (:func:`builder`): the parser's and the
#: evaluator's hot paths.
new_principal_block = builder(PrincipalBlock)
new_condition = builder(Condition)
new_statement = builder(Statement)
new_match = builder(Match)
new_policy = builder(Policy)


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
