"""Scenario steps of Amazon MWAA: an environment's execution role and parameters, CreateEnvironment,
its status, DeleteEnvironment, and the grants it leaves on a key as id-free facts.

The bucket and network of an environment are placeholders; against a real account set
``KMS_CONFORMANCE_MWAA_BUCKET_ARN``, ``KMS_CONFORMANCE_MWAA_SUBNETS`` and
``KMS_CONFORMANCE_MWAA_SECURITY_GROUPS`` (comma-separated) to ones that exist, or MWAA refuses every
environment for reasons the page does not cover.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from typing import Any

from kms_conformance.models.mwaa import BOTO, GRANTS, airflow_principal, grant_operations, logs_statement
from kms_conformance.scenarios import steps
from kms_conformance.targets.base import Outcome, Target

#: The service principals an MWAA execution role trusts.
EXECUTION_ROLE_SERVICES = ("airflow.amazonaws.com", "airflow-env.amazonaws.com")


def environment_params(name: str, kms_key: str | None, role: str,
                       logging: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """CreateEnvironment parameters as boto3 takes them, for ``name`` with ``kms_key`` (none when
    None) and ``role`` as the execution role; task logs at INFO unless ``logging`` says otherwise."""
    env = os.environ
    subnets = env.get("KMS_CONFORMANCE_MWAA_SUBNETS", "subnet-0a1b2c3d,subnet-4e5f6a7b").split(",")
    groups = env.get("KMS_CONFORMANCE_MWAA_SECURITY_GROUPS", "sg-0a1b2c3d").split(",")
    params: dict[str, Any] = {
        "Name": name, "ExecutionRoleArn": role,
        "SourceBucketArn": env.get("KMS_CONFORMANCE_MWAA_BUCKET_ARN", "arn:aws:s3:::kms-conformance-dags"),
        "DagS3Path": "dags", "NetworkConfiguration": {"SubnetIds": [s.strip() for s in subnets if s.strip()],
                                                      "SecurityGroupIds": [g.strip() for g in groups if g.strip()]},
        "LoggingConfiguration": dict(logging or {"TaskLogs": {"Enabled": True, "LogLevel": "INFO"}}),
    }
    if kms_key is not None:
        params["KmsKey"] = kms_key
    return params


def new_environment(target: Target, stem: str = "") -> tuple[str, str]:
    """A fresh environment name (``Env<stem>-<n>``) and a new execution role for it."""
    name = re.sub(r"[^0-9a-zA-Z_-]", "-", target.unique("Env" + stem))
    role = steps.new_role(target, "mwaa-exec", services=EXECUTION_ROLE_SERVICES)
    return name, role


def environment_key(target: Target, *, multi_region: bool = False) -> Mapping[str, Any]:
    """A new key an environment can use (its KeyMetadata): the default key policy and the page's
    CloudWatch Logs statement (MWAA-08), so that a rule about something else does not see the
    environment fail for its encrypted logs."""
    policy = steps.default_key_policy(target.account)
    policy["Statement"].append(logs_statement(target.region, target.account))
    return steps.new_key(target, policy, multi_region=multi_region)


def create_environment(target: Target, params: Mapping[str, Any], principal: str | None = None) -> Outcome:
    """CreateEnvironment as ``principal`` (None: the administrator)."""
    return target.call(BOTO, "CreateEnvironment", params, principal=principal)


#: GetEnvironment's Status once creation is over (MWAA API Reference, "Environment": CREATING |
#: CREATE_FAILED | AVAILABLE | ...).
AVAILABLE, CREATE_FAILED = ("AVAILABLE",), ("CREATE_FAILED",)


def created_environment(target: Target, params: Mapping[str, Any], principal: str | None = None) -> steps.Settled:
    """CreateEnvironment (:func:`create_environment`) reduced to one fact (:func:`steps.settle`):
    ``fails`` when it is refused or the environment ends CREATE_FAILED (``LastUpdate.Error`` in
    ``detail``), ``OK`` when it ends AVAILABLE. MWAA creates environments asynchronously, so a key it
    cannot use may show only in the status. A response without the environment's ``Arn`` (what
    CreateEnvironment returns) leaves nothing to poll: ``unknown``."""
    out = create_environment(target, params, principal)
    if out.ok and not out.value.get("Arn"):
        return steps.Settled("unknown", "the CreateEnvironment response names no Arn", out)

    def status(value: Mapping[str, Any]) -> steps.Status:
        env = value.get("Environment") or {}
        error = (env.get("LastUpdate") or {}).get("Error") or {}
        return env.get("Status"), " ".join(str(error[k]) for k in ("ErrorCode", "ErrorMessage") if error.get(k))

    return steps.settle(out, lambda: target.call(BOTO, "GetEnvironment", {"Name": params["Name"]}), status,
                        done=AVAILABLE, failed=CREATE_FAILED)


def environment_status(target: Target, name: str) -> tuple[str, str | None]:
    """GetEnvironment's outcome code and the environment's Status (None when the call failed)."""
    got = target.call(BOTO, "GetEnvironment", {"Name": name})
    status = got.value.get("Environment", {}).get("Status") if got.ok else None
    return got.code, status


def delete_environment(target: Target, name: str) -> Outcome:
    """DeleteEnvironment as the administrator."""
    return target.call(BOTO, "DeleteEnvironment", {"Name": name})


def grant_facts(target: Target, key_arn: str, env: str) -> tuple[str, list[dict[str, Any]]]:
    """ListGrants on the key, as id-free facts: name (environment as ``<ENV>``), sorted operations,
    whether grantee and retiring principal are ``airflow.<region>.amazonaws.com``."""
    out = steps.kms(target, "ListGrants", {"KeyId": key_arn})
    if not out.ok:
        return out.code, []
    principal = airflow_principal(target.region)
    facts = [{"name": str(g.get("Name", "")).replace(env, "<ENV>"),
              "operations": sorted(g.get("Operations", [])),
              "grantee": g.get("GranteePrincipal") == principal,
              "retiring": g.get("RetiringPrincipal") == principal} for g in out.value.get("Grants", [])]
    return "OK", sorted(facts, key=lambda f: f["name"])


#: The page's wildcard operations ("kms:ReEncrypt*", "kms:GenerateDataKey*"), each as the grant
#: operations it stands for: a grant lists operation names, never a wildcard ("CreateGrant", AWS KMS API
#: Reference), so one or more names of each family stand for the page's entry.
WILDCARD_FAMILIES: tuple[tuple[str, ...], ...] = (grant_operations(["kms:ReEncrypt*"]),
                                                   grant_operations(["kms:GenerateDataKey*"]))


def page_grant_facts(target: Target, key_arn: str, env: str) -> tuple[str, list[dict[str, Any]]]:
    """ListGrants on the key, as facts about the page's four grants (section "권한 부여 정책"): per grant,
    its name (environment as ``<ENV>``), whether grantee and retiring principal are
    ``airflow.<region>.amazonaws.com``, ``page_operations`` (every operation the page names is listed,
    and at least one name of each wildcard entry) and ``only_expansion`` (nothing is listed outside the
    page's list with its wildcards expanded). The exact lists are not compared: the page's wildcards
    leave open which names of a family a grant lists."""
    code, grants = grant_facts(target, key_arn, env)
    specs = {spec.prefix + "<ENV>": spec for spec in GRANTS}
    family_of = {op: family for family in WILDCARD_FAMILIES for op in family}
    facts = []
    for grant in grants:
        spec = specs.get(grant["name"])
        listed = set(grant["operations"])
        expansion = set(spec.operations) if spec else set()
        named = {op for op in expansion if op not in family_of}
        families = {family_of[op] for op in expansion if op in family_of}
        facts.append({"name": grant["name"], "grantee": grant["grantee"], "retiring": grant["retiring"],
                      "page_operations": spec is not None and named <= listed
                      and all(listed & set(f) for f in families),
                      "only_expansion": spec is not None and listed <= expansion})
    return code, facts


__all__ = [
    "AVAILABLE",
    "CREATE_FAILED",
    "EXECUTION_ROLE_SERVICES",
    "WILDCARD_FAMILIES",
    "create_environment",
    "created_environment",
    "delete_environment",
    "environment_key",
    "environment_params",
    "environment_status",
    "grant_facts",
    "new_environment",
    "page_grant_facts",
]
