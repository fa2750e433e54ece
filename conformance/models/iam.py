"""IAM (roles and their inline policies) and STS GetCallerIdentity in the reference model.

Parameters and responses are in the AWS API (boto3) shape, errors named as IAM and STS name them.
Sources: the IAM API Reference pages of CreateRole, GetRole, ListRoles, PutRolePolicy,
GetRolePolicy, ListRolePolicies, DeleteRolePolicy and DeleteRole, and the STS API Reference page of
GetCallerIdentity. Roles live in ``World.roles`` (:mod:`kms_conformance.kms.world`), where KMS
authorization reads their inline policies; every IAM call is authorized by the caller's identity
policies ("Policy evaluation logic", :func:`kms_conformance.kms.authorize.identity_allows`).
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any
from urllib.parse import unquote

from kms_conformance.arns import role_arn
from kms_conformance.errors import UnsupportedOperation
from kms_conformance.kms.authorize import identity_allows
from kms_conformance.kms.context import principal_account
from kms_conformance.kms.errors import AwsError
from kms_conformance.kms.world import Role, World
from kms_conformance.models.registry import Operations
from kms_conformance.policy import Policy, PolicyError, parse_policy, principal_element_problem

#: The reference model's IAM and STS operations.
OPERATIONS = Operations()

_ROLE_NAME = re.compile(r"^[\w+=,.@-]{1,64}$")
_POLICY_NAME = re.compile(r"^[\w+=,.@-]{1,128}$")


def iam_call(world: World, caller: str, operation: str, params: Mapping[str, Any]) -> Mapping[str, Any]:
    """One IAM operation (roles and their inline policies) as ``caller``. Raises :class:`AwsError`;
    an operation the model lacks raises ``UnsupportedOperation``."""
    handler = OPERATIONS.handlers.get(("iam", operation))
    if handler is None:
        raise UnsupportedOperation("iam", operation, "not in the reference model")
    return handler(world, caller, params)


def _authorize(world: World, caller: str, action: str, resource: str) -> None:
    if not identity_allows(world, caller, action, resource):
        raise AwsError("AccessDenied", f"User: {caller} is not authorized to perform: {action} on resource: "
                                       f"{resource}")


def _role_by_name(world: World, name: Any) -> Role:
    roles = world.roles_named(name) if isinstance(name, str) else []
    if roles:
        return roles[0]
    raise AwsError("NoSuchEntity", f"The role with name {name} cannot be found.")


def _policy(text: Any, origin: str, *, trust: bool) -> tuple[Policy, str]:
    """A trust policy (each statement names a Principal) or an inline identity policy (none does),
    parsed, and its text as stored (URL-encoded documents decoded)."""
    if isinstance(text, Mapping):
        text = json.dumps(text)
    if not isinstance(text, str):
        raise AwsError("MalformedPolicyDocument", "The policy document must be a JSON string")
    text = unquote(text) if text.lstrip().startswith("%7B") else text
    try:
        policy = parse_policy(text, origin=origin)
    except PolicyError as exc:
        raise AwsError("MalformedPolicyDocument", f"{exc.path}: {exc.message}") from None
    if principal_element_problem(policy, resource_based=trust) is not None:  # a trust policy is resource-based
        raise AwsError("MalformedPolicyDocument", "Missing required field Principal" if trust
                       else "Policy document should not specify a principal.")
    return policy, text


def _role_api(role: Role) -> dict[str, Any]:
    """A role in the IAM API's ``Role`` shape."""
    out: dict[str, Any] = {
        "Path": role.path, "RoleName": role.name, "RoleId": role.role_id, "Arn": role.arn,
        "CreateDate": datetime.fromtimestamp(role.create_date, UTC),
        "AssumeRolePolicyDocument": json.loads(role.trust_text), "MaxSessionDuration": 3600,
    }
    if role.description:
        out["Description"] = role.description
    if role.tags:
        out["Tags"] = [{"Key": k, "Value": v} for k, v in role.tags]
    return out


@OPERATIONS("iam", "CreateRole")
def create_role(world: World, caller: str, params: Mapping[str, Any]) -> dict[str, Any]:
    """CreateRole: RoleName ``[\\w+=,.@-]{1,64}``, unique in the account; the trust policy names a
    principal in each statement."""
    name = params.get("RoleName")
    if not isinstance(name, str) or not _ROLE_NAME.match(name):
        raise AwsError("ValidationError", f"RoleName {name!r} must be 1-64 characters of [\\w+=,.@-]")
    path = params.get("Path") or "/"
    arn = role_arn(world.partition, world.account, name, path)
    _authorize(world, caller, "iam:CreateRole", arn)
    if world.roles_named(name):
        raise AwsError("EntityAlreadyExists", f"Role with name {name} already exists.")
    trust, text = _policy(params.get("AssumeRolePolicyDocument"), f"{name} trust policy", trust=True)
    tags = tuple((t["Key"], t["Value"]) for t in params.get("Tags") or ())
    role = Role(arn=arn, name=name, trust=trust, trust_text=text, tags=tags, path=path,
                role_id=world.new_id("role"), description=str(params.get("Description") or ""),
                create_date=world.now())
    world.add_role(role)
    return {"Role": _role_api(role)}


@OPERATIONS("iam", "GetRole")
def get_role(world: World, caller: str, params: Mapping[str, Any]) -> dict[str, Any]:
    role = _role_by_name(world, params.get("RoleName"))
    _authorize(world, caller, "iam:GetRole", role.arn)
    return {"Role": _role_api(role)}


@OPERATIONS("iam", "ListRoles")
def list_roles(world: World, caller: str, params: Mapping[str, Any]) -> dict[str, Any]:
    _authorize(world, caller, "iam:ListRoles", "*")
    prefix = params.get("PathPrefix") or "/"
    return {"Roles": [_role_api(r) for r in world.roles.values() if r.path.startswith(prefix)], "IsTruncated": False}


@OPERATIONS("iam", "PutRolePolicy")
def put_role_policy(world: World, caller: str, params: Mapping[str, Any]) -> dict[str, Any]:
    """PutRolePolicy: an identity policy names no principal; a policy of the same name is replaced."""
    role = _role_by_name(world, params.get("RoleName"))
    _authorize(world, caller, "iam:PutRolePolicy", role.arn)
    name = params.get("PolicyName")
    if not isinstance(name, str) or not _POLICY_NAME.match(name):
        raise AwsError("ValidationError", f"PolicyName {name!r} is not valid")
    policy, text = _policy(params.get("PolicyDocument"), f"{role.name}/{name}", trust=False)
    world.roles[role.arn] = replace(role, inline={**role.inline, name: policy},
                                    inline_text={**role.inline_text, name: text})
    return {}


@OPERATIONS("iam", "GetRolePolicy")
def get_role_policy(world: World, caller: str, params: Mapping[str, Any]) -> dict[str, Any]:
    role = _role_by_name(world, params.get("RoleName"))
    _authorize(world, caller, "iam:GetRolePolicy", role.arn)
    name = params.get("PolicyName")
    if name not in role.inline_text:
        raise AwsError("NoSuchEntity", f"The role policy with name {name} cannot be found.")
    return {"RoleName": role.name, "PolicyName": name, "PolicyDocument": json.loads(role.inline_text[str(name)])}


@OPERATIONS("iam", "ListRolePolicies")
def list_role_policies(world: World, caller: str, params: Mapping[str, Any]) -> dict[str, Any]:
    role = _role_by_name(world, params.get("RoleName"))
    _authorize(world, caller, "iam:ListRolePolicies", role.arn)
    return {"PolicyNames": sorted(role.inline), "IsTruncated": False}


@OPERATIONS("iam", "DeleteRolePolicy")
def delete_role_policy(world: World, caller: str, params: Mapping[str, Any]) -> dict[str, Any]:
    role = _role_by_name(world, params.get("RoleName"))
    _authorize(world, caller, "iam:DeleteRolePolicy", role.arn)
    name = params.get("PolicyName")
    if name not in role.inline:
        raise AwsError("NoSuchEntity", f"The role policy with name {name} cannot be found.")
    world.roles[role.arn] = replace(role, inline={k: v for k, v in role.inline.items() if k != name},
                                    inline_text={k: v for k, v in role.inline_text.items() if k != name})
    return {}


@OPERATIONS("iam", "DeleteRole")
def delete_role(world: World, caller: str, params: Mapping[str, Any]) -> dict[str, Any]:
    """DeleteRole: refused (DeleteConflict) while the role has inline policies."""
    role = _role_by_name(world, params.get("RoleName"))
    _authorize(world, caller, "iam:DeleteRole", role.arn)
    if role.inline:
        raise AwsError("DeleteConflict", "Cannot delete entity, must delete policies first.")
    world.remove_role(role.arn)
    return {}


@OPERATIONS("sts", "GetCallerIdentity")
def get_caller_identity(world: World, caller: str, params: Mapping[str, Any]) -> dict[str, Any]:
    """sts:GetCallerIdentity: needs no permission; a role caller is reported as its session."""
    role = world.role_of(caller)
    arn = world.session_arn(caller) if caller in world.roles else caller
    account = principal_account(caller) or world.account
    user_id = f"{role.role_id}:kms-conformance" if role is not None else account
    return {"UserId": user_id, "Account": account, "Arn": arn}


__all__ = ["OPERATIONS", "iam_call"]
