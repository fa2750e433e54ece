"""Condition operators ("IAM JSON policy elements: Condition operators", IAM User Guide) and the
set qualifiers ``ForAnyValue:`` / ``ForAllValues:`` ("Single-valued vs. multivalued context keys").

:func:`compile_condition` turns one (operator, key, values) entry into a predicate over the request
context (a mapping of case-folded key names to tuples of values). The semantics implemented:

- Several values for one key are ORed: the key matches when it matches any value. For a negated
  operator (``StringNotEquals``, ``StringNotEqualsIgnoreCase``, ``StringNotLike``,
  ``NumericNotEquals``, ``DateNotEquals``, ``ArnNotEquals``, ``ArnNotLike``, ``NotIpAddress``) the
  key must match none of them (NOR).
- A key missing from the context: the condition is false for a positive operator and true for a
  negated one ("Condition operators": "If the key that you specify in a policy condition is not
  present in the request context, the values do not match..."); ``...IfExists`` makes it true
  for every operator. ``Null`` tests presence: ``"true"`` holds when the key is absent.
- ``ForAnyValue:`` holds when at least one context value satisfies the operator (false when the
  key is missing or empty); ``ForAllValues:`` when every context value does (true when the key is
  missing or empty). ``ForAnyValue:...IfExists`` on a missing key: AWS documents nothing; here
  ``IfExists`` wins and the condition holds.
- A context key with several values but no set qualifier: AWS says to use a set operator on such
  keys and documents no other behaviour; here a positive operator holds when any context value
  matches, a negated one when none does. (Both undocumented cases are reported by
  :mod:`~kms_conformance.policy.undocumented`.)
- Condition key names are case-insensitive; values compare case-sensitively except for
  ``...IgnoreCase`` and ``Bool``.
- Policy values that are numbers or booleans in JSON were turned into their string forms by the
  parser; Numeric/Date/IpAddress/Binary/Bool/Null values that cannot mean anything for their
  operator are rejected when the policy is parsed.
- ``ArnEquals`` and ``ArnLike`` behave alike (the page documents both as case-sensitive,
  component-wise matching with ``*``/``?`` in each of the six colon-delimited components): a
  wildcard in the first five components never crosses a ``:``; in the sixth (the resource, which
  may contain colons) it matches anything. A policy value of fewer than six components is not a
  full ARN; its last component is taken as the resource component, so ``"*"`` matches every value
  and ``arn:aws:logs:*:g`` matches only values of exactly that shape.
"""

from __future__ import annotations

import base64
import binascii
import ipaddress
import re
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from functools import lru_cache

from kms_conformance.policy.match import (
    CACHE_SIZE,
    Token,
    compile_glob,
    glob_from_tokens,
    literal_tokens,
    pattern_tokens,
    string_set_matcher,
)
from kms_conformance.policy.model import Condition, new_condition
from kms_conformance.policy.variables import Piece, Template, parse_template, plain

Context = Mapping[str, tuple[str, ...]]
Hit = Callable[[str, Context], bool]

#: base operator -> (family, negated)
OPERATORS: dict[str, tuple[str, bool]] = {
    "StringEquals": ("String", False),
    "StringNotEquals": ("String", True),
    "StringEqualsIgnoreCase": ("String", False),
    "StringNotEqualsIgnoreCase": ("String", True),
    "StringLike": ("String", False),
    "StringNotLike": ("String", True),
    "NumericEquals": ("Numeric", False),
    "NumericNotEquals": ("Numeric", True),
    "NumericLessThan": ("Numeric", False),
    "NumericLessThanEquals": ("Numeric", False),
    "NumericGreaterThan": ("Numeric", False),
    "NumericGreaterThanEquals": ("Numeric", False),
    "DateEquals": ("Date", False),
    "DateNotEquals": ("Date", True),
    "DateLessThan": ("Date", False),
    "DateLessThanEquals": ("Date", False),
    "DateGreaterThan": ("Date", False),
    "DateGreaterThanEquals": ("Date", False),
    "Bool": ("Bool", False),
    "BinaryEquals": ("Binary", False),
    "IpAddress": ("IpAddress", False),
    "NotIpAddress": ("IpAddress", True),
    "ArnEquals": ("Arn", False),
    "ArnLike": ("Arn", False),
    "ArnNotEquals": ("Arn", True),
    "ArnNotLike": ("Arn", True),
    "Null": ("Null", False),
}
_CANONICAL = {name.lower(): name for name in OPERATORS}
_QUALIFIERS = {"foranyvalue": "ForAnyValue", "forallvalues": "ForAllValues"}


class ConditionError(ValueError):
    """A bad condition entry; ``where`` is ``"operator"``, ``"key"`` or ``"value"`` (with index)."""

    def __init__(self, message: str, where: str | int = "operator") -> None:
        super().__init__(message)
        self.where = where


@lru_cache(maxsize=CACHE_SIZE)
def split_operator(operator: str) -> tuple[str, str, bool]:
    """``"ForAnyValue:StringLikeIfExists"`` -> ``("ForAnyValue", "StringLike", True)``. Operator
    and qualifier names are matched case-insensitively and returned in their documented spelling.
    Raises ConditionError for an unknown operator."""
    qualifier = ""
    name = operator
    if ":" in operator:
        prefix, name = operator.split(":", 1)
        if prefix.lower() not in _QUALIFIERS:
            raise ConditionError(f"unknown set qualifier {prefix!r} (ForAnyValue or ForAllValues)")
        qualifier = _QUALIFIERS[prefix.lower()]
    if_exists = False
    base = _CANONICAL.get(name.lower())
    if base is None and name.lower().endswith("ifexists"):
        base = _CANONICAL.get(name[: -len("IfExists")].lower())
        if_exists = True
    if base is None:
        raise ConditionError(f"unknown condition operator {operator!r}")
    if base == "Null" and (if_exists or qualifier):
        raise ConditionError(f"{operator!r}: Null takes neither IfExists nor a set qualifier")
    return qualifier, base, if_exists


# --- value parsing -----------------------------------------------------------------------------------

_NUMBER_RE = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?")
_EPOCH_RE = re.compile(r"[+-]?\d+(\.\d+)?")


def parse_number(text: str) -> float | None:
    text = text.strip()
    return float(text) if _NUMBER_RE.fullmatch(text) else None


@lru_cache(maxsize=CACHE_SIZE)
def parse_date(text: str) -> float | None:
    """ISO 8601 (``2024-01-31``, ``2024-01-31T12:00:00Z``, with fractions or offsets) or epoch
    seconds, as a POSIX timestamp; None when it is neither. A time without offset is UTC."""
    text = text.strip()
    if _EPOCH_RE.fullmatch(text):
        return float(text)
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.timestamp()


def parse_ip(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(text.strip())
    except ValueError:
        try:
            net = ipaddress.ip_network(text.strip(), strict=False)
        except ValueError:
            return None
        return net.network_address if net.num_addresses == 1 else None


def _b64(text: str) -> bytes | None:
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        return None


# --- per-family "does this context value match any policy value" ------------------------------------

def _piece_tokens(pieces: tuple[Piece, ...]) -> list[Token]:
    out: list[Token] = []
    for text, is_pattern in pieces:
        out.extend(pattern_tokens(text) if is_pattern else literal_tokens(text))
    return out


@lru_cache(maxsize=CACHE_SIZE)
def pieces_matcher(pieces: tuple[Piece, ...]) -> Callable[[str], bool]:
    """The whole-value matcher of a resolved policy value: ``*``/``?`` act in its pattern pieces,
    substituted values and ``${*}``-style escapes match themselves (:mod:`~kms_conformance.policy.match`)."""
    return glob_from_tokens(_piece_tokens(pieces))


@lru_cache(maxsize=CACHE_SIZE)
def arn_matcher(pieces: tuple[Piece, ...]) -> Callable[[str], bool]:
    """Component-aware ARN matcher: in the first five ``:``-separated components ``*`` and ``?``
    never match a ``:``; in the sixth (resource) component, which may itself hold colons, they
    match anything. A pattern of fewer components treats its last one as the resource component
    (so ``"*"`` matches every value). Each component is matched on its own by the linear matcher
    of :mod:`~kms_conformance.policy.match`."""
    if len(pieces) == 1 and pieces[0][1] and "?" not in pieces[0][0]:
        # One pattern without ``?`` (a policy value without variables): its components are the
        # text between its first five colons, each matched by the shared compiled glob, which is
        # what the tokens of each give (a test compares the two).
        text = pieces[0][0]
        colons = min(text.count(":"), 5)
        return _arn_match(colons, tuple(compile_glob(part) for part in text.split(":", colons)))
    return _arn_matcher_of_tokens(_piece_tokens(pieces))


def _arn_matcher_of_tokens(tokens: list[Token]) -> Callable[[str], bool]:
    """:func:`arn_matcher` of the tokens of the pieces."""
    colons = min(sum(1 for t in tokens if t == ":"), 5)
    groups: list[list[Token]] = [[]]
    for t in tokens:
        if t == ":" and len(groups) <= colons:
            groups.append([])
        else:
            groups[-1].append(t)
    return _arn_match(colons, tuple(glob_from_tokens(g) for g in groups))


def _arn_match(colons: int, matchers: tuple[Callable[[str], bool], ...]) -> Callable[[str], bool]:
    """A value split at its first ``colons`` colons, each component matched by its matcher."""

    def match(value: str) -> bool:
        parts = value.split(":", colons)
        if len(parts) != colons + 1:
            return False
        for m, part in zip(matchers, parts, strict=True):  # noqa: SIM110  (hot path)
            if not m(part):
                return False
        return True

    return match


def _templated(values: Sequence[str], allow: bool) -> tuple[list[str], list[Template]]:
    plain_values: list[str] = []
    templates: list[Template] = []
    for v in values:
        t = parse_template(v) if allow else None
        if t is None:
            plain_values.append(v)
        else:
            templates.append(t)
    return plain_values, templates


def _string_hit(base: str, values: Sequence[str], variables: bool) -> Hit:
    fixed, templates = _templated(values, variables)
    if base in ("StringEquals", "StringNotEquals"):
        exact = frozenset(fixed)
        if not templates:
            return lambda v, _c: v in exact
        return lambda v, c: v in exact or any(
            (p := t.resolve(c)) is not None and plain(p) == v for t in templates)
    if base in ("StringEqualsIgnoreCase", "StringNotEqualsIgnoreCase"):
        folded = frozenset(x.casefold() for x in fixed)
        if not templates:
            return lambda v, _c: v.casefold() in folded
        return lambda v, c: v.casefold() in folded or any(
            (p := t.resolve(c)) is not None and plain(p).casefold() == v.casefold() for t in templates)
    like = string_set_matcher(fixed, ignore_case=False) if fixed else (lambda _v: False)
    if not templates:
        return lambda v, _c: like(v)
    return lambda v, c: like(v) or any(
        (p := t.resolve(c)) is not None and pieces_matcher(p)(v) for t in templates)


def _arn_hit(values: Sequence[str], variables: bool) -> Hit:
    fixed, templates = _templated(values, variables)
    matchers = [arn_matcher(((v, True),)) for v in fixed]

    def hit(v: str, c: Context) -> bool:
        for m in matchers:
            if m(v):
                return True
        for t in templates:
            p = t.resolve(c)
            if p is not None and arn_matcher(p)(v):
                return True
        return False

    return hit


_COMPARE: dict[str, Callable[[float, float], bool]] = {
    "Equals": lambda a, b: a == b,
    "NotEquals": lambda a, b: a == b,  # negated around the hit
    "LessThan": lambda a, b: a < b,
    "LessThanEquals": lambda a, b: a <= b,
    "GreaterThan": lambda a, b: a > b,
    "GreaterThanEquals": lambda a, b: a >= b,
}


def _ordered_hit(family: str, base: str, values: Sequence[str]) -> Hit:
    parse = parse_number if family == "Numeric" else parse_date
    compare = _COMPARE[base[len(family):]]
    bounds = []
    for i, v in enumerate(values):
        b = parse(v)
        if b is None:
            kind = "a number" if family == "Numeric" else "an ISO 8601 date or epoch seconds"
            raise ConditionError(f"{base} value {v!r} is not {kind}", i)
        bounds.append(b)

    def hit(v: str, _c: Context) -> bool:
        x = parse(v)
        return x is not None and any(compare(x, b) for b in bounds)

    return hit


def _bool_hit(values: Sequence[str]) -> Hit:
    for i, v in enumerate(values):
        if v.lower() not in ("true", "false"):
            raise ConditionError(f"Bool value {v!r} is not true or false", i)
    wanted = frozenset(v.lower() for v in values)
    return lambda v, _c: v.lower() in wanted


def _binary_hit(values: Sequence[str]) -> Hit:
    wanted = set()
    for i, v in enumerate(values):
        raw = _b64(v)
        if raw is None:
            raise ConditionError(f"BinaryEquals value {v!r} is not base64", i)
        wanted.add(raw)

    def hit(v: str, _c: Context) -> bool:
        raw = _b64(v)
        return raw is not None and raw in wanted

    return hit


def _ip_hit(values: Sequence[str]) -> Hit:
    nets = []
    for i, v in enumerate(values):
        try:
            nets.append(ipaddress.ip_network(v.strip(), strict=False))
        except ValueError:
            raise ConditionError(f"IP address value {v!r} is not an IPv4/IPv6 address or CIDR block", i) from None

    def hit(v: str, _c: Context) -> bool:
        addr = parse_ip(v)
        return addr is not None and any(addr.version == n.version and addr in n for n in nets)

    return hit


def _hit(family: str, base: str, values: Sequence[str], variables: bool) -> Hit:
    if family == "String":
        return _string_hit(base, values, variables)
    if family == "Arn":
        return _arn_hit(values, variables)
    if family in ("Numeric", "Date"):
        return _ordered_hit(family, base, values)
    if family == "Bool":
        return _bool_hit(values)
    if family == "Binary":
        return _binary_hit(values)
    return _ip_hit(values)


@lru_cache(maxsize=CACHE_SIZE)
def _value_problem(base: str, value: str) -> str | None:
    """What is wrong with one policy value of a Null, Numeric, Date, Bool, Binary or IpAddress
    operator (None when it can mean something for the operator); cached, the same values recur."""
    family = OPERATORS[base][0]
    if family in ("Null", "Bool"):
        return None if value.lower() in ("true", "false") else f"{base} value {value!r} is not true or false"
    if family in ("Numeric", "Date"):
        if (parse_number(value) if family == "Numeric" else parse_date(value)) is not None:
            return None
        kind = "a number" if family == "Numeric" else "an ISO 8601 date or epoch seconds"
        return f"{base} value {value!r} is not {kind}"
    if family == "Binary":
        return None if _b64(value) is not None else f"BinaryEquals value {value!r} is not base64"
    try:
        ipaddress.ip_network(value.strip(), strict=False)
    except ValueError:
        return f"IP address value {value!r} is not an IPv4/IPv6 address or CIDR block"
    return None


def compile_condition(operator: str, key: str, values: Sequence[str], *, variables: bool) -> Condition:
    """One condition entry as a :class:`Condition`, checked now (an unknown operator, a value that
    cannot mean anything for its operator, a malformed policy variable raise ConditionError or
    ValueError) and compiled into its predicate (:attr:`Condition.test`) on first use.
    ``variables`` enables policy variables (policy Version 2012-10-17; String and ARN operators
    only)."""
    qualifier, base, if_exists = split_operator(operator)
    vals = tuple(values)
    if OPERATORS[base][0] in ("String", "Arn"):
        if variables:
            for v in vals:
                if "${" in v:
                    parse_template(v)  # raises ValueError for a malformed variable
    else:
        for i, v in enumerate(vals):
            problem = _value_problem(base, v)
            if problem is not None:
                raise ConditionError(problem, i)
    return new_condition(operator, key, vals, base, qualifier, if_exists, variables, _condition_test)


def _condition_test(cond: Condition) -> Callable[[Context], bool]:
    """The predicate of a checked condition entry (see the module docstring for the semantics)."""
    base, qualifier, if_exists, vals = cond.base, cond.qualifier, cond.if_exists, cond.values
    family, negated = OPERATORS[base]
    lkey = cond.key.lower()
    test: Callable[[Context], bool]
    if family == "Null":
        want_absent = frozenset(v.lower() == "true" for v in vals)

        def test(ctx: Context) -> bool:
            return (not ctx.get(lkey)) in want_absent

        return test

    hit = _hit(family, base, vals, cond.variables)

    def satisfied(v: str, ctx: Context) -> bool:
        return hit(v, ctx) != negated

    if qualifier == "ForAllValues":
        def test(ctx: Context) -> bool:
            present = ctx.get(lkey)
            if not present:
                return True
            return all(satisfied(v, ctx) for v in present)
    elif qualifier == "ForAnyValue":
        def test(ctx: Context) -> bool:
            present = ctx.get(lkey)
            if not present:
                return if_exists  # undocumented with IfExists (see the module docstring)
            return any(satisfied(v, ctx) for v in present)
    else:
        missing = if_exists or negated

        if negated:
            def test(ctx: Context) -> bool:
                present = ctx.get(lkey)
                if not present:
                    return missing
                for v in present:  # noqa: SIM110  (a loop is faster than all() on the hot path)
                    if hit(v, ctx):
                        return False
                return True
        else:
            def test(ctx: Context) -> bool:
                present = ctx.get(lkey)
                if not present:
                    return missing
                for v in present:  # noqa: SIM110
                    if hit(v, ctx):
                        return True
                return False

    return test
