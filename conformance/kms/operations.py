"""The reference model's KMS operations: parameters and responses in the AWS API
(boto3) shape, errors named as AWS names them, every call authorized as
:mod:`kms_conformance.kms.authorize` says. Sources: the AWS KMS API Reference page of each
operation; "Key states of AWS KMS keys" (which state fails which operation, and how);
"Key policies in AWS KMS" (the policy lockout safety check of CreateKey and PutKeyPolicy);
"Controlling access to aliases".

:func:`model_handlers` is the table of these operations the model target dispatches on (joined with
the service models' in :mod:`kms_conformance.models`; IAM and STS are :mod:`kms_conformance.models.iam`).
The grant operations (CreateGrant, ListGrants, ListRetirableGrants, RetireGrant, RevokeGrant) are
:mod:`kms_conformance.kms.grant_operations`, in the same registry (:data:`KMS_HANDLERS`): the package
``kms_conformance.kms`` imports both modules, so the table is whole whichever one a caller names.
"""

from __future__ import annotations

import base64
import json
import os
import re
from collections.abc import Callable, Mapping
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

from kms_conformance.arns import AWS_MANAGED_ALIAS_PREFIX
from kms_conformance.errors import UnsupportedOperation
from kms_conformance.kms.authorize import authorize, identity_allows
from kms_conformance.kms.context import KmsRequest, principal_account
from kms_conformance.kms.errors import AwsError, access_denied
from kms_conformance.kms.grants import Grant
from kms_conformance.kms.keys import (
    DEFAULT_KEY_USAGE,
    Key,
    algorithms,
    check_key_spec,
    default_key_policy,
    state_error,
)
from kms_conformance.kms.world import World
from kms_conformance.policy import Policy, PolicyError, parse_policy, principal_element_problem

KmsHandler = Callable[[World, str, Mapping[str, Any], "str | None"], dict[str, Any]]
KMS_HANDLERS: dict[str, KmsHandler] = {}

_CIPHERTEXT_MAGIC = b"\x01KMSC"
_ALIAS_NAME = re.compile(r"^alias/[a-zA-Z0-9/_-]{1,250}$")


def kms_operation(name: str) -> Callable[[KmsHandler], KmsHandler]:
    def register(handler: KmsHandler) -> KmsHandler:
        KMS_HANDLERS[name] = handler
        return handler
    return register


def kms_call(world: World, caller: str, operation: str, params: Mapping[str, Any], *,
             via_service: str | None = None) -> dict[str, Any]:
    """One KMS operation as ``caller`` (a role, session, account or service principal), optionally
    sent by an AWS service on the caller's behalf (``via_service``: ``forecast.us-east-1.amazonaws.com``,
    which sets kms:ViaService). Raises :class:`AwsError`; an operation the model lacks raises
    ``UnsupportedOperation``."""
    handler = KMS_HANDLERS.get(operation)
    if handler is None:
        raise UnsupportedOperation("kms", operation, "not in the reference model")
    return handler(world, caller, params, via_service)


# --- helpers -----------------------------------------------------------------------------------


def api_date(ts: float | None) -> datetime | None:
    """A stored timestamp as the datetime boto3 returns for a date member."""
    return None if ts is None else datetime.fromtimestamp(ts, UTC)


def str_param(params: Mapping[str, Any], name: str, *, required: bool = True) -> str | None:
    """A non-empty string parameter; None when absent and not required; else ValidationException."""
    value = params.get(name)
    if value is None:
        if required:
            raise AwsError("ValidationException", f"1 validation error detected: {name} must not be null")
        return None
    if not isinstance(value, str) or not value:
        raise AwsError("ValidationException", f"{name} must be a non-empty string")
    return value


def _context_param(params: Mapping[str, Any], name: str = "EncryptionContext") -> dict[str, str]:
    ctx = params.get(name) or {}
    if not isinstance(ctx, Mapping) or not all(isinstance(k, str) and isinstance(v, str) for k, v in ctx.items()):
        raise AwsError("ValidationException", f"{name} must map strings to strings")
    return dict(ctx)


def _bytes(value: Any, name: str) -> bytes:
    if isinstance(value, str):
        value = value.encode()
    if not isinstance(value, (bytes, bytearray)):
        raise AwsError("ValidationException", f"{name} must be bytes")
    return bytes(value)


def authorize_on_key(world: World, caller: str, operation: str, key: Key, *, via_service: str | None,
                     context: Mapping[str, str] | None = None, grant: Grant | None = None,
                     extra: Mapping[str, str | tuple[str, ...]] | None = None, dry_run: Any = False) -> None:
    """Authorize ``operation`` on ``key`` as :func:`kms_conformance.kms.authorize.authorize` decides it
    (key policy, the caller's identity policies, the key's grants): AccessDeniedException when
    refused, DryRunOperationException when allowed and ``dry_run`` is set."""
    req = KmsRequest(operation=operation, caller=caller, key=key, encryption_context=context or {},
                     via_service=via_service, grant=grant, extra_context=extra or {})
    decision = authorize(req, identity_policies=world.identity_policies(caller), grants=world.grants_of(key))
    if not decision.allowed:
        raise access_denied(caller, req.action, key.arn, decision.reason)
    if dry_run:
        raise AwsError("DryRunOperationException", "The request would have succeeded, but the DryRun flag is set.")


def check_state(key: Key, operation: str) -> None:
    """Raise the error the key's state makes ``operation`` fail with, if any
    (:func:`kms_conformance.kms.keys.state_error`, "Key states of AWS KMS keys")."""
    error = state_error(key, operation)
    if error is not None:
        raise error


def _alias_extra(world: World, key_ref: str) -> dict[str, str | tuple[str, ...]]:
    """kms:RequestAlias when the request names the key by an alias ("kms:RequestAlias")."""
    if key_ref.startswith("alias/"):
        return {"kms:RequestAlias": key_ref}
    if key_ref.startswith("arn:") and ":alias/" in key_ref:
        return {"kms:RequestAlias": key_ref.split(":", 5)[5]}
    return {}


def _parse_key_policy(world: World, text: Any) -> tuple[Policy, str]:
    if isinstance(text, Mapping):
        text = json.dumps(text)
    if not isinstance(text, str) or not text.strip():
        raise AwsError("MalformedPolicyDocumentException", "The key policy must be a JSON document.")
    try:
        policy = parse_policy(text, origin="key policy")
    except PolicyError as exc:
        raise AwsError("MalformedPolicyDocumentException", f"{exc.path}: {exc.message}") from None
    problem = principal_element_problem(policy, resource_based=True)
    if problem is not None:
        raise AwsError("MalformedPolicyDocumentException",
                       f"{problem[0]}: a key policy statement must have a Principal")
    return policy, text


def _lockout_check(world: World, caller: str, key: Key) -> None:
    """The policy lockout safety check ("Key policies in AWS KMS"; CreateKey and PutKeyPolicy,
    BypassPolicyLockoutSafetyCheck): the new policy must let the caller make a later
    PutKeyPolicy request on the key."""
    req = KmsRequest(operation="PutKeyPolicy", caller=caller, key=key)
    if not authorize(req, identity_policies=world.identity_policies(caller)).allowed:
        raise AwsError("MalformedPolicyDocumentException",
                       "The new key policy will not allow you to update the key policy in the future.")


def key_metadata(key: Key) -> dict[str, Any]:
    """DescribeKey's KeyMetadata."""
    meta: dict[str, Any] = {
        "AWSAccountId": key.account, "KeyId": key.key_id, "Arn": key.arn,
        "CreationDate": api_date(key.creation_date), "Enabled": key.state == "Enabled",
        "Description": key.description, "KeyUsage": key.key_usage, "KeyState": key.state,
        "Origin": key.origin, "KeyManager": "CUSTOMER", "CustomerMasterKeySpec": key.key_spec,
        "KeySpec": key.key_spec, "MultiRegion": key.multi_region, **algorithms(key),
    }
    if key.multi_region:
        meta["MultiRegionConfiguration"] = {
            "MultiRegionKeyType": "PRIMARY",
            "PrimaryKey": {"Arn": key.arn, "Region": key.region}, "ReplicaKeys": []}
    if key.deletion_date is not None:
        meta["DeletionDate"] = api_date(key.deletion_date)
        meta["PendingDeletionWindowInDays"] = key.pending_window_days
    return meta


def _tags(raw: Any) -> tuple[tuple[str, str], ...]:
    if raw is None:
        return ()
    if not isinstance(raw, list):
        raise AwsError("ValidationException", "Tags must be a list of {TagKey, TagValue}")
    out = []
    for t in raw:
        if not isinstance(t, Mapping) or not isinstance(t.get("TagKey"), str) or not isinstance(t.get("TagValue"), str):
            raise AwsError("TagException", "each tag needs a TagKey and a TagValue string")
        out.append((t["TagKey"], t["TagValue"]))
    return tuple(out)


# --- keys ----------------------------------------------------------------------------------------


@kms_operation("CreateKey")
def _create_key(world: World, caller: str, params: Mapping[str, Any], via: str | None) -> dict[str, Any]:
    spec = params.get("KeySpec") or params.get("CustomerMasterKeySpec") or "SYMMETRIC_DEFAULT"
    usage = params.get("KeyUsage") or DEFAULT_KEY_USAGE
    check_key_spec(spec, usage)
    origin = params.get("Origin") or "AWS_KMS"
    if origin not in ("AWS_KMS", "EXTERNAL"):
        raise UnsupportedOperation("kms", "CreateKey", f"Origin {origin} (custom key stores) is not modelled")
    multi = bool(params.get("MultiRegion", False))
    ctx = {"kms:KeySpec": spec, "kms:KeyUsage": usage, "kms:KeyOrigin": origin,
           "kms:MultiRegion": "true" if multi else "false"}
    account = principal_account(caller)
    if account:
        ctx["kms:CallerAccount"] = account
    if via:
        ctx["kms:ViaService"] = via
    if not identity_allows(world, caller, "kms:CreateKey", "*", ctx):
        raise access_denied(caller, "kms:CreateKey", "*")
    raw_policy = params.get("Policy")
    policy, text = _parse_key_policy(
        world, raw_policy if raw_policy is not None else json.dumps(default_key_policy(world.account, world.partition)))
    key_id = world.new_id("mrk" if multi else "key")
    key = Key(arn=world.key_arn(key_id), key_id=key_id, account=world.account, region=world.region,
              key_spec=spec, key_usage=usage, origin=origin, multi_region=multi,
              state="PendingImport" if origin == "EXTERNAL" else "Enabled", policy=policy, policy_text=text,
              description=str(params.get("Description") or ""), tags=_tags(params.get("Tags")),
              creation_date=world.now())
    if raw_policy is not None and not params.get("BypassPolicyLockoutSafetyCheck"):
        _lockout_check(world, caller, key)
    world.keys[key_id] = key
    return {"KeyMetadata": key_metadata(key)}


@kms_operation("DescribeKey")
def _describe_key(world: World, caller: str, params: Mapping[str, Any], via: str | None) -> dict[str, Any]:
    ref = str_param(params, "KeyId")
    assert ref is not None
    key = world.resolve_key(ref)
    authorize_on_key(world, caller, "DescribeKey", key, via_service=via, extra=_alias_extra(world, ref))
    return {"KeyMetadata": key_metadata(key)}


@kms_operation("GetKeyPolicy")
def _get_key_policy(world: World, caller: str, params: Mapping[str, Any], via: str | None) -> dict[str, Any]:
    key = world.resolve_key(str(str_param(params, "KeyId")), allow_alias=False)
    name = params.get("PolicyName", "default")
    authorize_on_key(world, caller, "GetKeyPolicy", key, via_service=via)
    if name != "default":
        raise AwsError("NotFoundException", f"No such policy: {name}")
    return {"Policy": key.policy_text, "PolicyName": "default"}


@kms_operation("ListKeyPolicies")
def _list_key_policies(world: World, caller: str, params: Mapping[str, Any], via: str | None) -> dict[str, Any]:
    """Always ``["default"]``: a key has exactly one key policy ("ListKeyPolicies")."""
    key = world.resolve_key(str(str_param(params, "KeyId")), allow_alias=False)
    authorize_on_key(world, caller, "ListKeyPolicies", key, via_service=via)
    return {"PolicyNames": ["default"], "Truncated": False}


@kms_operation("ListKeys")
def _list_keys(world: World, caller: str, params: Mapping[str, Any], via: str | None) -> dict[str, Any]:
    """Authorized by the caller's IAM policy only (resource ``*``), "ListKeys"."""
    if not identity_allows(world, caller, "kms:ListKeys", "*"):
        raise access_denied(caller, "kms:ListKeys", "*")
    return {"Keys": [{"KeyId": k.key_id, "KeyArn": k.arn} for k in world.keys.values()], "Truncated": False}


@kms_operation("UpdateKeyDescription")
def _update_key_description(world: World, caller: str, params: Mapping[str, Any], via: str | None) -> dict[str, Any]:
    text = params.get("Description")
    if not isinstance(text, str):
        raise AwsError("ValidationException", "Description must be a string")
    _set_state(world, caller, params, via, "UpdateKeyDescription", lambda k: replace(k, description=text))
    return {}


@kms_operation("PutKeyPolicy")
def _put_key_policy(world: World, caller: str, params: Mapping[str, Any], via: str | None) -> dict[str, Any]:
    key = world.resolve_key(str(str_param(params, "KeyId")), allow_alias=False)
    name = params.get("PolicyName", "default")
    authorize_on_key(world, caller, "PutKeyPolicy", key, via_service=via)
    if name != "default":
        raise AwsError("ValidationException", "PolicyName must be 'default'")
    policy, text = _parse_key_policy(world, params.get("Policy"))
    new = replace(key, policy=policy, policy_text=text)
    if not params.get("BypassPolicyLockoutSafetyCheck"):
        _lockout_check(world, caller, new)
    world.keys[key.key_id] = new
    return {}


def _set_state(world: World, caller: str, params: Mapping[str, Any], via: str | None, operation: str,
               change: Callable[[Key], Key]) -> Key:
    """Authorize ``operation`` on the request's key, check the key's state allows it, store ``change(key)``."""
    key = world.resolve_key(str(str_param(params, "KeyId")), allow_alias=False)
    authorize_on_key(world, caller, operation, key, via_service=via)
    check_state(key, operation)
    new = change(key)
    world.keys[key.key_id] = new
    return new


@kms_operation("DisableKey")
def _disable_key(world: World, caller: str, params: Mapping[str, Any], via: str | None) -> dict[str, Any]:
    _set_state(world, caller, params, via, "DisableKey", lambda k: replace(k, state="Disabled"))
    return {}


@kms_operation("EnableKey")
def _enable_key(world: World, caller: str, params: Mapping[str, Any], via: str | None) -> dict[str, Any]:
    _set_state(world, caller, params, via, "EnableKey", lambda k: replace(k, state="Enabled"))
    return {}


@kms_operation("ScheduleKeyDeletion")
def _schedule_key_deletion(world: World, caller: str, params: Mapping[str, Any], via: str | None) -> dict[str, Any]:
    days = params.get("PendingWindowInDays", 30)
    if not isinstance(days, int) or isinstance(days, bool) or not 7 <= days <= 30:
        raise AwsError("ValidationException", "PendingWindowInDays must be between 7 and 30")
    now = world.now()
    key = _set_state(world, caller, params, via, "ScheduleKeyDeletion",
                     lambda k: replace(k, state="PendingDeletion", deletion_date=now + days * 86400,
                                       pending_window_days=days))
    return {"KeyId": key.arn, "DeletionDate": api_date(key.deletion_date), "KeyState": "PendingDeletion",
            "PendingWindowInDays": days}


@kms_operation("CancelKeyDeletion")
def _cancel_key_deletion(world: World, caller: str, params: Mapping[str, Any], via: str | None) -> dict[str, Any]:
    key = _set_state(world, caller, params, via, "CancelKeyDeletion",
                     lambda k: replace(k, state="Disabled", deletion_date=None, pending_window_days=None))
    return {"KeyId": key.arn}


@kms_operation("TagResource")
def _tag_resource(world: World, caller: str, params: Mapping[str, Any], via: str | None) -> dict[str, Any]:
    tags = _tags(params.get("Tags"))

    def change(k: Key) -> Key:
        merged = dict(k.tags)
        merged.update(dict(tags))
        return replace(k, tags=tuple(merged.items()))
    _set_state(world, caller, params, via, "TagResource", change)
    return {}


@kms_operation("UntagResource")
def _untag_resource(world: World, caller: str, params: Mapping[str, Any], via: str | None) -> dict[str, Any]:
    drop = set(params.get("TagKeys") or ())
    _set_state(world, caller, params, via, "UntagResource",
               lambda k: replace(k, tags=tuple((a, b) for a, b in k.tags if a not in drop)))
    return {}


@kms_operation("ListResourceTags")
def _list_resource_tags(world: World, caller: str, params: Mapping[str, Any], via: str | None) -> dict[str, Any]:
    key = world.resolve_key(str(str_param(params, "KeyId")), allow_alias=False)
    authorize_on_key(world, caller, "ListResourceTags", key, via_service=via)
    return {"Tags": [{"TagKey": k, "TagValue": v} for k, v in key.tags], "Truncated": False}


# --- aliases -------------------------------------------------------------------------------------


#: Alias names under this prefix belong to AWS managed keys (CreateAlias API Reference, AliasName:
#: an alias name cannot begin with ``alias/aws/``, reserved for AWS managed keys; "Aliases in AWS
#: KMS"). CreateAlias, UpdateAlias and DeleteAlias on them fail whatever the policies say. The API
#: Reference names no exception for this case; the model answers NotAuthorizedException, as moto
#: does (not confirmed against AWS itself).
RESERVED_ALIAS_PREFIX = AWS_MANAGED_ALIAS_PREFIX


def _refuse_reserved(name: str, operation: str) -> None:
    if name.startswith(RESERVED_ALIAS_PREFIX):
        raise AwsError("NotAuthorizedException",
                       f"{operation} cannot change {name}: {RESERVED_ALIAS_PREFIX} is reserved for AWS managed keys")


def _alias_name(params: Mapping[str, Any], operation: str = "CreateAlias") -> str:
    name = str_param(params, "AliasName")
    assert name is not None
    if not _ALIAS_NAME.match(name):
        raise AwsError("InvalidAliasNameException",
                       f"{name} must begin with alias/ followed by letters, digits, /, _ or -")
    _refuse_reserved(name, operation)
    return name


def _alias_arn(world: World, name: str) -> str:
    return f"arn:{world.partition}:kms:{world.region}:{world.account}:{name}"


@kms_operation("CreateAlias")
def _create_alias(world: World, caller: str, params: Mapping[str, Any], via: str | None) -> dict[str, Any]:
    """Needs kms:CreateAlias on the alias (IAM policy) and on the key (key policy), "Controlling
    access to aliases"."""
    name = _alias_name(params)
    key = world.resolve_key(str(str_param(params, "TargetKeyId")), allow_alias=False)
    if not identity_allows(world, caller, "kms:CreateAlias", _alias_arn(world, name)):
        raise access_denied(caller, "kms:CreateAlias", _alias_arn(world, name))
    authorize_on_key(world, caller, "CreateAlias", key, via_service=via)
    check_state(key, "CreateAlias")
    if name in world.aliases:
        raise AwsError("AlreadyExistsException", f"An alias with the name {_alias_arn(world, name)} already exists")
    world.aliases[name] = key.key_id
    world.keys[key.key_id] = replace(key, aliases=(*key.aliases, name))
    return {}


@kms_operation("DeleteAlias")
def _delete_alias(world: World, caller: str, params: Mapping[str, Any], via: str | None) -> dict[str, Any]:
    name = str_param(params, "AliasName")
    assert name is not None
    _refuse_reserved(name, "DeleteAlias")
    key_id = world.aliases.get(name)
    if key_id is None:
        raise AwsError("NotFoundException", f"Alias {_alias_arn(world, name)} is not found.")
    key = world.keys[key_id]
    if not identity_allows(world, caller, "kms:DeleteAlias", _alias_arn(world, name)):
        raise access_denied(caller, "kms:DeleteAlias", _alias_arn(world, name))
    authorize_on_key(world, caller, "DeleteAlias", key, via_service=via)
    del world.aliases[name]
    world.keys[key_id] = replace(key, aliases=tuple(a for a in key.aliases if a != name))
    return {}


def _key_type(key: Key) -> str:
    spec = key.key_spec
    return "SYMMETRIC" if spec == "SYMMETRIC_DEFAULT" else "HMAC" if spec.startswith("HMAC") else "ASYMMETRIC"


@kms_operation("UpdateAlias")
def _update_alias(world: World, caller: str, params: Mapping[str, Any], via: str | None) -> dict[str, Any]:
    """Points an existing alias at another key of the same type and key usage (UpdateAlias API
    Reference). Needs kms:UpdateAlias on the alias (IAM policy), on the current key and on the new
    key (key policies), "Controlling access to aliases". The API Reference names no error for a
    key of another type or usage; the model answers ValidationException."""
    name = _alias_name(params, "UpdateAlias")
    current_id = world.aliases.get(name)
    if current_id is None:
        raise AwsError("NotFoundException", f"Alias {_alias_arn(world, name)} is not found.")
    current = world.keys[current_id]
    new = world.resolve_key(str(str_param(params, "TargetKeyId")), allow_alias=False)
    if not identity_allows(world, caller, "kms:UpdateAlias", _alias_arn(world, name)):
        raise access_denied(caller, "kms:UpdateAlias", _alias_arn(world, name))
    authorize_on_key(world, caller, "UpdateAlias", current, via_service=via)
    authorize_on_key(world, caller, "UpdateAlias", new, via_service=via)
    check_state(new, "UpdateAlias")
    if (_key_type(new), new.key_usage) != (_key_type(current), current.key_usage):
        raise AwsError("ValidationException", f"{new.arn} is not the same type and key usage as {current.arn}, "
                                              f"the current key of {name}")
    if new.key_id != current_id:
        world.keys[current_id] = replace(current, aliases=tuple(a for a in current.aliases if a != name))
        new = world.keys[new.key_id]
        world.keys[new.key_id] = replace(new, aliases=(*new.aliases, name))
        world.aliases[name] = new.key_id
    return {}


@kms_operation("ListAliases")
def _list_aliases(world: World, caller: str, params: Mapping[str, Any], via: str | None) -> dict[str, Any]:
    if not identity_allows(world, caller, "kms:ListAliases", "*"):
        raise access_denied(caller, "kms:ListAliases", "*")
    only = params.get("KeyId")
    key_id = world.resolve_key(only, allow_alias=False).key_id if only else None
    return {"Aliases": [{"AliasName": n, "AliasArn": _alias_arn(world, n), "TargetKeyId": k}
                        for n, k in sorted(world.aliases.items()) if key_id is None or k == key_id],
            "Truncated": False}


# --- cryptography ----------------------------------------------------------------------------------


def _seal(key: Key, context: Mapping[str, str], plaintext: bytes) -> bytes:
    """An opaque ciphertext blob binding the key and the encryption context to the plaintext."""
    body = {"k": key.arn, "c": dict(sorted(context.items())), "p": base64.b64encode(plaintext).decode(),
            "n": base64.b64encode(os.urandom(12)).decode()}
    return _CIPHERTEXT_MAGIC + base64.b64encode(json.dumps(body).encode())


def _open(blob: Any) -> tuple[str, dict[str, str], bytes]:
    data = _bytes(blob, "CiphertextBlob")
    try:
        if not data.startswith(_CIPHERTEXT_MAGIC):
            raise ValueError
        body = json.loads(base64.b64decode(data[len(_CIPHERTEXT_MAGIC):], validate=True))
        return str(body["k"]), dict(body["c"]), base64.b64decode(body["p"])
    except (ValueError, KeyError, TypeError):
        raise AwsError("InvalidCiphertextException", "The ciphertext is not valid.") from None


def _symmetric(key: Key, operation: str) -> None:
    if key.key_usage != "ENCRYPT_DECRYPT":
        raise AwsError("InvalidKeyUsageException", f"{key.arn} key usage is {key.key_usage} which is not valid "
                                                   f"for {operation}.")
    if not key.symmetric:
        raise UnsupportedOperation("kms", operation, "asymmetric encryption is not modelled")


@kms_operation("Encrypt")
def _encrypt(world: World, caller: str, params: Mapping[str, Any], via: str | None) -> dict[str, Any]:
    ref = str(str_param(params, "KeyId"))
    key = world.resolve_key(ref)
    plaintext = _bytes(params.get("Plaintext"), "Plaintext")
    if not 1 <= len(plaintext) <= 4096:
        raise AwsError("ValidationException", "Plaintext must be 1 to 4096 bytes")
    ctx = _context_param(params)
    authorize_on_key(world, caller, "Encrypt", key, via_service=via, context=ctx, extra=_alias_extra(world, ref),
           dry_run=params.get("DryRun"))
    check_state(key, "Encrypt")
    _symmetric(key, "Encrypt")
    return {"CiphertextBlob": _seal(key, ctx, plaintext), "KeyId": key.arn, "EncryptionAlgorithm": "SYMMETRIC_DEFAULT"}


def _data_key_size(params: Mapping[str, Any]) -> int:
    n, spec = params.get("NumberOfBytes"), params.get("KeySpec")
    if (n is None) == (spec is None):
        raise AwsError("ValidationException", "Specify either KeySpec or NumberOfBytes, not both and not neither")
    if spec is not None:
        if spec not in ("AES_128", "AES_256"):
            raise AwsError("ValidationException", f"KeySpec {spec!r} must be AES_128 or AES_256")
        return 16 if spec == "AES_128" else 32
    if not isinstance(n, int) or isinstance(n, bool) or not 1 <= n <= 1024:
        raise AwsError("ValidationException", "NumberOfBytes must be between 1 and 1024")
    return n


def _generate(world: World, caller: str, params: Mapping[str, Any], via: str | None, operation: str) -> dict[str, Any]:
    ref = str(str_param(params, "KeyId"))
    key = world.resolve_key(ref)
    size = _data_key_size(params)
    ctx = _context_param(params)
    authorize_on_key(world, caller, operation, key, via_service=via, context=ctx, extra=_alias_extra(world, ref),
           dry_run=params.get("DryRun"))
    check_state(key, operation)
    _symmetric(key, operation)
    plaintext = os.urandom(size)
    out: dict[str, Any] = {"CiphertextBlob": _seal(key, ctx, plaintext), "KeyId": key.arn}
    if operation == "GenerateDataKey":
        out["Plaintext"] = plaintext
    return out


@kms_operation("GenerateDataKey")
def _generate_data_key(world: World, caller: str, params: Mapping[str, Any], via: str | None) -> dict[str, Any]:
    return _generate(world, caller, params, via, "GenerateDataKey")


@kms_operation("GenerateDataKeyWithoutPlaintext")
def _generate_data_key_wp(world: World, caller: str, params: Mapping[str, Any], via: str | None) -> dict[str, Any]:
    return _generate(world, caller, params, via, "GenerateDataKeyWithoutPlaintext")


def _open_for(world: World, params: Mapping[str, Any], blob_name: str, key_param: str,
              ctx_name: str) -> tuple[Key, dict[str, str], bytes, dict[str, str], str | None]:
    """The key, request context and plaintext of a ciphertext, checking KeyId ("Decrypt": a
    KeyId that is not the ciphertext's key is IncorrectKeyException)."""
    arn, sealed_ctx, plaintext = _open(params.get(blob_name))
    ctx = _context_param(params, ctx_name)
    ref = params.get(key_param)
    key = world.keys.get(arn.rsplit("/", 1)[1])
    if key is None or key.arn != arn:
        raise AwsError("InvalidCiphertextException", "The ciphertext refers to a key that does not exist.")
    if ref is not None and world.resolve_key(str(ref)).arn != key.arn:
        raise AwsError("IncorrectKeyException", "The key ID in the request does not identify the key that "
                                                "encrypted the ciphertext.")
    return key, ctx, plaintext, sealed_ctx, ref if isinstance(ref, str) else None


@kms_operation("Decrypt")
def _decrypt(world: World, caller: str, params: Mapping[str, Any], via: str | None) -> dict[str, Any]:
    """The encryption context must be an exact, case-sensitive match of the one used to encrypt
    ("Encryption context"); a mismatch is InvalidCiphertextException."""
    key, ctx, plaintext, sealed_ctx, ref = _open_for(world, params, "CiphertextBlob", "KeyId", "EncryptionContext")
    authorize_on_key(world, caller, "Decrypt", key, via_service=via, context=ctx,
           extra=_alias_extra(world, ref) if ref else None, dry_run=params.get("DryRun"))
    check_state(key, "Decrypt")
    if ctx != sealed_ctx:
        raise AwsError("InvalidCiphertextException", "The encryption context does not match.")
    return {"KeyId": key.arn, "Plaintext": plaintext, "EncryptionAlgorithm": "SYMMETRIC_DEFAULT"}


@kms_operation("ReEncrypt")
def _re_encrypt(world: World, caller: str, params: Mapping[str, Any], via: str | None) -> dict[str, Any]:
    """kms:ReEncryptFrom on the source key and kms:ReEncryptTo on the destination key."""
    source, ctx, plaintext, sealed_ctx, ref = _open_for(world, params, "CiphertextBlob", "SourceKeyId",
                                                        "SourceEncryptionContext")
    dest_ref = str(str_param(params, "DestinationKeyId"))
    dest = world.resolve_key(dest_ref)
    dest_ctx = _context_param(params, "DestinationEncryptionContext")
    authorize_on_key(world, caller, "ReEncryptFrom", source, via_service=via, context=ctx,
           extra=_alias_extra(world, ref) if ref else None)
    authorize_on_key(world, caller, "ReEncryptTo", dest, via_service=via, context=dest_ctx,
           extra=_alias_extra(world, dest_ref), dry_run=params.get("DryRun"))
    check_state(source, "ReEncryptFrom")
    check_state(dest, "ReEncryptTo")
    _symmetric(dest, "ReEncrypt")
    if ctx != sealed_ctx:
        raise AwsError("InvalidCiphertextException", "The encryption context does not match.")
    return {"CiphertextBlob": _seal(dest, dest_ctx, plaintext), "SourceKeyId": source.arn, "KeyId": dest.arn,
            "SourceEncryptionAlgorithm": "SYMMETRIC_DEFAULT", "DestinationEncryptionAlgorithm": "SYMMETRIC_DEFAULT"}


# --- registration --------------------------------------------------------------------------------


def _kms_handler(operation: str) -> Callable[[Any, str, Mapping[str, Any]], Mapping[str, Any]]:
    def handler(world: Any, caller: str, params: Mapping[str, Any]) -> Mapping[str, Any]:
        return kms_call(world, caller, operation, params)
    handler.__name__ = f"kms_{operation}"
    return handler


def model_handlers() -> dict[tuple[str, str], Callable[[Any, str, Mapping[str, Any]], Mapping[str, Any]]]:
    """The KMS handlers by ``(boto3 service, operation)``."""
    table: dict[tuple[str, str], Callable[[Any, str, Mapping[str, Any]], Mapping[str, Any]]] = {}
    for op in KMS_HANDLERS:
        table[("kms", op)] = _kms_handler(op)
    return table
