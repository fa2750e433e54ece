"""moto's state read in the kit's terms: who the caller of a request is, its identity policies, a
KMS key as :class:`~kms_conformance.kms.Key`, and its grants as :class:`~kms_conformance.kms.Grant`.

The caller is resolved from the request's access key as moto resolves it (``moto/iam/access_control.py``
and ``sts.get_caller_identity``): the session of a role assumed with ``sts:AssumeRole``, an IAM user
whose access key was created in moto, else the account's root user (moto's default credentials).
Identity policies are what moto's IAM backend stores: inline and attached managed policies of the
role, or of the user and its groups. Nothing here writes to moto, and nothing here guesses: state
the kit cannot read raises :class:`Unreadable`; state it reads but the reference model does not
evaluate (a permissions boundary, a session policy) is named in :attr:`Caller.unevaluated`.

What is built from moto's objects (a role session's :class:`Caller`, a :class:`Key`, a key's
grants) is kept by the identity of those objects, with what was read from them; it is used again
only when a fresh read gives the same objects and texts (a cheap comparison, mostly by identity),
so any change in moto counts from the next request on.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from kms_conformance import arns
from kms_conformance.kms import Grant, Key, parse_grant
from kms_conformance.kms.keys import DEFAULT_KEY_USAGE
from kms_conformance.policy import Policy, PolicyError, parse_policy
from moto.iam.models import iam_backends
from moto.sts.models import sts_backends

#: The access key moto records when a request carries none it can read (moto's default credentials,
#: or a made-up ``AWS_ACCESS_KEY_ID`` such as ``testing``): ``BaseResponse.get_access_key``.
MOTO_DEFAULT_ACCESS_KEY = "AKIAEXAMPLE"


class Unreadable(Exception):
    """moto holds state the kit cannot read in its own terms (a policy its parser rejects...)."""


@dataclass(frozen=True)
class Caller:
    """The principal of one request. ``root`` is True for the account's root user; ``resolved`` is
    False when moto knows no principal for the access key (the root is then assumed);
    ``unevaluated`` names policies moto stores that the reference model does not evaluate."""

    arn: str
    account: str
    identity_policies: tuple[Policy, ...] = ()
    root: bool = False
    resolved: bool = True
    unevaluated: tuple[str, ...] = ()


@lru_cache(maxsize=2048)
def parsed_policy(text: str, origin: str) -> Policy:
    """A policy document moto stores, parsed once per distinct text (policies are frozen values).
    Raises :class:`Unreadable` naming ``origin`` when the kit's parser rejects it."""
    try:
        return parse_policy(text, origin=origin)
    except PolicyError as exc:
        raise Unreadable(f"{origin} is not a policy the kit can evaluate ({exc})") from None


def _default_document(managed: Any) -> str:
    for version in managed.versions:
        if version.is_default:
            return str(version.document)
    return ""


def _policies(owner: str, inline: Mapping[str, str], managed: Mapping[str, Any]) -> list[Policy]:
    found = [parsed_policy(text, f"{owner} inline policy {name}") for name, text in sorted(inline.items())]
    found += [parsed_policy(_default_document(p), f"managed policy {arn}") for arn, p in sorted(managed.items())]
    return found


def moto_backend(backends: Any, account: str, region: str) -> Any:
    """``backends[account][region]`` (a moto ``BackendDict``), read as a plain dict when moto has
    created that backend already: moto's own lookup takes a lock and copies the account list on
    every call, which is most of a lookup's time on a hot path."""
    by_account = dict.get(backends, account)
    found = dict.get(by_account, region) if by_account is not None else None
    return found if found is not None else backends[account][region]


def _assumed_role(access_key: str, account: str, partition: str) -> tuple[Any, Any] | None:
    """The moto AssumedRole whose temporary access key this is, with the STS backend holding it:
    first in the request's account, then in every account (``AssumeRoleWithSAML`` records it in
    the caller's)."""
    accounts: Iterable[str] = [account, *(a for a in list(sts_backends.keys()) if a != account)]
    for candidate in accounts:
        by_account = dict.get(sts_backends, candidate)
        if by_account is None:
            by_account = sts_backends[candidate]
        if partition not in by_account:
            continue
        backend = moto_backend(sts_backends, candidate, partition)
        found = backend.get_assumed_role_from_access_key(access_key)
        if found is not None:
            return backend, found
    return None


def _owner_state(owner: Any) -> tuple[Any, ...]:
    """What a role's identity policies are read from, as objects compared by identity first: its
    inline policy texts, its attached managed policies with their default documents, its boundary."""
    return dict(owner.policies), _managed_state(owner), owner.permissions_boundary_arn


def _managed_state(owner: Any) -> tuple[tuple[str, str], ...]:
    managed = owner.managed_policies
    return tuple((arn, _default_document(p)) for arn, p in managed.items()) if managed else ()


#: Callers resolved as a role session, by (access key, account, partition): the moto objects and
#: state they were read from, and the Caller. An entry is used only while moto still holds the same
#: session and role and the role's policies are the same (:func:`_session_still`), so a policy
#: changed in moto is seen on the next request.
_sessions: dict[tuple[str, str, str], tuple[Any, Any, Any, Any, tuple[Any, ...], Caller]] = {}
_SESSIONS_LIMIT = 1024


def _session_still(sts: Any, session: Any, iam: Any, role: Any, state: tuple[Any, ...], partition: str) -> bool:
    policies, managed, boundary = state
    return (session in sts.assumed_roles
            and moto_backend(sts_backends, sts.account_id, partition) is sts
            and moto_backend(iam_backends, str(session.account_id), partition) is iam
            and iam.roles.get(role.id) is role
            and role.policies == policies and role.permissions_boundary_arn == boundary
            and _managed_state(role) == managed)


def resolve_caller(access_key: str, account: str, partition: str) -> Caller:
    """The caller of a request signed with ``access_key`` that moto attributed to ``account``."""
    known = _sessions.get((access_key, account, partition))
    if known is not None and _session_still(*known[:5], partition):
        return known[5]
    found = _assumed_role(access_key, account, partition)
    if found is not None:
        sts, session = found
        role_account = str(session.account_id)
        iam = moto_backend(iam_backends, role_account, partition)
        try:
            role = iam.get_role_by_arn(session.role_arn)
        except Exception:  # moto raises its own NotFound types
            raise Unreadable(f"the role {session.role_arn} of session {session.arn} no longer exists in moto") \
                from None
        state = _owner_state(role)
        unevaluated = []
        if role.permissions_boundary_arn:
            unevaluated.append(f"permissions boundary {role.permissions_boundary_arn} of {role.arn}")
        if session.policy:
            unevaluated.append(f"session policy of {session.arn}")
        caller = Caller(arn=str(session.arn), account=role_account,
                        identity_policies=tuple(_policies(f"role {role.name}", role.policies, role.managed_policies)),
                        unevaluated=tuple(unevaluated))
        if len(_sessions) >= _SESSIONS_LIMIT:
            _sessions.clear()
        _sessions[access_key, account, partition] = (sts, session, iam, role, state, caller)
        return caller
    iam = moto_backend(iam_backends, account, partition)
    user = iam.get_user_from_access_key_id(access_key)
    if user is not None:
        policies = _policies(f"user {user.name}", user.policies, user.managed_policies)
        for group in iam.get_groups_for_user(user.name):
            policies += _policies(f"group {group.name}", group.policies, group.managed_policies)
        boundary = getattr(user, "permissions_boundary_arn", None)
        return Caller(arn=str(user.arn), account=account, identity_policies=tuple(policies),
                      unevaluated=(f"permissions boundary {boundary} of {user.arn}",) if boundary else ())
    return Caller(arn=arns.root_arn(partition, account), account=account, root=True,
                  resolved=access_key == MOTO_DEFAULT_ACCESS_KEY)


# -- keys and grants ------------------------------------------------------------------------------


@lru_cache(maxsize=1024)
def _alias_arn(text: str) -> arns.Arn | None:
    """:func:`kms_conformance.arns.parse_alias_arn`, once per distinct KeyId (an Arn is frozen)."""
    return arns.parse_alias_arn(text)


@lru_cache(maxsize=1024)
def _key_arn(text: str) -> arns.Arn | None:
    """:func:`kms_conformance.arns.parse_key_arn`, once per distinct KeyId."""
    return arns.parse_key_arn(text)


def find_key(backend: Any, key_ref: str, *, allow_alias: bool = True) -> Any | None:
    """The moto key a KeyId names (key id, key ARN, alias name, alias ARN), without side effects
    (moto's own lookup creates AWS managed keys on demand); None when moto holds none, or when an
    ARN names another account or Region (moto then answers for itself)."""
    if not isinstance(key_ref, str) or not key_ref:
        return None
    if not key_ref.startswith(("arn:", "alias/")):
        return backend.keys.get(key_ref)  # a key id
    alias = _alias_arn(key_ref)
    if alias is not None or key_ref.startswith("alias/"):
        if not allow_alias:
            return None
        if alias is not None and (alias.account, alias.region) != (backend.account_id, backend.region_name):
            return None
        name = alias.resource if alias is not None else key_ref
        return next((k for k in backend.keys.values() if name in k.aliases), None)
    parsed = _key_arn(key_ref)
    if parsed is not None:
        if (parsed.account, parsed.region) != (backend.account_id, backend.region_name):
            return None
        key_ref = parsed.resource_id
    return backend.keys.get(key_ref)


#: What the kit's view of a moto key (:func:`kit_key`) and of its grants (:func:`grants_of`) were
#: built from, by ``id`` of the moto key: the moto key itself (so that the id is not reused while
#: the entry lives), the state read, and the result. An entry is used only while that state is the
#: same (compared by identity first: a policy put in moto is a new string), so a change is seen on
#: the next request. moto never changes a grant once created: its grants are compared as objects.
_keys: dict[int, tuple[Any, tuple[Any, ...], Key]] = {}
_grants: dict[int, tuple[Any, str, tuple[Any, ...], tuple[tuple[Grant, ...], tuple[str, ...]]]] = {}
_KEYS_LIMIT = 4096


def _key_state(moto_key: Any) -> tuple[Any, ...]:
    return (moto_key.policy, moto_key.key_state, moto_key.key_spec, moto_key.key_usage, moto_key.origin,
            moto_key.multi_region, tuple(moto_key.aliases))


def kit_key(moto_key: Any) -> Key:
    """A moto key as the reference model's :class:`Key`, its key policy parsed (moto leaves KeyUsage
    unset when CreateKey omits it: CreateKey's default, ENCRYPT_DECRYPT, is meant)."""
    state = _key_state(moto_key)
    known = _keys.get(id(moto_key))
    if known is not None and known[0] is moto_key and known[1] == state:
        return known[2]
    key = _kit_key(moto_key)
    if len(_keys) >= _KEYS_LIMIT:
        _keys.clear()
    _keys[id(moto_key)] = (moto_key, state, key)
    return key


def _kit_key(moto_key: Any) -> Key:
    text = moto_key.policy if isinstance(moto_key.policy, str) else ""
    return Key(arn=moto_key.arn, key_id=moto_key.id, account=moto_key.account_id, region=moto_key.region,
               key_spec=moto_key.key_spec or "SYMMETRIC_DEFAULT",
               key_usage=moto_key.key_usage or DEFAULT_KEY_USAGE, origin=moto_key.origin or "AWS_KMS",
               multi_region=bool(moto_key.multi_region), state=moto_key.key_state,
               policy=parsed_policy(text, f"key policy of {moto_key.arn}"),
               aliases=tuple(sorted(moto_key.aliases)), policy_text=text)


def kit_grant(moto_grant: Any, key: Key) -> Grant:
    """A moto grant as the reference model's :class:`Grant` (Unreadable when the kit rejects it)."""
    raw: dict[str, Any] = {"GranteePrincipal": moto_grant.grantee_principal, "Operations": moto_grant.operations,
                           "GrantId": moto_grant.id}
    if moto_grant.retiring_principal:
        raw["RetiringPrincipal"] = moto_grant.retiring_principal
    if moto_grant.constraints:
        raw["Constraints"] = moto_grant.constraints
    if moto_grant.name:
        raw["Name"] = moto_grant.name
    try:
        return parse_grant(raw, key_arn=key.arn)
    except ValueError as exc:
        raise Unreadable(f"grant {moto_grant.id} on {key.arn} is not one the kit can evaluate ({exc})") from None


def grants_of(moto_key: Any, key: Key) -> tuple[tuple[Grant, ...], tuple[str, ...]]:
    """The key's grants the kit can evaluate, and why each other one was left out."""
    current = tuple(moto_key.grants.values())
    known = _grants.get(id(moto_key))
    if known is not None and known[0] is moto_key and known[1] == key.arn and known[2] == current:
        return known[3]
    grants, problems = [], []
    for moto_grant in current:
        try:
            grants.append(kit_grant(moto_grant, key))
        except Unreadable as exc:
            problems.append(str(exc))
    found = (tuple(grants), tuple(problems))
    if len(_grants) >= _KEYS_LIMIT:
        _grants.clear()
    _grants[id(moto_key)] = (moto_key, key.arn, current, found)
    return found


def find_grant(backend: Any, *, token: str | None, key_ref: str | None,
               grant_id: str | None) -> tuple[Any, Any] | None:
    """(moto key, moto grant) of RetireGrant's GrantToken, or of its KeyId and GrantId; None when
    moto holds no such grant (moto answers the request itself)."""
    if token:
        for moto_key in list(backend.keys.values()):
            for grant in list(moto_key.grants.values()):
                if grant.token == token:
                    return moto_key, grant
        return None
    moto_key = find_key(backend, key_ref or "", allow_alias=False)
    if moto_key is None or not grant_id or grant_id not in moto_key.grants:
        return None
    return moto_key, moto_key.grants[grant_id]
