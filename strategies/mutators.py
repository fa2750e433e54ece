"""Mutators: near misses of a given document (key policy, identity policy or CreateGrant request).

Each mutator is ``fn(doc, ...) -> SearchStrategy[Mutation]``: every drawn :class:`Mutation` holds a
deep copy of ``doc`` with exactly one small change, a description of it, the mutator's name
(``kind``) and the JSON path of the change. A mutator never changes its input. When the document
has nothing the mutator can change (no condition to flip, no statement to drop an action from),
the call raises :class:`NotApplicable` at once, so a spec module learns it while building its
strategies rather than from an unsatisfiable Hypothesis search; :func:`applicable` and
:func:`any_mutation` pick among the ones that apply.

Semantics follow "IAM JSON policy elements: Condition operators" (negated operator pairs),
"Policy evaluation logic" (an explicit Deny overrides any Allow) and "CreateGrant" (AWS KMS API
Reference).
"""

from __future__ import annotations

import copy
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from hypothesis import strategies as st
from hypothesis.strategies import SearchStrategy
from kms_conformance.arns import is_account_id, parse_arn, role_arn, role_name_of
from kms_conformance.errors import NotApplicable, json_path
from kms_conformance.strategies.aws import ALL_REGIONS, VIA_SERVICE_PREFIXES, account_ids, other_region, role_names


@dataclass(frozen=True)
class Mutation:
    """One near miss: the changed ``document`` (a fresh deep copy), what changed in words, the
    mutator that made it (``kind``), and where (JSON path, e.g. ``Statement[1].Condition``)."""

    document: dict[str, Any]
    description: str
    kind: str
    path: str = "$"


Mutator = Callable[..., SearchStrategy[Mutation]]


# --- reading documents ------------------------------------------------------------------------------

def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return list(value) if isinstance(value, list) else [value]


def _statements(doc: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The statements of a policy, whether ``Statement`` is a list or a single object."""
    raw = doc.get("Statement")
    if raw is None:
        raise NotApplicable("document has no Statement")
    return [s for s in _as_list(raw) if isinstance(s, dict)]


def _stmt_path(doc: Mapping[str, Any], index: int) -> str:
    return f"Statement[{index}]" if isinstance(doc.get("Statement"), list) else "Statement"


def _set_statements(doc: dict[str, Any], stmts: list[dict[str, Any]]) -> None:
    if isinstance(doc.get("Statement"), list) or len(stmts) != 1:
        doc["Statement"] = stmts
    else:
        doc["Statement"] = stmts[0]


def _is_wildcard(action: str) -> bool:
    return "*" in action or "?" in action


_OPERATOR = re.compile(r"^(?P<prefix>(?:ForAnyValue|ForAllValues):)?(?P<base>.+?)(?P<suffix>IfExists)?$")

#: Negation pairs of condition operators ("IAM JSON policy elements: Condition operators").
_FLIPS: Mapping[str, str] = {
    "StringEquals": "StringNotEquals",
    "StringEqualsIgnoreCase": "StringNotEqualsIgnoreCase",
    "StringLike": "StringNotLike",
    "NumericEquals": "NumericNotEquals",
    "NumericLessThan": "NumericGreaterThanEquals",
    "NumericLessThanEquals": "NumericGreaterThan",
    "DateEquals": "DateNotEquals",
    "DateLessThan": "DateGreaterThanEquals",
    "DateLessThanEquals": "DateGreaterThan",
    "ArnEquals": "ArnNotEquals",
    "ArnLike": "ArnNotLike",
    "IpAddress": "NotIpAddress",
}
FLIPS: Mapping[str, str] = {**_FLIPS, **{v: k for k, v in _FLIPS.items()}}
#: Operators whose values are booleans; flipping negates the values instead of the operator.
_BOOLEAN_VALUED = ("Bool", "Null")


def flipped_operator(operator: str) -> str | None:
    """The operator that negates ``operator``, keeping ``ForAnyValue:``/``ForAllValues:`` and
    ``IfExists``; None for Bool/Null (their values flip instead) and BinaryEquals (no negation).

    >>> flipped_operator("ForAnyValue:StringLikeIfExists")
    'ForAnyValue:StringNotLikeIfExists'
    """
    m = _OPERATOR.match(operator)
    if m is None:
        return None
    base = next((b for b in FLIPS if b.lower() == m["base"].lower()), None)
    if base is None:
        return None
    return f"{m['prefix'] or ''}{FLIPS[base]}{m['suffix'] or ''}"


def _flip_bool(value: Any) -> Any:
    if isinstance(value, list):
        return [_flip_bool(v) for v in value]
    if isinstance(value, bool):
        return not value
    return "false" if str(value).lower() == "true" else "true"


# --- policy mutators ---------------------------------------------------------------------------------

def drop_action(doc: Mapping[str, Any], *, statement: int | None = None, action: str | None = None
                ) -> SearchStrategy[Mutation]:
    """Remove one action from one statement's ``Action``; a statement whose only action it was is
    removed whole (a statement needs an action), unless it is the policy's only statement (a
    policy needs one). ``statement``/``action`` pin the choice (action compared
    case-insensitively, as IAM does).

    Example: dropping ``kms:Decrypt`` from the only statement allowing it turns an Allowed
    Decrypt request into ImplicitlyDenied.
    """
    stmts = _statements(doc)
    sites = [
        (i, a)
        for i, s in enumerate(stmts)
        if statement is None or i == statement
        for a in _as_list(s.get("Action"))
        if isinstance(a, str) and (action is None or a.lower() == action.lower())
        and (len(stmts) > 1 or len(_as_list(s.get("Action"))) > 1)
    ]
    if not sites:
        raise NotApplicable("no statement action to drop" + (f" matching {action!r}" if action else ""))

    def apply(site: tuple[int, str]) -> Mutation:
        i, act = site
        new = copy.deepcopy(dict(doc))
        new_stmts = _statements(new)
        acts = _as_list(new_stmts[i].get("Action"))
        path = _stmt_path(doc, i)
        if len(acts) == 1:
            del new_stmts[i]
            _set_statements(new, new_stmts)
            return Mutation(new, f"removed {path} (its only action was {act})", "drop_action", path)
        acts.remove(act)
        new_stmts[i]["Action"] = acts
        return Mutation(new, f"removed action {act} from {path}.Action", "drop_action", f"{path}.Action")

    return st.sampled_from(sites).map(apply)


def _principal_sites(stmts: list[dict[str, Any]], statement: int | None) -> list[tuple[int, int | None, str]]:
    """(statement index, index in the AWS list or None for a scalar, value) of AWS principals."""
    sites: list[tuple[int, int | None, str]] = []
    for i, s in enumerate(stmts):
        if statement is not None and i != statement:
            continue
        principal = s.get("Principal")
        if principal == "*":
            sites.append((i, None, "*"))
        elif isinstance(principal, dict) and "AWS" in principal:
            value = principal["AWS"]
            if isinstance(value, list):
                sites.extend((i, j, v) for j, v in enumerate(value) if isinstance(v, str))
            elif isinstance(value, str):
                sites.append((i, None, value))
    return sites


def _account_of(principal: str) -> tuple[str | None, str]:
    """The account a principal names (a bare account id, or an IAM or STS ARN) and its partition
    ("aws" when it names none)."""
    if is_account_id(principal):
        return principal, "aws"
    arn = parse_arn(principal)
    if arn is not None and arn.service in ("iam", "sts") and not arn.region and is_account_id(arn.account):
        return arn.account, arn.partition
    return None, "aws"


def narrow_principal(doc: Mapping[str, Any], *, statement: int | None = None, account: str | None = None
                     ) -> SearchStrategy[Mutation]:
    """Replace one AWS principal of a statement (account id, account root, role, user, session or
    ``*``) with another IAM role of the same account (``account``, or a drawn one for ``*``), so
    the statement no longer covers whoever the original principal named.

    Example: ``{"AWS": "arn:aws:iam::111122223333:root"}`` ->
    ``{"AWS": "arn:aws:iam::111122223333:role/x1"}``.
    """
    sites = _principal_sites(_statements(doc), statement)
    if not sites:
        raise NotApplicable("no AWS principal to narrow")

    @st.composite
    def build(draw: st.DrawFn) -> Mutation:
        i, j, old = draw(st.sampled_from(sites))
        named, partition = _account_of(old)
        acct = named or account or draw(account_ids())
        old_name = role_name_of(old)
        name = draw(role_names().filter(lambda n: old_name is None or n != old_name))
        role = role_arn(partition, acct, name)
        new = copy.deepcopy(dict(doc))
        stmt = _statements(new)[i]
        if old == "*" and stmt.get("Principal") == "*":
            stmt["Principal"] = {"AWS": role}
        elif j is None:
            stmt["Principal"]["AWS"] = role
        else:
            stmt["Principal"]["AWS"][j] = role
        path = f"{_stmt_path(doc, i)}.Principal.AWS" + (f"[{j}]" if j is not None else "")
        return Mutation(new, f"replaced principal {old} with {role} at {path}", "narrow_principal", path)

    return build()


def _condition_sites(stmts: list[dict[str, Any]], statement: int | None) -> list[tuple[int, str]]:
    return [
        (i, op)
        for i, s in enumerate(stmts)
        if (statement is None or i == statement) and isinstance(s.get("Condition"), dict)
        for op, entries in s["Condition"].items()
        if isinstance(entries, dict) and entries
    ]


def flip_operator(doc: Mapping[str, Any], *, statement: int | None = None) -> SearchStrategy[Mutation]:
    """Negate one condition operator: StringEquals<->StringNotEquals, StringLike<->StringNotLike,
    ArnLike<->ArnNotLike, NumericLessThan<->NumericGreaterThanEquals, IpAddress<->NotIpAddress...
    (set prefixes and ``IfExists`` kept); for ``Bool`` and ``Null`` flip the values true<->false.
    BinaryEquals has no negation and is left alone. An operator whose negation is already in the
    same block with an overlapping key is skipped (the merge would be ambiguous).

    Example: ``{"StringEquals": {"kms:ViaService": "forecast.us-east-1.amazonaws.com"}}`` ->
    ``{"StringNotEquals": {...same...}}``.
    """
    stmts = _statements(doc)
    sites = []
    for i, op in _condition_sites(stmts, statement):
        m = _OPERATOR.match(op)
        base = m["base"] if m else op
        if base.lower() in ("bool", "null"):
            sites.append((i, op, op))
            continue
        target = flipped_operator(op)
        if target is None:
            continue
        block = stmts[i]["Condition"]
        if target in block and set(block[target]) & set(block[op]):
            continue
        sites.append((i, op, target))
    if not sites:
        raise NotApplicable("no condition operator to flip")

    def apply(site: tuple[int, str, str]) -> Mutation:
        i, op, target = site
        new = copy.deepcopy(dict(doc))
        block = _statements(new)[i]["Condition"]
        path = f"{_stmt_path(doc, i)}.Condition.{op}"
        if target == op:
            block[op] = {k: _flip_bool(v) for k, v in block[op].items()}
            return Mutation(new, f"flipped the true/false values of {path}", "flip_operator", path)
        entries = block.pop(op)
        block.setdefault(target, {}).update(entries)
        return Mutation(new, f"changed operator {op} to {target} at {path}", "flip_operator", path)

    return st.sampled_from(sites).map(apply)


def add_deny(doc: Mapping[str, Any], *, action: str | None = None, principal: str | None = None
             ) -> SearchStrategy[Mutation]:
    """Append an unconditional Deny of one action that an Allow statement grants, for that Allow
    statement's principal (key policy) or resource (identity policy). Explicit deny overrides any
    allow ("Policy evaluation logic"), so a request the Allow covered becomes ExplicitlyDenied.
    ``action``/``principal`` (an AWS principal ARN or account id) pin the Deny.

    Example: appends ``{"Sid": "NearMissDeny", "Effect": "Deny", "Principal": {"AWS": "arn:..."},
    "Action": "kms:Decrypt", "Resource": "*"}``.
    """
    stmts = _statements(doc)
    allows = [s for s in stmts if s.get("Effect") == "Allow" and "Action" in s]
    if action is None and not allows:
        raise NotApplicable("no Allow statement whose action could be denied")
    is_key_policy = any("Principal" in s or "NotPrincipal" in s for s in stmts)
    choices: list[tuple[str, Any, Any]] = []
    for s in allows or [{}]:
        listed = [a for a in _as_list(s.get("Action")) if isinstance(a, str)]
        acts = [action] if action is not None else listed
        who = {"AWS": principal} if principal is not None else s.get("Principal", "*")
        choices.extend((a, who, s.get("Resource", "*")) for a in acts)
    if not choices:
        raise NotApplicable("no action to deny")

    def apply(choice: tuple[str, Any, Any]) -> Mutation:
        act, who, resource = choice
        new = copy.deepcopy(dict(doc))
        new_stmts = _statements(new)
        deny: dict[str, Any] = {"Sid": "NearMissDeny", "Effect": "Deny"}
        if is_key_policy:
            deny["Principal"] = copy.deepcopy(who)
        deny["Action"] = act
        deny["Resource"] = "*" if is_key_policy else copy.deepcopy(resource)
        new_stmts.append(deny)
        new["Statement"] = new_stmts
        path = f"Statement[{len(new_stmts) - 1}]"
        return Mutation(new, f"appended a Deny of {act} at {path}", "add_deny", path)

    return st.sampled_from(choices).map(apply)


_REGION_RE = re.compile(
    r"(?<![a-z0-9-])("
    + "|".join(sorted(map(re.escape, ALL_REGIONS), key=len, reverse=True))
    + r")(?![a-z0-9-])"
)


def _value_sites(
    stmts: list[dict[str, Any]], pick: Callable[[str, str, str], bool]
) -> list[tuple[int, str, str, int | None, str]]:
    """(statement, operator, key, index in a list value or None, value) of condition values."""
    sites: list[tuple[int, str, str, int | None, str]] = []
    for i, op in _condition_sites(stmts, None):
        for key, value in stmts[i]["Condition"][op].items():
            if isinstance(value, list):
                sites.extend(
                    (i, op, key, j, v) for j, v in enumerate(value) if isinstance(v, str) and pick(op, key, v)
                )
            elif isinstance(value, str) and pick(op, key, value):
                sites.append((i, op, key, None, value))
    return sites


def _replace_value(doc: Mapping[str, Any], site: tuple[int, str, str, int | None, str], new_value: str
                   ) -> tuple[dict[str, Any], str]:
    i, op, key, j, _ = site
    new = copy.deepcopy(dict(doc))
    entries = _statements(new)[i]["Condition"][op]
    if j is None:
        entries[key] = new_value
    else:
        entries[key][j] = new_value
    path = f"{_stmt_path(doc, i)}.Condition.{op}.{key}" + (f"[{j}]" if j is not None else "")
    return new, path


def change_region_in_condition(doc: Mapping[str, Any]) -> SearchStrategy[Mutation]:
    """Replace the Region inside one condition value (a ``kms:ViaService`` value such as
    ``forecast.us-east-1.amazonaws.com`` or an ARN such as ``arn:aws:logs:us-west-2:*:*``) with
    another Region of the same partition.

    Example: ``aoss.us-east-1.amazonaws.com`` -> ``aoss.eu-west-1.amazonaws.com``.
    """
    sites = _value_sites(_statements(doc), lambda op, key, v: _REGION_RE.search(v) is not None)
    if not sites:
        raise NotApplicable("no condition value names a Region")

    @st.composite
    def build(draw: st.DrawFn) -> Mutation:
        site = draw(st.sampled_from(sites))
        value = site[4]
        m = _REGION_RE.search(value)
        assert m is not None
        region = draw(other_region(m[1]))
        changed = value[: m.start(1)] + region + value[m.end(1):]
        new, path = _replace_value(doc, site, changed)
        text = f"changed Region {m[1]} to {region} in {path}"
        return Mutation(new, text, "change_region_in_condition", path)

    return build()


def swap_service_in_via_service(doc: Mapping[str, Any]) -> SearchStrategy[Mutation]:
    """Replace the service of one ``kms:ViaService`` value with another service, keeping the
    Region part ("kms:ViaService", AWS KMS condition keys).

    Example: ``forecast.us-east-1.amazonaws.com`` -> ``sagemaker.us-east-1.amazonaws.com``.
    """
    sites = _value_sites(_statements(doc), lambda op, key, v: key.lower() == "kms:viaservice" and "." in v)
    if not sites:
        raise NotApplicable("no kms:ViaService value to change")

    @st.composite
    def build(draw: st.DrawFn) -> Mutation:
        site = draw(st.sampled_from(sites))
        service, rest = site[4].split(".", 1)
        other = draw(st.sampled_from([p for p in VIA_SERVICE_PREFIXES if p != service.lower()]))
        new, path = _replace_value(doc, site, f"{other}.{rest}")
        text = f"changed service {service} to {other} in {path}"
        return Mutation(new, text, "swap_service_in_via_service", path)

    return build()


def remove_condition(doc: Mapping[str, Any], *, statement: int | None = None) -> SearchStrategy[Mutation]:
    """Remove one condition key (its operator when it was the operator's last key, and the
    ``Condition`` element when it was the last operator), widening the statement.

    Example: dropping ``kms:CallerAccount`` from the Forecast sample statement of page 004.
    """
    stmts = _statements(doc)
    sites = [
        (i, op, key) for i, op in _condition_sites(stmts, statement) for key in stmts[i]["Condition"][op]
    ]
    if not sites:
        raise NotApplicable("no condition to remove")

    def apply(site: tuple[int, str, str]) -> Mutation:
        i, op, key = site
        new = copy.deepcopy(dict(doc))
        stmt = _statements(new)[i]
        del stmt["Condition"][op][key]
        if not stmt["Condition"][op]:
            del stmt["Condition"][op]
        if not stmt["Condition"]:
            del stmt["Condition"]
        path = f"{_stmt_path(doc, i)}.Condition.{op}.{key}"
        return Mutation(new, f"removed condition {op} {key} at {path}", "remove_condition", path)

    return st.sampled_from(sites).map(apply)


def flip_effect(doc: Mapping[str, Any], *, statement: int | None = None) -> SearchStrategy[Mutation]:
    """Turn one statement's Effect from Allow to Deny or back: the bluntest near miss, and one
    that applies to every policy. Example: the admin statement ``"Effect": "Allow"`` -> ``"Deny"``."""
    stmts = _statements(doc)
    sites = [i for i, s in enumerate(stmts)
             if (statement is None or i == statement) and s.get("Effect") in ("Allow", "Deny")]
    if not sites:
        raise NotApplicable("no statement with an Effect")

    def apply(i: int) -> Mutation:
        new = copy.deepcopy(dict(doc))
        stmt = _statements(new)[i]
        old = stmt["Effect"]
        stmt["Effect"] = "Deny" if old == "Allow" else "Allow"
        path = f"{_stmt_path(doc, i)}.Effect"
        return Mutation(new, f"changed {path} from {old} to {stmt['Effect']}", "flip_effect", path)

    return st.sampled_from(sites).map(apply)


# --- grant mutators ----------------------------------------------------------------------------------

def _grant(doc: Mapping[str, Any]) -> None:
    if "Operations" not in doc or "GranteePrincipal" not in doc:
        raise NotApplicable("not a CreateGrant request (no Operations/GranteePrincipal)")


def drop_grant_operation(doc: Mapping[str, Any], *, operation: str | None = None) -> SearchStrategy[Mutation]:
    """Remove one operation from a grant's ``Operations`` (at least one must remain: CreateGrant
    requires a non-empty list). Example: ``["Decrypt", "GenerateDataKey"]`` -> ``["GenerateDataKey"]``."""
    _grant(doc)
    ops = [o for o in _as_list(doc["Operations"]) if operation is None or o == operation]
    if len(_as_list(doc["Operations"])) < 2 or not ops:
        raise NotApplicable("grant has no operation that can be dropped")

    def apply(op: str) -> Mutation:
        new = copy.deepcopy(dict(doc))
        new["Operations"] = [o for o in new["Operations"] if o != op]
        return Mutation(new, f"removed grant operation {op}", "drop_grant_operation", "Operations")

    return st.sampled_from(ops).map(apply)


def change_grantee(doc: Mapping[str, Any]) -> SearchStrategy[Mutation]:
    """Give the grant to another IAM role of the grantee's account (or of a drawn account when the
    grantee is a service principal). Example: ``...:role/ROLE_PASSED_TO_FORECAST`` -> ``...:role/other``."""
    _grant(doc)
    old = str(doc["GranteePrincipal"])

    @st.composite
    def build(draw: st.DrawFn) -> Mutation:
        named, partition = _account_of(old)
        acct = named or draw(account_ids())
        roles = role_names().map(lambda n: role_arn(partition, acct, n))
        role = draw(roles.filter(lambda r: r != old))
        new = copy.deepcopy(dict(doc))
        new["GranteePrincipal"] = role
        return Mutation(new, f"changed grantee {old} to {role}", "change_grantee", "GranteePrincipal")

    return build()


def change_grant_constraint(doc: Mapping[str, Any]) -> SearchStrategy[Mutation]:
    """Change a grant's encryption context constraint: EncryptionContextEquals<->Subset, or one
    pair's value (values are case-sensitive in grant constraints: "GrantConstraints").
    Example: ``{"EncryptionContextSubset": {"a": "b"}}`` -> ``{"EncryptionContextSubset": {"a": "b-x"}}``."""
    _grant(doc)
    constraints = doc.get("Constraints") or {}
    kinds = [k for k in ("EncryptionContextEquals", "EncryptionContextSubset") if constraints.get(k)]
    if not kinds:
        raise NotApplicable("grant has no encryption context constraint")
    sites = [(k, None) for k in kinds] + [(k, key) for k in kinds for key in constraints[k]]

    def apply(site: tuple[str, str | None]) -> Mutation:
        kind, key = site
        new = copy.deepcopy(dict(doc))
        cons = new["Constraints"]
        if key is None:
            equals, subset = "EncryptionContextEquals", "EncryptionContextSubset"
            other = subset if kind == equals else equals
            if other in cons:
                cons[kind], cons[other] = cons[other], cons[kind]
            else:
                cons[other] = cons.pop(kind)
            return Mutation(new, f"changed constraint {kind} to {other}", "change_grant_constraint",
                            "Constraints")
        cons[kind][key] = str(cons[kind][key]) + "-x"
        path = f"Constraints.{kind}.{key}"
        return Mutation(new, f"changed the value of {key} in {kind}", "change_grant_constraint", path)

    return st.sampled_from(sites).map(apply)


# --- nested documents ----------------------------------------------------------------------------

def mutate_at(
    outer: Mapping[str, Any], path: Sequence[str | int], mutator: Mutator, **options: Any
) -> SearchStrategy[Mutation]:
    """Apply ``mutator`` to the document found at ``path`` inside ``outer`` (a setup dict, say:
    ``["keys", 0, "policy"]``) and return mutations of the whole of ``outer``, their path
    prefixed (``keys[0].policy.Statement[1].Action``). ``options`` go to the mutator. This is how
    a ServiceSpec mutator breaks the key policy or grant inside a compliant setup.

    Example: ``mutate_at(setup, ["grants", 0], drop_grant_operation)``.
    """
    inner: Any = outer
    for part in path:
        try:
            inner = inner[part]
        except (KeyError, IndexError, TypeError):
            raise NotApplicable(f"nothing at {json_path(list(path))}") from None
    if not isinstance(inner, Mapping):
        raise NotApplicable(f"{json_path(list(path))} is not a document")
    prefix = json_path(list(path))

    def wrap(m: Mutation) -> Mutation:
        new = copy.deepcopy(dict(outer))
        target: Any = new
        for part in path[:-1]:
            target = target[part]
        target[path[-1]] = m.document
        inner_path = "" if m.path == "$" else ("" if m.path.startswith("[") else ".") + m.path
        return Mutation(new, f"{prefix}: {m.description}", m.kind, prefix + inner_path)

    if not path:
        return mutator(outer, **options)
    return mutator(inner, **options).map(wrap)


#: Mutators of policies (key and identity policies), by name.
POLICY_MUTATORS: Mapping[str, Mutator] = {
    "drop_action": drop_action,
    "narrow_principal": narrow_principal,
    "flip_operator": flip_operator,
    "add_deny": add_deny,
    "change_region_in_condition": change_region_in_condition,
    "swap_service_in_via_service": swap_service_in_via_service,
    "remove_condition": remove_condition,
    "flip_effect": flip_effect,
}
#: Mutators of CreateGrant requests, by name.
GRANT_MUTATORS: Mapping[str, Mutator] = {
    "drop_grant_operation": drop_grant_operation,
    "change_grantee": change_grantee,
    "change_grant_constraint": change_grant_constraint,
}
MUTATORS: Mapping[str, Mutator] = {**POLICY_MUTATORS, **GRANT_MUTATORS}


def applicable(doc: Mapping[str, Any]) -> list[str]:
    """Names of the mutators that can change ``doc`` (in MUTATORS order)."""
    names = []
    for name, fn in MUTATORS.items():
        try:
            fn(doc)
        except NotApplicable:
            continue
        names.append(name)
    return names


def any_mutation(doc: Mapping[str, Any]) -> SearchStrategy[Mutation]:
    """A near miss of ``doc`` by any mutator that applies; NotApplicable when none does."""
    names = applicable(doc)
    if not names:
        raise NotApplicable("no mutator applies to this document")
    return st.one_of([MUTATORS[name](doc) for name in names])


__all__ = [
    "GRANT_MUTATORS", "MUTATORS", "POLICY_MUTATORS", "Mutation", "NotApplicable", "add_deny", "any_mutation",
    "applicable", "change_grant_constraint", "change_grantee", "change_region_in_condition", "drop_action",
    "drop_grant_operation", "flip_effect", "flip_operator", "flipped_operator", "mutate_at",
    "narrow_principal", "remove_condition", "swap_service_in_via_service",
]
