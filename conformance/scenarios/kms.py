"""Scenario steps of the KMS rules (``kms_conformance.specs.kms``): roles, keys with a key policy,
grants, a role's use of the key, and the facts read back (the AWS KMS Developer Guide pages each
names). Every call goes through :mod:`kms_conformance.scenarios.steps`, so a step that must succeed
is marked ``stage`` and one that fails on the target is told apart from the rule's subject."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from kms_conformance.arns import parse_key_arn, parse_role_arn, root_arn
from kms_conformance.policy import evaluate_policy, make_request, parse_policy, wildcard_match
from kms_conformance.scenarios import steps
from kms_conformance.strategies import kms_scenarios as ks
from kms_conformance.targets.base import Outcome, Target

PLAINTEXT = b"kms-conformance"


def use_key(target: Target, call: str, key_arn: str, principal: str | None, *,
            context: Mapping[str, str] | None = None, grant_tokens: list[str] | None = None,
            ciphertext: bytes | None = None) -> Outcome:
    """One use of a symmetric encryption key as ``principal``: ``Encrypt``, ``Decrypt`` (of
    ``ciphertext``), ``GenerateDataKey``, ``GenerateDataKeyWithoutPlaintext`` or ``DescribeKey``,
    with the encryption context and grant tokens given (a grant token makes a new grant effective
    at once: "Grant tokens", AWS KMS Developer Guide)."""
    params: dict[str, Any] = {"KeyId": key_arn}
    if call == "Encrypt":
        params["Plaintext"] = PLAINTEXT
    elif call == "Decrypt":
        params["CiphertextBlob"] = ciphertext
    elif call in ("GenerateDataKey", "GenerateDataKeyWithoutPlaintext"):
        params["KeySpec"] = "AES_256"
    elif call != "DescribeKey":
        raise ValueError(f"use_key does not make {call} calls")
    if context and call != "DescribeKey":
        params["EncryptionContext"] = dict(context)
    if grant_tokens:
        params["GrantTokens"] = list(grant_tokens)
    return steps.kms(target, call, params, principal)


def prepare(target: Target, call: str, key_arn: str, context: Mapping[str, str] | None = None) -> bytes | None:
    """A ciphertext under the key for a later Decrypt, made by the administrator (None for other
    calls)."""
    if call != "Decrypt":
        return None
    params: dict[str, Any] = {"KeyId": key_arn, "Plaintext": PLAINTEXT}
    if context:
        params["EncryptionContext"] = dict(context)
    out = steps.must("kms:Encrypt", target.call("kms", "Encrypt", params))
    blob = out.value.get("CiphertextBlob")
    if not isinstance(blob, bytes | bytearray | str):
        raise steps.StepFailed("kms:Encrypt", Outcome(ok=False, error="NoCiphertext", message=str(out.value)))
    return bytes(blob) if not isinstance(blob, str) else blob.encode()


def roles(target: Target, *names: str) -> dict[str, str]:
    """Fresh roles of the target's account, by placeholder name, plus ACCOUNT and REGION."""
    values = {"ACCOUNT": target.account, "REGION": target.region}
    for name in names:
        values[name] = steps.new_role(target, f"kmsc-{name.lower()}")
    return values


def role_name(role_arn: str) -> str:
    """The name of a role made by :func:`roles` (its ARN without the path)."""
    role = parse_role_arn(role_arn)
    if role is None:
        raise ValueError(f"not an IAM role ARN: {role_arn!r}")
    return role.resource_id


def put_identity_policy(target: Target, role_arn: str, document: Mapping[str, Any]) -> None:
    """Attach an inline identity policy to a role made by :func:`roles`."""
    steps.must("iam:PutRolePolicy", target.call("iam", "PutRolePolicy", {
        "RoleName": role_name(role_arn), "PolicyName": "kmsc-identity", "PolicyDocument": json.dumps(document)}))


def key_with(target: Target, values: dict[str, str], statements: list[dict[str, Any]], account: str = "all",
             *, key_spec: str = "SYMMETRIC_DEFAULT", key_usage: str = "ENCRYPT_DECRYPT") -> str:
    """Create a key whose policy is the account statement (``all``: ``kms:*``; ``admin``: key
    administration only) plus ``statements`` filled with ``values``; returns its ARN and records
    it as ``values["KEY_ARN"]``."""
    policy = key_policy_document(values, statements, account)
    meta = steps.new_key(target, policy, key_spec=key_spec, key_usage=key_usage)
    values["KEY_ARN"] = str(meta["Arn"])
    return values["KEY_ARN"]


def key_policy_document(values: Mapping[str, str], statements: list[dict[str, Any]], account: str = "all"
                        ) -> dict[str, Any]:
    """A key policy: the account statement, then ``statements``, placeholders filled."""
    return {"Version": "2012-10-17",
            "Statement": steps.fill([ks.account_statement(account), *statements], values)}


def put_policy(target: Target, key_arn: str, document: Mapping[str, Any]) -> Outcome:
    """PutKeyPolicy as the administrator."""
    return steps.kms(target, "PutKeyPolicy", {"KeyId": key_arn, "PolicyName": "default",
                                              "Policy": json.dumps(document)})


def create_grant(target: Target, key_arn: str, grantee: str, operations: list[str], *,
                 constraints: Mapping[str, Any] | None = None, retiring: str | None = None,
                 principal: str | None = None) -> Outcome:
    """CreateGrant (as the administrator unless ``principal``)."""
    params: dict[str, Any] = {"KeyId": key_arn, "GranteePrincipal": grantee, "Operations": list(operations)}
    if constraints:
        params["Constraints"] = dict(constraints)
    if retiring:
        params["RetiringPrincipal"] = retiring
    return steps.kms(target, "CreateGrant", params, principal)


def grant_ids(target: Target, key_arn: str) -> list[str]:
    """The GrantIds ListGrants reports for the key (as the administrator)."""
    out = steps.must("kms:ListGrants", steps.kms(target, "ListGrants", {"KeyId": key_arn}))
    return [str(g.get("GrantId")) for g in out.value.get("Grants", [])]


def same_policy(a: Any, b: Any) -> bool:
    """Whether two key policy texts mean the same document (parsed and compared as values)."""
    try:
        return bool(parse_policy(a, origin="p") == parse_policy(b, origin="p"))
    except ValueError:
        return False


def account_may(policy_text: Any, account: str, key_arn: str, action: str) -> bool:
    """Whether a key policy lets the account principal do ``action`` (the default key policy's
    account statement)."""
    try:
        policy = parse_policy(policy_text, origin="returned key policy")
    except ValueError:
        return False
    key = parse_key_arn(key_arn)
    request = make_request(action, key_arn, root_arn(key.partition if key is not None else "aws", account))
    return evaluate_policy(policy, request, check_principal=True).allowed


def policy_feature(example: Mapping[str, Any]) -> str:
    """What kind of policy decides KMS-03's call, to tell its findings apart (never compared):
    ``"Deny"`` when a Deny statement of the key or identity policy names the call's action without a
    condition, ``"conditioned Deny"`` when only conditioned ones do, ``"Allow"`` otherwise.

    >>> policy_feature({"call": "Encrypt", "identity": None, "statements": [
    ...     {"Effect": "Deny", "Action": "kms:*", "Condition": {"Bool": {"kms:GrantIsForAWSResource": "true"}}}]})
    'conditioned Deny'
    """
    action = f"kms:{example['call']}"
    statements = [*example["statements"], *((example.get("identity") or {}).get("Statement", []))]
    denies = [s for s in statements if s.get("Effect") == "Deny" and any(
        wildcard_match(a, action, ignore_case=True)
        for a in ([s["Action"]] if isinstance(s.get("Action"), str) else s.get("Action", [])))]
    if any("Condition" not in s for s in denies):
        return "Deny"
    return "conditioned Deny" if denies else "Allow"


@dataclass
class ProgramGrant:
    """What a grant program knows of a grant it made on the target (never part of the facts)."""

    grant_id: str
    token: str | None
    grantee: int
    deleted: bool = False


#: At most this many grant tokens go with one request ("GrantTokens": up to 10).
MAX_GRANT_TOKENS = 10


def run_grant_program(target: Target, example: Sequence[Mapping[str, Any]]) -> list[str]:
    """Run a grant program of KMS-19 (``ks.grant_programs``) and return one outcome per step: the
    code, ``"OK n grants"`` for ListGrants, ``skipped`` for a step naming a grant not created yet,
    ``gone`` for one naming a grant already retired or revoked here (both without a call). The key
    has the default key policy; two grantee roles and a stranger have no identity policy. A role's
    call carries the tokens of its live grants ("Using a grant token", at most ten)."""
    values = roles(target, "ROLE0", "ROLE1", "STRANGER")
    key = key_with(target, values, [], "all")
    who = [values["ROLE0"], values["ROLE1"]]
    blobs = {name: prepare(target, "Decrypt", key, ks.PROGRAM_CONTEXTS[name])
             for name in sorted({s["context"] for s in example if s["step"] == "Decrypt"})}
    made: list[ProgramGrant | None] = []  # per CreateGrant step of the program, in order
    outcomes: list[str] = []
    for step in example:
        kind = step["step"]
        if kind == "CreateGrant":
            grantee = step["grantee"]
            constraints = {step["constraint"]: dict(ks.PROGRAM_CONSTRAINT)} if step["constraint"] else None
            out = create_grant(target, key, who[grantee], step["operations"], constraints=constraints,
                               retiring=who[1 - grantee] if step["retiring"] else None)
            token = out.value.get("GrantToken") if out.ok else None
            made.append(ProgramGrant(str(out.value.get("GrantId", "")), str(token) if token else None, grantee)
                        if out.ok else None)
            outcomes.append(out.code)
        elif kind in ("RetireGrant", "RevokeGrant"):
            if step["grant"] >= len(made):
                outcomes.append("skipped")
                continue
            grant = made[step["grant"]]
            if grant is None or grant.deleted:
                outcomes.append("gone")
                continue
            params = {"KeyId": key, "GrantId": grant.grant_id}
            if kind == "RevokeGrant":
                out = steps.kms(target, "RevokeGrant", params)
            else:
                by = {"retiring": who[1 - grant.grantee], "grantee": who[grant.grantee],
                      "stranger": values["STRANGER"]}[step["by"]]
                out = steps.kms(target, "RetireGrant", params, by)
            grant.deleted = out.ok
            outcomes.append(out.code)
        elif kind == "ListGrants":
            out = steps.kms(target, "ListGrants", {"KeyId": key})
            outcomes.append(f"OK {len(out.value.get('Grants', []))} grants" if out.ok else out.code)
        else:
            role = step["role"]
            tokens = [g.token for g in made if g is not None and not g.deleted and g.grantee == role and g.token]
            out = use_key(target, kind, key, who[role], context=ks.PROGRAM_CONTEXTS[step["context"]],
                          grant_tokens=tokens[-MAX_GRANT_TOKENS:] or None, ciphertext=blobs.get(step["context"]))
            outcomes.append(out.code)
    return outcomes


__all__ = [
    "MAX_GRANT_TOKENS", "PLAINTEXT", "ProgramGrant", "account_may", "create_grant", "grant_ids", "key_policy_document",
    "key_with", "policy_feature", "prepare", "put_identity_policy", "put_policy", "role_name", "roles",
    "run_grant_program", "same_policy", "use_key",
]
