"""Parsing policy documents ("IAM JSON policy elements reference", IAM User Guide) into frozen
:class:`~kms_conformance.policy.model.Policy` values, and serializing them back.

Accepted, as AWS accepts them: JSON text or a mapping; ``Statement`` as one object or a list;
``Action``/``NotAction``/``Resource``/``NotResource`` and each principal type as one string or a
list; ``Principal: "*"``; ``{"AWS"|"Service"|"Federated"|"CanonicalUser": ...}``; bare 12-digit
account ids as AWS principals; ``Sid``; ``Id``; ``Version`` 2012-10-17 or 2008-10-17 (or absent,
which AWS reads as 2008-10-17: policy variables are then plain text). Condition values may be
strings, numbers or booleans (compared as their JSON string forms) or lists of them.

A statement without ``Resource``/``NotResource`` is accepted and applies to every resource (role
trust policies have none); every other malformation raises :class:`PolicyError` naming the JSON
path and the problem.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable, Mapping
from functools import lru_cache
from typing import Any

from kms_conformance.errors import json_path
from kms_conformance.policy.conditions import ConditionError, compile_condition, pieces_matcher
from kms_conformance.policy.match import CACHE_SIZE, string_set_matcher
from kms_conformance.policy.model import (
    Condition,
    Policy,
    PolicyError,
    PrincipalBlock,
    Statement,
    new_policy,
    new_principal_block,
    new_statement,
)
from kms_conformance.policy.variables import parse_template

VERSIONS = ("2012-10-17", "2008-10-17")
_TOP_KEYS = ("Version", "Id", "Statement")
_TOP_KEY_SET = frozenset(_TOP_KEYS)
_STATEMENT_KEYS = frozenset(("Sid", "Effect", "Principal", "NotPrincipal", "Action", "NotAction", "Resource",
                             "NotResource", "Condition"))
_PRINCIPAL_TYPES = {"AWS": "aws", "Service": "service", "Federated": "federated",
                    "CanonicalUser": "canonical_user"}
_EXCLUSIVE = (("Principal", "NotPrincipal"), ("Action", "NotAction"), ("Resource", "NotResource"))
_EVERYONE = PrincipalBlock(everyone=True, star_form=True)  # frozen: one value serves every "*"
_MISSING: Any = object()

Path = list[str | int]
_ACCOUNT_ID = re.compile(r"\d{12}")


def _all_strings(values: list[Any]) -> bool:
    for v in values:  # noqa: SIM110  (a loop is faster than all() over a generator)
        if type(v) is not str:
            return False
    return True


class _Parser:
    def __init__(self, origin: str) -> None:
        self.origin = origin

    def fail(self, path: Path, message: str) -> PolicyError:
        return PolicyError(message, json_path(path), source=self.origin)

    # --- elements -----------------------------------------------------------------------------
    def strings(self, value: Any, path: Path, what: str) -> tuple[str, ...]:
        if isinstance(value, str):
            return (value,)
        if isinstance(value, list):
            if not value:
                raise self.fail(path, f"{what} is an empty list")
            if _all_strings(value):
                return tuple(value)
            for i, item in enumerate(value):
                if not isinstance(item, str):
                    raise self.fail([*path, i], f"{what} entries must be strings, not {type(item).__name__}")
            return tuple(value)
        raise self.fail(path, f"{what} must be a string or a list of strings, not {type(value).__name__}")

    def actions(self, value: Any, parent: Path, name: str) -> tuple[tuple[str, ...], Callable[[str], bool]]:
        """``Action``/``NotAction`` values. "Grammar of the IAM JSON policy language" (notes on
        ``action_string``): an action string consists of a service namespace, a colon and the
        name of an action (which may hold wildcards); the only other value is ``"*"``. So
        ``"s3:"`` (no action name) and ``":GetObject"`` (no namespace) are not action strings:
        AWS refuses such a policy when it is saved, and so does this parser, rather than read
        them as patterns that match nothing (in a NotAction that would silently widen the
        statement to every action). Returns the values and the statement's action matcher."""
        # ``parent`` and ``name`` make the JSON path, built only when something is wrong.
        if type(value) is str:
            acts: tuple[str, ...] = (value,)
        elif type(value) is list and value and _all_strings(value):  # the common list, valid
            acts = tuple(value)
        else:
            acts = self.strings(value, [*parent, name], name)
        problem, test = _checked_actions(acts, name == "NotAction")
        if problem is not None:
            i, message = problem
            raise self.fail([*parent, name, i] if isinstance(value, list) else [*parent, name], message)
        return acts, test

    def principal(self, value: Any, parent: Path, name: str) -> PrincipalBlock:
        if value == "*":
            return _EVERYONE
        if type(value) is dict and len(value) == 1:
            # The common form, one principal type with one value ({"AWS": ARN or account id},
            # {"Service": name}): checked here, its block shared with every other use.
            for kind, names in value.items():
                if type(names) is str and kind in _PRINCIPAL_TYPES and _principal_value_ok(kind == "AWS", names):
                    return _single_principal(kind, names)
        path = [*parent, name]  # a map: its checks below need the path
        if isinstance(value, str):
            raise self.fail(path, f"a principal string must be '*'; write {{\"AWS\": {value!r}}} for an ARN or account")
        if not (type(value) is dict or isinstance(value, Mapping)) or not value:
            raise self.fail(path, "Principal must be '*' or a non-empty map of principal types")
        fields: dict[str, tuple[str, ...]] = {}
        for kind, names in value.items():
            attr = _PRINCIPAL_TYPES.get(kind)
            if attr is None:
                raise self.fail([*path, kind],
                                f"unknown principal type {kind!r} (AWS, Service, Federated, CanonicalUser)")
            vals = (names,) if type(names) is str else self.strings(names, [*path, kind], f"Principal {kind}")
            aws = kind == "AWS"
            for i, v in enumerate(vals):
                if not _principal_value_ok(aws, v):
                    where = [*path, kind, i] if isinstance(names, list) else [*path, kind]
                    if not v.strip():
                        raise self.fail(where, "empty principal")
                    raise self.fail(where, f"AWS principal {v!r} is not '*', a 12-digit account id or an ARN")
            fields[attr] = vals
        return _principal_block(fields)

    def condition_value(self, value: Any, path: Path) -> str:
        if isinstance(value, bool):
            return "true" if value else "false"
        if isinstance(value, int):
            return str(value)
        if isinstance(value, float):
            if not math.isfinite(value):
                raise self.fail(path, "condition values must be finite numbers")
            return json.dumps(value)
        if isinstance(value, str):
            return value
        raise self.fail(path, f"condition values must be strings, numbers or booleans, not {type(value).__name__}")

    def conditions(self, value: Any, path: Path, variables: bool) -> tuple[Condition, ...]:
        if not (type(value) is dict or isinstance(value, Mapping)):
            raise self.fail(path, "Condition must be a map of operators")
        out: list[Condition] = []
        for operator, block in value.items():
            if not (type(block) is dict or isinstance(block, Mapping)) or not block:
                raise self.fail([*path, operator], f"operator {operator!r} must map condition keys to values")
            for key, raw in block.items():
                # The JSON paths are built only when something is wrong (the common path is valid).
                if not key or (type(key) is not str and not isinstance(key, str)):
                    raise self.fail([*path, operator, key], "empty condition key")
                if type(raw) is str:
                    vals: tuple[str, ...] = (raw,)
                elif type(raw) is list or isinstance(raw, list):
                    if _all_strings(raw):
                        vals = tuple(raw)
                    else:
                        vals = tuple(self.condition_value(v, [*path, operator, key, i]) for i, v in enumerate(raw))
                else:
                    vals = (self.condition_value(raw, [*path, operator, key]),)
                try:
                    out.append(_compiled_condition(operator, key, vals, variables))
                except ConditionError as exc:
                    opath = [*path, operator]
                    kpath = [*opath, key]
                    where = opath if exc.where == "operator" else (
                        [*kpath, exc.where] if isinstance(raw, list) and isinstance(exc.where, int) else kpath)
                    raise self.fail(where, str(exc)) from None
                except ValueError as exc:  # a malformed policy variable
                    raise self.fail([*path, operator, key], str(exc)) from None
        return tuple(out)

    def statement(self, raw: Any, path: Path, index: int, variables: bool) -> Statement:
        if type(raw) is not dict and not isinstance(raw, Mapping):
            raise self.fail(path, f"a statement must be an object, not {type(raw).__name__}")
        if not raw.keys() <= _STATEMENT_KEYS:  # one set comparison on the common, valid path
            for k in raw:
                if k not in _STATEMENT_KEYS:
                    raise self.fail([*path, k], f"unknown statement element {k!r}")
        get = raw.get
        sid = get("Sid")
        if sid is not None and not isinstance(sid, str):
            raise self.fail([*path, "Sid"], "Sid must be a string")
        effect = get("Effect")
        if effect != "Allow" and effect != "Deny":
            if effect is None:
                raise self.fail(path, "missing Effect")
            raise self.fail([*path, "Effect"], f"Effect must be 'Allow' or 'Deny', not {effect!r}")
        # Each element, or _MISSING when the statement has none (a JSON null is a value, and wrong).
        p_raw, np_raw = get("Principal", _MISSING), get("NotPrincipal", _MISSING)
        a_raw, na_raw = get("Action", _MISSING), get("NotAction", _MISSING)
        r_raw, nr_raw = get("Resource", _MISSING), get("NotResource", _MISSING)
        if ((p_raw is not _MISSING and np_raw is not _MISSING) or (a_raw is not _MISSING and na_raw is not _MISSING)
                or (r_raw is not _MISSING and nr_raw is not _MISSING)):
            for a, b in _EXCLUSIVE:
                if a in raw and b in raw:
                    raise self.fail(path, f"a statement cannot have both {a} and {b}")
        if np_raw is not _MISSING and effect != "Deny":
            # "AWS JSON policy elements: NotPrincipal": it must be used with "Effect": "Deny".
            raise self.fail([*path, "NotPrincipal"], "NotPrincipal is supported only with \"Effect\": \"Deny\"")
        if a_raw is _MISSING and na_raw is _MISSING:
            raise self.fail(path, "missing Action (or NotAction)")
        principal = None if p_raw is _MISSING else self.principal(p_raw, path, "Principal")
        not_principal = None if np_raw is _MISSING else self.principal(np_raw, path, "NotPrincipal")
        action = not_action = None
        if a_raw is not _MISSING:
            action, action_test = self.actions(a_raw, path, "Action")
        else:
            not_action, action_test = self.actions(na_raw, path, "NotAction")
        resource: tuple[str, ...] | None = None
        not_resource: tuple[str, ...] | None = None
        if r_raw is not _MISSING:
            if type(r_raw) is str:
                resource = (r_raw,)
            elif type(r_raw) is list and r_raw and _all_strings(r_raw):  # the common list, valid
                resource = tuple(r_raw)
            else:
                resource = self.strings(r_raw, [*path, "Resource"], "Resource")
        if nr_raw is not _MISSING:
            not_resource = self.strings(nr_raw, [*path, "NotResource"], "NotResource")
        c_raw = get("Condition", _MISSING)
        conditions = () if c_raw is _MISSING else self.conditions(c_raw, [*path, "Condition"], variables)
        if variables:
            if resource is not None:
                for pattern in resource:
                    if "${" in pattern:
                        self.templates(resource, [*path, "Resource"])
                        break
            elif not_resource is not None:
                self.templates(not_resource, [*path, "NotResource"])
        stmt = new_statement(sid, effect, principal, not_principal, action, not_action, resource, not_resource,
                             conditions, index, variables, _COMPILER)
        # Every evaluation asks every statement whether its action matches: the lazy attribute is
        # set now, from the shared matchers, rather than through the compiler on first use.
        vars(stmt)["action_test"] = action_test
        return stmt

    def templates(self, patterns: tuple[str, ...], path: Path) -> None:
        """Check the policy variables of Resource/NotResource patterns (Version 2012-10-17)."""
        for p in patterns:
            if "${" in p:
                try:
                    parse_template(p)
                except ValueError as exc:
                    raise self.fail(path, str(exc)) from None

    def policy(self, doc: Any) -> Policy:
        if type(doc) is not dict and not isinstance(doc, Mapping):
            raise self.fail([], f"a policy must be a JSON object, not {type(doc).__name__}")
        if not doc.keys() <= _TOP_KEY_SET:
            for k in doc:
                if k not in _TOP_KEYS:
                    raise self.fail([k], f"unknown policy element {k!r} (Version, Id, Statement)")
        version = doc.get("Version")
        if version is not None and version not in VERSIONS:
            raise self.fail(["Version"], f"Version must be one of {', '.join(VERSIONS)}, not {version!r}")
        pid = doc.get("Id")
        if pid is not None and not isinstance(pid, str):
            raise self.fail(["Id"], "Id must be a string")
        if "Statement" not in doc:
            raise self.fail([], "missing Statement")
        raw = doc["Statement"]
        variables = version == "2012-10-17"
        stmts: tuple[Statement, ...]
        if type(raw) is dict or isinstance(raw, Mapping):
            stmts = (self.statement(raw, ["Statement"], 0, variables),)
            single = True
        elif isinstance(raw, list):
            if not raw:
                raise self.fail(["Statement"], "Statement is an empty list")
            statement = self.statement
            stmts = tuple([statement(s, ["Statement", i], i, variables) for i, s in enumerate(raw)])
            single = False
        else:
            raise self.fail(["Statement"], "Statement must be an object or a list of objects")
        sids = [s.sid for s in stmts if s.sid is not None]
        if len(sids) > 1 and len(set(sids)) != len(sids):
            dup = next(s for s in sids if sids.count(s) > 1)
            raise self.fail(["Statement"], f"duplicate Sid {dup!r}: statement ids must be unique")
        return new_policy(version, stmts, self.origin, pid, single)


@lru_cache(maxsize=CACHE_SIZE)
def _compiled_condition(operator: str, key: str, values: tuple[str, ...], variables: bool) -> Condition:
    """:func:`compile_condition`, shared: a condition entry is a pure function of these four (a
    :class:`Condition` is frozen, its predicate compiled once on first use), and the same entries
    recur across the policies users write, so each is checked once (errors are raised again, never
    cached)."""
    return compile_condition(operator, key, values, variables=variables)


@lru_cache(maxsize=CACHE_SIZE)
def _checked_actions(actions: tuple[str, ...], negated: bool) -> tuple[tuple[int, str] | None, Callable[[str], bool]]:
    """:func:`_actions_problem` of an ``Action`` (``negated`` False) or ``NotAction`` list and, when
    it has none, the statement's action matcher (:func:`_action_matcher`); one lookup per statement
    for both, since the same lists recur. A list with a problem gets a matcher of nothing (never used:
    the parser raises)."""
    problem = _actions_problem(actions)
    if problem is not None:
        return problem, _never
    return None, _action_matcher(None, actions) if negated else _action_matcher(actions, None)


def _never(_action: str) -> bool:
    return False


def _actions_problem(actions: tuple[str, ...]) -> tuple[int, str] | None:
    """The first entry of ``Action``/``NotAction`` that is not an action string, with what is
    wrong with it; None when all are (see :meth:`_Parser.actions`)."""
    for i, a in enumerate(actions):
        if a == "*":
            continue
        service, colon, name = a.partition(":")
        if not (colon and service and name):
            missing = ("no ':' between service and action" if not colon else
                       "an empty service namespace" if not service else "an empty action name")
            return i, f"action {a!r} has {missing}: write '*' or 'service:Action'"
    return None


def _principal_value_ok(aws: bool, value: str) -> bool:
    """Is ``value`` valid for its principal type? An ``AWS`` principal is ``"*"``, an ARN or a
    12-digit account id ("AWS JSON policy elements: Principal"); any other type's is not blank."""
    if aws:
        return value.startswith("arn:") or value == "*" or _ACCOUNT_ID.fullmatch(value) is not None
    return bool(value.strip())


def _principal_block(fields: Mapping[str, tuple[str, ...]]) -> PrincipalBlock:
    """The block of checked values by principal type attribute (``aws``, ``service``...)."""
    aws = fields.get("aws", ())
    return new_principal_block("*" in aws, aws, fields.get("service", ()), fields.get("federated", ()),
                               fields.get("canonical_user", ()), False)


@lru_cache(maxsize=CACHE_SIZE)
def _single_principal(kind: str, name: str) -> PrincipalBlock:
    """The block of ``{kind: name}``, a checked value (shared: blocks are frozen, and the same
    principals recur across policies)."""
    return _principal_block({_PRINCIPAL_TYPES[kind]: (name,)})


class _Compiler:
    """Builds a statement's matchers on first use (:class:`~kms_conformance.policy.model.StatementCompiler`)."""

    @staticmethod
    def action_test(stmt: Statement) -> Callable[[str], bool]:
        return _action_matcher(stmt.action, stmt.not_action)

    @staticmethod
    def resource_test(stmt: Statement) -> Callable[[str, Mapping[str, tuple[str, ...]]], bool]:
        return _resource_matcher(stmt.resource, stmt.not_resource, stmt.variables)


_COMPILER = _Compiler()


@lru_cache(maxsize=CACHE_SIZE)
def _action_matcher(action: tuple[str, ...] | None, not_action: tuple[str, ...] | None) -> Callable[[str], bool]:
    """Action names are case-insensitive (service prefix and name): "IAM JSON policy elements: Action"."""
    if action is not None:
        return string_set_matcher(action, ignore_case=True)
    assert not_action is not None
    inner = string_set_matcher(not_action, ignore_case=True)
    return lambda a: not inner(a)


@lru_cache(maxsize=CACHE_SIZE)
def _resource_matcher(
    resource: tuple[str, ...] | None, not_resource: tuple[str, ...] | None, variables: bool
) -> Callable[[str, Mapping[str, tuple[str, ...]]], bool]:
    """Resource ARNs match case-sensitively with ``*``/``?`` over the whole ARN; policy variables
    are substituted under Version 2012-10-17 ("IAM JSON policy elements: Resource")."""
    patterns = resource if resource is not None else not_resource
    if patterns is None:
        return lambda _r, _c: True
    fixed = []
    templates = []
    for p in patterns:
        t = parse_template(p) if variables else None
        if t is None:
            fixed.append(p)
        else:
            templates.append(t)
    base = string_set_matcher(fixed, ignore_case=False) if fixed else (lambda _v: False)

    def matches(r: str, ctx: Mapping[str, tuple[str, ...]]) -> bool:
        if base(r):
            return True
        for t in templates:
            pieces = t.resolve(ctx)
            if pieces is not None and pieces_matcher(pieces)(r):
                return True
        return False

    if resource is not None:
        return matches if templates else (lambda r, _c: base(r))
    return lambda r, c: not matches(r, c)


def parse_policy(doc: str | bytes | Mapping[str, Any], *, origin: str = "policy") -> Policy:
    """Parse a policy document (JSON text or an already-decoded mapping).

    Raises :class:`PolicyError` with the JSON path and the problem when the document is malformed.
    ``origin`` names the policy in errors and in explanations of decisions.
    """
    parser = _Parser(origin)
    if isinstance(doc, str | bytes):
        try:
            decoded = json.loads(doc)
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise PolicyError(f"not valid JSON: {exc}", "$", source=origin) from None
    else:
        decoded = doc
    return parser.policy(decoded)


def principal_element_problem(policy: Policy, *, resource_based: bool) -> tuple[str, str] | None:
    """Where (``Statement[1].Principal``, inside the policy) and what is wrong when a statement's
    principal element does not fit the kind of policy it is used as; None when every statement
    fits. "AWS JSON policy elements: Principal": a resource-based policy (a key policy, a bucket
    policy) must use the Principal element, and an identity-based policy cannot, for it applies to
    the identity it is attached to; "AWS JSON policy elements: NotPrincipal": nor NotPrincipal. AWS
    refuses to save such a policy; read anyway, a resource-policy statement without one would apply
    to nobody, and an identity-policy statement's Principal would be silently ignored."""
    for stmt in policy.statements:  # the JSON path is built only when something is wrong
        if resource_based:
            if stmt.principal is None and stmt.not_principal is None:
                return _statement_path(policy, stmt), ("a statement of a resource-based policy needs a Principal (or "
                                                       "NotPrincipal): AWS refuses the policy without one")
        elif stmt.principal is not None or stmt.not_principal is not None:
            element = "Principal" if stmt.principal is not None else "NotPrincipal"
            return f"{_statement_path(policy, stmt)}.{element}", (
                f"an identity-based policy cannot have {element}: it applies to the identity it is attached to, "
                "and IAM refuses it (MalformedPolicyDocument)")
    return None


def _statement_path(policy: Policy, stmt: Statement) -> str:
    return "Statement" if policy.single_statement else f"Statement[{stmt.index}]"


def _one_or_list(values: tuple[str, ...]) -> str | list[str]:
    return values[0] if len(values) == 1 else list(values)


def _principal_json(block: PrincipalBlock) -> str | dict[str, Any]:
    if block.everyone and block.star_form:
        return "*"
    out: dict[str, Any] = {}
    for name, attr in _PRINCIPAL_TYPES.items():
        vals: tuple[str, ...] = getattr(block, attr)
        if vals:
            out[name] = _one_or_list(vals)
    return out


def statement_to_dict(stmt: Statement) -> dict[str, Any]:
    """One statement in JSON form (strings for single values, lists otherwise)."""
    out: dict[str, Any] = {}
    if stmt.sid is not None:
        out["Sid"] = stmt.sid
    out["Effect"] = stmt.effect
    if stmt.principal is not None:
        out["Principal"] = _principal_json(stmt.principal)
    if stmt.not_principal is not None:
        out["NotPrincipal"] = _principal_json(stmt.not_principal)
    for name, vals in (("Action", stmt.action), ("NotAction", stmt.not_action),
                       ("Resource", stmt.resource), ("NotResource", stmt.not_resource)):
        if vals is not None:
            out[name] = _one_or_list(vals)
    if stmt.conditions:
        block: dict[str, dict[str, Any]] = {}
        for c in stmt.conditions:
            block.setdefault(c.operator, {})[c.key] = list(c.values)
        out["Condition"] = block
    return out


def policy_to_dict(policy: Policy) -> dict[str, Any]:
    """The policy as a JSON-ready dict; ``parse_policy(policy_to_dict(p), origin=p.name) == p``."""
    out: dict[str, Any] = {}
    if policy.version is not None:
        out["Version"] = policy.version
    if policy.id is not None:
        out["Id"] = policy.id
    stmts = [statement_to_dict(s) for s in policy.statements]
    out["Statement"] = stmts[0] if policy.single_statement else stmts
    return out


def serialize_policy(policy: Policy) -> str:
    """The policy as compact JSON text."""
    return json.dumps(policy_to_dict(policy), separators=(",", ":"))


__all__ = ["VERSIONS", "parse_policy", "policy_to_dict", "serialize_policy", "statement_to_dict"]
