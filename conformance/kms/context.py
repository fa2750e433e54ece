"""One KMS request and the KMS condition keys it carries (AWS KMS Developer Guide, "AWS KMS
condition keys"; "kms:ViaService"; "kms:GrantIsForAWSResource"; "kms:EncryptionContext:context-key").

The global keys (aws:PrincipalArn, aws:PrincipalAccount, ...) are derived by
``kms_conformance.policy.make_request`` from the principal; this module adds what only KMS knows.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from kms_conformance.kms.grants import ENCRYPTION_CONTEXT_OPERATIONS, Grant
from kms_conformance.kms.keys import Key
from kms_conformance.policy import principal_account as _principal_account
from kms_conformance.policy.match import CACHE_SIZE
from kms_conformance.policy.request import context_values, derived_view

#: Operations for which kms:GrantIsForAWSResource is evaluated ("kms:GrantIsForAWSResource").
GRANT_RESOURCE_OPERATIONS = ("CreateGrant", "ListGrants", "RevokeGrant")



def principal_account(principal: str) -> str | None:
    """The account of an IAM/STS principal ARN or a bare account id; None for a service principal."""
    return _principal_account(principal)


@dataclass(frozen=True)
class KmsRequest:
    """One request to KMS. ``operation`` is the IAM action without ``kms:`` (``Decrypt``;
    ReEncrypt is two requests, ``ReEncryptFrom`` on the source key and ``ReEncryptTo`` on the
    destination key). ``grant`` is the grant being created (CreateGrant) or retired (RetireGrant).
    ``extra_context`` adds or overrides condition keys (``kms:RequestAlias``, ``aws:SourceIp``...)."""

    operation: str
    caller: str
    key: Key
    encryption_context: Mapping[str, str] = field(default_factory=dict)
    via_service: str | None = None
    grant: Grant | None = None
    extra_context: Mapping[str, str | tuple[str, ...]] = field(default_factory=dict)

    @property
    def action(self) -> str:
        return "kms:" + self.operation


def _bool(value: bool) -> str:
    return "true" if value else "false"


def request_context(req: KmsRequest) -> dict[str, str | tuple[str, ...]]:
    """The KMS condition keys of the request ("AWS KMS condition keys"):

    - ``kms:CallerAccount``: the caller's account (absent for a service principal).
    - ``kms:ViaService``: only when a service calls on the principal's behalf (``via_service``).
    - ``kms:GrantIsForAWSResource``: for CreateGrant, ListGrants and RevokeGrant; true only when
      an integrated service sends the request on the principal's behalf.
    - ``kms:EncryptionContext:<key>`` / ``kms:EncryptionContextKeys``: the request's encryption
      context on operations that take one; for CreateGrant, the context of the grant's constraint
      (the condition key names are case-insensitive, as all condition key names; values keep case).
    - ``kms:GrantOperations`` (multivalued), ``kms:GranteePrincipal``, ``kms:RetiringPrincipal``,
      ``kms:GrantConstraintType`` for CreateGrant.
    - ``kms:KeySpec``, ``kms:KeyUsage``, ``kms:KeyOrigin``, ``kms:MultiRegion``,
      ``kms:MultiRegionKeyType`` (multi-Region keys), ``kms:ResourceAliases`` (multivalued).
    """
    ctx = _request_part(req)
    ctx.update(_key_part(*_key_fields(req.key)))
    ctx.update(req.extra_context)
    return ctx


def policy_context(req: KmsRequest) -> dict[str, tuple[str, ...]]:
    """:func:`request_context` in the form a policy is evaluated against: names case-folded, each
    value a tuple of strings (what ``kms_conformance.policy.make_request`` makes of it)."""
    ctx = _folded_request_part(req)
    ctx.update(_folded_key_part(*_key_fields(req.key)))
    for k, v in req.extra_context.items():
        ctx[k.lower()] = (v,) if type(v) is str else context_values(v)
    return ctx


#: The case-folded names of the condition keys that depend on the key alone (:func:`_key_part`).
_KEY_PART_NAMES = frozenset(("kms:keyspec", "kms:keyusage", "kms:keyorigin", "kms:multiregion",
                             "kms:multiregionkeytype", "kms:resourcealiases"))


class LazyPolicyContext(Mapping[str, tuple[str, ...]]):
    """The context ``kms_conformance.kms.policy_request`` gives a request (the principal's derived
    keys, then :func:`policy_context`), computed only as far as conditions read it: most
    statements a request reaches have no condition, and those that have one read one or two keys.

    Without ``extra_context`` the three parts have disjoint names (the derived keys all begin with
    ``aws:``, the key's are :data:`_KEY_PART_NAMES`, the request's are the other ``kms:`` keys),
    so a read looks in the one part its name belongs to: the principal's and the key's parts are
    cached per principal and per key, and a request key is computed alone, by the getter that
    :func:`_request_part` builds it with (:data:`_REQUEST_KEYS`; ``kms:EncryptionContext:<key>``
    from the pairs). ``extra_context`` is applied last and may override any key: a read looks
    there first (its names case-folded once, on the first read; of names that fold alike, the
    last written wins, as in :func:`policy_context`). On iteration the whole mapping is built
    once, in :func:`policy_context`'s order."""

    __slots__ = ("_extra", "_full", "_req")

    def __init__(self, req: KmsRequest) -> None:
        self._req = req
        self._full: dict[str, tuple[str, ...]] | None = None
        self._extra: dict[str, tuple[str, ...]] | None = None

    def _whole(self) -> dict[str, tuple[str, ...]]:
        full = self._full
        if full is None:
            full = self._full = dict(derived_view(self._req.caller))
            full.update(policy_context(self._req))
        return full

    def get(self, key: str, default: Any = None) -> Any:  # the evaluator's only read
        full = self._full
        if full is not None:
            return full.get(key, default)
        req = self._req
        if req.extra_context:
            extra = self._extra
            if extra is None:
                extra = self._extra = {k.lower(): (v,) if type(v) is str else context_values(v)
                                       for k, v in req.extra_context.items()}
            found = extra.get(key, _ABSENT)
            if found is not _ABSENT:
                return found
        getter = _GETTERS.get(key)
        if getter is not None:
            value = getter(req)
            return default if value is None else (value,) if type(value) is str else context_values(value)
        if key[:4] == "aws:":
            return derived_view(req.caller).get(key, default)
        if key in _KEY_PART_NAMES:
            return _folded_key_part(*_key_fields(req.key)).get(key, default)
        if key[:22] == "kms:encryptioncontext:":
            found = default
            for k, v in _context_pairs(req).items():  # the last pair whose folded name is ``key``
                if f"kms:EncryptionContext:{k}".lower() == key:
                    found = (v,) if type(v) is str else context_values(v)
            return found
        return default

    def __getitem__(self, key: str) -> tuple[str, ...]:
        found = self.get(key, _ABSENT)
        if found is _ABSENT:
            raise KeyError(key)
        return found

    def __iter__(self) -> Iterator[str]:
        return iter(self._whole())

    def __len__(self) -> int:
        return len(self._whole())

    def __repr__(self) -> str:
        return f"LazyPolicyContext({self._whole()!r})"


_ABSENT = object()


def _folded_request_part(req: KmsRequest) -> dict[str, tuple[str, ...]]:
    """:func:`_request_part` with names case-folded and values as tuples, built directly: the same
    keys in the same order, from the same getters but for the first three and the encryption
    context, read inline (a test compares it with :func:`_request_part` folded)."""
    ctx: dict[str, tuple[str, ...]] = {}
    account = principal_account(req.caller)
    if account is not None:
        ctx["kms:calleraccount"] = (account,) if type(account) is str else context_values(account)
    via = req.via_service
    if via:
        ctx["kms:viaservice"] = (via,) if type(via) is str else context_values(via)
    operation = req.operation
    if operation in GRANT_RESOURCE_OPERATIONS:
        ctx["kms:grantisforawsresource"] = ("true",) if via else ("false",)
    if operation in ENCRYPTION_CONTEXT_OPERATIONS:
        pairs: Mapping[str, str] = req.encryption_context
    elif operation == "CreateGrant" and req.grant is not None:
        pairs = _context_pairs(req)
    else:
        return ctx  # no pairs, and the grant keys are CreateGrant's
    for k, v in pairs.items():
        ctx["kms:encryptioncontext:" + k.lower() if k.isascii() else f"kms:EncryptionContext:{k}".lower()] = \
            (v,) if type(v) is str else context_values(v)
    if pairs:
        keys = tuple(pairs)
        ctx["kms:encryptioncontextkeys"] = context_values(keys)
    if operation == "CreateGrant":
        for name, getter in _REQUEST_KEYS[4:]:
            value = getter(req)
            if value is not None:
                ctx[name.lower()] = (value,) if type(value) is str else context_values(value)
    return ctx


def _key_fields(key: Key) -> tuple[str, str, str, bool, tuple[str, ...]]:
    aliases = key.aliases
    return key.key_spec, key.key_usage, key.origin, key.multi_region, aliases if type(aliases) is tuple \
        else tuple(aliases)


def _request_part(req: KmsRequest) -> dict[str, str | tuple[str, ...]]:
    """The condition keys that depend on the request (not on the key alone): those of
    :data:`_REQUEST_KEYS` that have a value, with ``kms:EncryptionContext:<key>`` after the first three."""
    ctx: dict[str, str | tuple[str, ...]] = {}
    for i, (name, getter) in enumerate(_REQUEST_KEYS):
        if i == 3:
            for k, v in _context_pairs(req).items():
                ctx[f"kms:EncryptionContext:{k}"] = v
        value = getter(req)
        if value is not None:
            ctx[name] = value
    return ctx


def _caller_account(req: KmsRequest) -> str | None:
    """kms:CallerAccount: the caller's account (None for a service principal)."""
    return principal_account(req.caller)


def _via_service(req: KmsRequest) -> str | None:
    """kms:ViaService: only when a service calls on the principal's behalf."""
    return req.via_service or None


def _grant_is_for_resource(req: KmsRequest) -> str | None:
    """kms:GrantIsForAWSResource, on the operations it is evaluated for."""
    return _bool(bool(req.via_service)) if req.operation in GRANT_RESOURCE_OPERATIONS else None


def _context_pairs(req: KmsRequest) -> Mapping[str, str]:
    """The encryption context the kms:EncryptionContext keys describe: the request's, on operations
    that take one; for CreateGrant, the context of the grant's constraint."""
    if req.operation in ENCRYPTION_CONTEXT_OPERATIONS:
        return req.encryption_context
    if req.operation == "CreateGrant" and req.grant is not None:
        return dict(req.grant.encryption_context_equals or req.grant.encryption_context_subset or ())
    return {}


def _context_keys(req: KmsRequest) -> tuple[str, ...] | None:
    """kms:EncryptionContextKeys: the keys of the pairs, when there are any."""
    pairs = _context_pairs(req)
    return tuple(pairs) if pairs else None


def _created_grant(req: KmsRequest) -> Grant | None:
    return req.grant if req.operation == "CreateGrant" else None


def _grant_operations(req: KmsRequest) -> tuple[str, ...] | None:
    g = _created_grant(req)
    return None if g is None else g.operations


def _grantee_principal(req: KmsRequest) -> str | None:
    g = _created_grant(req)
    return None if g is None else g.grantee


def _retiring_principal(req: KmsRequest) -> str | None:
    g = _created_grant(req)
    return None if g is None else g.retiring_principal


def _grant_constraint_type(req: KmsRequest) -> str | None:
    g = _created_grant(req)
    if g is None:
        return None
    if g.encryption_context_equals is not None:
        return "EncryptionContextEquals"
    if g.encryption_context_subset is not None:
        return "EncryptionContextSubset"
    return None


#: The request's condition keys but ``kms:EncryptionContext:<key>``, in :func:`_request_part`'s
#: order, each with its getter (its value, or None when the request does not carry it).
_REQUEST_KEYS: tuple[tuple[str, Callable[[KmsRequest], str | tuple[str, ...] | None]], ...] = (
    ("kms:CallerAccount", _caller_account), ("kms:ViaService", _via_service),
    ("kms:GrantIsForAWSResource", _grant_is_for_resource), ("kms:EncryptionContextKeys", _context_keys),
    ("kms:GrantOperations", _grant_operations), ("kms:GranteePrincipal", _grantee_principal),
    ("kms:RetiringPrincipal", _retiring_principal), ("kms:GrantConstraintType", _grant_constraint_type))
#: :data:`_REQUEST_KEYS` by case-folded name.
_GETTERS = {name.lower(): getter for name, getter in _REQUEST_KEYS}


@lru_cache(maxsize=CACHE_SIZE)
def _key_part(key_spec: str, key_usage: str, origin: str, multi_region: bool,
              aliases: tuple[str, ...]) -> Mapping[str, str | tuple[str, ...]]:
    """The condition keys that depend on the key alone (the same for every request on it)."""
    ctx: dict[str, str | tuple[str, ...]] = {}
    ctx["kms:KeySpec"] = key_spec
    ctx["kms:KeyUsage"] = key_usage
    ctx["kms:KeyOrigin"] = origin
    ctx["kms:MultiRegion"] = _bool(multi_region)
    if multi_region:
        ctx["kms:MultiRegionKeyType"] = "PRIMARY"
    if aliases:
        ctx["kms:ResourceAliases"] = tuple(aliases)
    return ctx


@lru_cache(maxsize=CACHE_SIZE)
def _folded_key_part(key_spec: str, key_usage: str, origin: str, multi_region: bool,
                     aliases: tuple[str, ...]) -> Mapping[str, tuple[str, ...]]:
    """:func:`_key_part` as :func:`policy_context` gives it."""
    return {k.lower(): context_values(v)
            for k, v in _key_part(key_spec, key_usage, origin, multi_region, aliases).items()}
