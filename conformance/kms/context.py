"""One KMS request and the KMS condition keys it carries (AWS KMS Developer Guide, "AWS KMS
condition keys"; "kms:ViaService"; "kms:GrantIsForAWSResource"; "kms:EncryptionContext:context-key").

The global keys (aws:PrincipalArn, aws:PrincipalAccount, ...) are derived by
``kms_conformance.policy.make_request`` from the principal; this module adds what only KMS knows.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import lru_cache

from kms_conformance.kms.grants import ENCRYPTION_CONTEXT_OPERATIONS, Grant
from kms_conformance.kms.keys import Key
from kms_conformance.policy import principal_account as _principal_account
from kms_conformance.policy.match import CACHE_SIZE
from kms_conformance.policy.request import context_values

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
    ctx = {k.lower(): (v,) if type(v) is str else context_values(v) for k, v in _request_part(req).items()}
    ctx.update(_folded_key_part(*_key_fields(req.key)))
    for k, v in req.extra_context.items():
        ctx[k.lower()] = context_values(v)
    return ctx


def _key_fields(key: Key) -> tuple[str, str, str, bool, tuple[str, ...]]:
    aliases = key.aliases
    return key.key_spec, key.key_usage, key.origin, key.multi_region, aliases if type(aliases) is tuple \
        else tuple(aliases)


def _request_part(req: KmsRequest) -> dict[str, str | tuple[str, ...]]:
    """The condition keys that depend on the request (not on the key alone)."""
    ctx: dict[str, str | tuple[str, ...]] = {}
    account = principal_account(req.caller)
    if account is not None:
        ctx["kms:CallerAccount"] = account
    if req.via_service:
        ctx["kms:ViaService"] = req.via_service
    if req.operation in GRANT_RESOURCE_OPERATIONS:
        ctx["kms:GrantIsForAWSResource"] = _bool(bool(req.via_service))
    pairs: Mapping[str, str] = {}
    if req.operation in ENCRYPTION_CONTEXT_OPERATIONS:
        pairs = req.encryption_context
    elif req.operation == "CreateGrant" and req.grant is not None:
        pairs = dict(req.grant.encryption_context_equals or req.grant.encryption_context_subset or ())
    for k, v in pairs.items():
        ctx[f"kms:EncryptionContext:{k}"] = v
    if pairs:
        ctx["kms:EncryptionContextKeys"] = tuple(pairs)
    if req.operation == "CreateGrant" and req.grant is not None:
        g = req.grant
        ctx["kms:GrantOperations"] = g.operations
        ctx["kms:GranteePrincipal"] = g.grantee
        if g.retiring_principal is not None:
            ctx["kms:RetiringPrincipal"] = g.retiring_principal
        if g.encryption_context_equals is not None:
            ctx["kms:GrantConstraintType"] = "EncryptionContextEquals"
        elif g.encryption_context_subset is not None:
            ctx["kms:GrantConstraintType"] = "EncryptionContextSubset"
    return ctx


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
