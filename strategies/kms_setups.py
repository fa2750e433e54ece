"""The kms :class:`~kms_conformance.rules.ServiceSpec`'s setups (``kms_conformance.specs.kms``):
:func:`compliant_setups`, which every KMS config rule accepts, and :data:`MUTATORS`, one per config
rule, each breaking exactly that rule (``check`` file format, ``kms_conformance.setup``)."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from typing import Any

from hypothesis import strategies as st
from hypothesis.strategies import SearchStrategy
from kms_conformance.setup import SERVICES


@st.composite
def compliant_setups(draw: st.DrawFn) -> dict[str, Any]:
    """A setup dict (``check`` file format) that every KMS config rule accepts and to which each
    applies: one enabled symmetric key whose policy has the account statement (``kms:*``) and a
    statement for a service role limited by ``kms:ViaService`` in the key's Region, and a grant for
    the role with encryption-key operations. The ``service`` is one of the four pages' (the KMS
    rules apply to every setup); ``request`` is empty, since the KMS rules do not read it."""
    from kms_conformance.strategies.aws import iam_role_arns
    from kms_conformance.strategies.grants import grant_operations
    from kms_conformance.strategies.policies import admin_statement, key_setups, service_access_statements

    account = "111122223333"
    region = draw(st.sampled_from(("us-east-1", "eu-west-1", "ap-northeast-2")))
    role = draw(iam_role_arns(account))
    service = draw(st.sampled_from(SERVICES))
    via = {"forecast": "forecast", "feature-store": "sagemaker", "opensearch-serverless": "aoss",
           "mwaa": "airflow"}[service]
    access = service_access_statements(via, account=account, region=region, principal=role,
                                       like=draw(st.booleans()))
    policy = st.builds(lambda a, s: {"Version": "2012-10-17", "Statement": [a, s]},
                       st.just(admin_statement(account)), access)
    key = draw(key_setups(account=account, region=region, symmetric=True, policy=policy))
    grant = {"KeyId": key["arn"], "GranteePrincipal": role, "Operations": draw(grant_operations("ENCRYPT_DECRYPT"))}
    return {"service": service, "account": account, "region": region, "keys": [key], "grants": [grant],
            "request": {}}


def _with(setup: dict[str, Any], change: Any) -> dict[str, Any]:
    new = json.loads(json.dumps(setup))
    change(new)
    return new


def _break_grant_type(setup: dict[str, Any]) -> SearchStrategy[dict[str, Any]]:
    """KMS-06: a grant on the (encryption) key gets an operation of another key type."""
    def change(op: str) -> dict[str, Any]:
        return _with(setup, lambda s: s["grants"][0]["Operations"].append(op))

    return st.sampled_from(("Sign", "Verify", "GenerateMac", "VerifyMac", "DeriveSharedSecret")).map(change)


def _break_via_region(setup: dict[str, Any]) -> SearchStrategy[dict[str, Any]]:
    """KMS-12: the kms:ViaService value names another Region, or keeps the page's ``region``."""
    def change(region: str) -> dict[str, Any]:
        def edit(s: dict[str, Any]) -> None:
            stmt = s["keys"][0]["policy"]["Statement"][1]
            for op in ("StringEquals", "StringLike"):
                block = stmt["Condition"].get(op, {})
                if "kms:ViaService" in block:
                    service = block["kms:ViaService"].split(".", 1)[0]
                    block["kms:ViaService"] = f"{service}.{region}.amazonaws.com"
        return _with(setup, edit)

    return st.sampled_from(("region", "us-west-2", "eu-central-1")).filter(
        lambda r: r != setup["region"]).map(change)


def _break_symmetric(setup: dict[str, Any]) -> SearchStrategy[dict[str, Any]]:
    """KMS-15: the key becomes an RSA encryption key (the grant's operations stay valid for its
    KeyUsage, so only KMS-15 breaks)."""
    def change(spec: str) -> dict[str, Any]:
        return _with(setup, lambda s: s["keys"][0].update(keySpec=spec, keyUsage="ENCRYPT_DECRYPT"))

    return st.sampled_from(("RSA_2048", "RSA_3072", "RSA_4096")).map(change)


def _break_state(setup: dict[str, Any]) -> SearchStrategy[dict[str, Any]]:
    """KMS-16: the key is not Enabled."""
    return st.sampled_from(("Disabled", "PendingDeletion", "PendingImport")).map(
        lambda state: _with(setup, lambda s: s["keys"][0].update(keyState=state)))


def _set_account_actions(setup: dict[str, Any], actions: Any, not_action: bool = False) -> dict[str, Any]:
    def edit(s: dict[str, Any]) -> None:
        stmt = s["keys"][0]["policy"]["Statement"][0]
        stmt.pop("Action", None)
        stmt["NotAction" if not_action else "Action"] = actions
    return _with(setup, edit)


def _break_admin(setup: dict[str, Any]) -> SearchStrategy[dict[str, Any]]:
    """KMS-17: the account statement keeps read access and RevokeGrant but loses PutKeyPolicy."""
    return st.sampled_from((
        ["kms:Describe*", "kms:List*", "kms:Get*", "kms:RevokeGrant"],
        ["kms:Create*", "kms:Describe*", "kms:Enable*", "kms:List*", "kms:Update*", "kms:Revoke*", "kms:Disable*"],
    )).map(lambda actions: _set_account_actions(setup, actions))


def _break_revoke(setup: dict[str, Any]) -> SearchStrategy[dict[str, Any]]:
    """KMS-18: the account statement allows everything but RevokeGrant."""
    return st.sampled_from(("kms:RevokeGrant", "kms:Revoke*")).map(
        lambda action: _set_account_actions(setup, action, not_action=True))


#: Config rule id -> the mutator that breaks it in a compliant setup.
MUTATORS: Mapping[str, Callable[[dict[str, Any]], SearchStrategy[dict[str, Any]]]] = {
    "KMS-06": _break_grant_type,
    "KMS-12": _break_via_region,
    "KMS-15": _break_symmetric,
    "KMS-16": _break_state,
    "KMS-17": _break_admin,
    "KMS-18": _break_revoke,
}
