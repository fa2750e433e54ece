"""The reference model's KMS grant operations: CreateGrant, ListGrants, ListRetirableGrants,
RetireGrant and RevokeGrant, in the AWS API (boto3) shape, registered in
:data:`kms_conformance.kms.operations.KMS_HANDLERS` beside the key, alias and cryptographic
operations. Sources: the AWS KMS API Reference page of each operation; "Grants in AWS KMS";
"Retiring and revoking grants".
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from kms_conformance.kms.authorize import identity_allows
from kms_conformance.kms.errors import AwsError, access_denied
from kms_conformance.kms.grants import Grant, parse_grant
from kms_conformance.kms.operations import api_date, authorize_on_key, check_state, kms_operation, str_param
from kms_conformance.kms.world import World

_GRANT_ID = re.compile(r"^[0-9a-f]{64}$")


@kms_operation("CreateGrant")
def _create_grant(world: World, caller: str, params: Mapping[str, Any], via: str | None) -> dict[str, Any]:
    """CreateGrant takes a key id or key ARN, not an alias ("CreateGrant", KeyId)."""
    key = world.resolve_key(str(str_param(params, "KeyId")), allow_alias=False)
    raw = {k: v for k, v in params.items() if k not in ("GrantTokens", "DryRun")}
    try:
        grant = parse_grant(raw, key_arn=key.arn, key_usage=key.key_usage)
    except ValueError as exc:
        raise AwsError("ValidationException", str(exc)) from None
    authorize_on_key(world, caller, "CreateGrant", key, via_service=via, grant=grant, dry_run=params.get("DryRun"))
    check_state(key, "CreateGrant")
    if grant.name is not None:  # same name and parameters: the same grant ("CreateGrant", Name)
        for old in world.grants_of(key):
            if replace(old, grant_id="", creation_date=0.0, issuing_account="") == \
                    replace(grant, grant_id="", creation_date=0.0, issuing_account=""):
                token = world.new_id("token")
                world.grant_tokens[token] = old.grant_id
                return {"GrantToken": token, "GrantId": old.grant_id}
    grant = replace(grant, grant_id=world.new_id("grant"), creation_date=world.now(),
                    issuing_account=f"arn:{world.partition}:iam::{world.account}:root")
    world.add_grant(grant)
    token = world.new_id("token")
    world.grant_tokens[token] = grant.grant_id
    return {"GrantToken": token, "GrantId": grant.grant_id}


def _grant_entry(grant: Grant) -> dict[str, Any]:
    entry = grant.to_api()
    entry["CreationDate"] = api_date(grant.creation_date)
    return entry


@kms_operation("ListGrants")
def _list_grants(world: World, caller: str, params: Mapping[str, Any], via: str | None) -> dict[str, Any]:
    key = world.resolve_key(str(str_param(params, "KeyId")), allow_alias=False)
    authorize_on_key(world, caller, "ListGrants", key, via_service=via)
    only_id, only_grantee = params.get("GrantId"), params.get("GranteePrincipal")
    grants = [g for g in sorted(world.grants_of(key), key=lambda g: g.creation_date)
              if (only_id is None or g.grant_id == only_id) and (only_grantee is None or g.grantee == only_grantee)]
    return {"Grants": [_grant_entry(g) for g in grants], "Truncated": False}


@kms_operation("ListRetirableGrants")
def _list_retirable_grants(world: World, caller: str, params: Mapping[str, Any], via: str | None) -> dict[str, Any]:
    """Authorized by the caller's IAM policy on the retiring principal ("ListRetirableGrants")."""
    who = str(str_param(params, "RetiringPrincipal"))
    if not identity_allows(world, caller, "kms:ListRetirableGrants", who):
        raise access_denied(caller, "kms:ListRetirableGrants", who)
    grants = sorted((g for g in world.grants.values() if g.retiring_principal == who), key=lambda g: g.creation_date)
    return {"Grants": [_grant_entry(g) for g in grants], "Truncated": False}


def _find_grant(world: World, params: Mapping[str, Any], *, token_ok: bool) -> Grant:
    token = params.get("GrantToken") if token_ok else None
    if token is not None:
        grant_id = world.grant_tokens.get(token) if isinstance(token, str) else None
        if grant_id is None or grant_id not in world.grants:
            raise AwsError("InvalidGrantTokenException", "The grant token is not valid.")
        return world.grants[grant_id]
    ref, grant_id = params.get("KeyId"), params.get("GrantId")
    if not ref or not grant_id:
        raise AwsError("ValidationException", "Give a GrantToken, or both KeyId and GrantId"
                       if token_ok else "KeyId and GrantId are required")
    key = world.resolve_key(str(ref), allow_alias=False)
    if not isinstance(grant_id, str) or not _GRANT_ID.match(grant_id):
        raise AwsError("InvalidGrantIdException", f"{grant_id!r} is not a valid grant id")
    grant = world.grants.get(grant_id)
    if grant is None or grant.key_arn != key.arn:
        raise AwsError("NotFoundException", f"Grant ID {grant_id} not found")
    return grant


def _forget(world: World, grant: Grant) -> None:
    world.remove_grant(grant.grant_id)
    for token in [t for t, g in world.grant_tokens.items() if g == grant.grant_id]:
        del world.grant_tokens[token]


@kms_operation("RetireGrant")
def _retire_grant(world: World, caller: str, params: Mapping[str, Any], via: str | None) -> dict[str, Any]:
    grant = _find_grant(world, params, token_ok=True)
    key = world.resolve_key(grant.key_arn, allow_alias=False)
    authorize_on_key(world, caller, "RetireGrant", key, via_service=via, grant=grant, dry_run=params.get("DryRun"))
    _forget(world, grant)
    return {}


@kms_operation("RevokeGrant")
def _revoke_grant(world: World, caller: str, params: Mapping[str, Any], via: str | None) -> dict[str, Any]:
    """Authorized by kms:RevokeGrant in the key policy (or IAM, when delegated); never by a grant."""
    key = world.resolve_key(str(str_param(params, "KeyId")), allow_alias=False)
    authorize_on_key(world, caller, "RevokeGrant", key, via_service=via, dry_run=params.get("DryRun"))
    _forget(world, _find_grant(world, params, token_ok=False))
    return {}
