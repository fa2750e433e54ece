"""Scenario steps of Amazon OpenSearch Serverless: fresh names, encryption policies, collections,
and the facts read back from a target (a collection's key, the grants of a key, the policies listed).

Every name starts with :data:`kms_conformance.resources.NAME_PREFIX`: encryption policies take no
tags, so ``kms-conformance sweep`` finds the policies of a killed run by their name (DESIGN.md
principle 5).
"""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Mapping, Sequence
from typing import Any

from kms_conformance.models.aoss_policies import AWS_OWNED, PolicyDocError, load_policy_document
from kms_conformance.models.opensearch_serverless import BOTO
from kms_conformance.resources import NAME_PREFIX
from kms_conformance.scenarios import steps
from kms_conformance.strategies.opensearch_serverless import encryption_policies, sample_key_statement
from kms_conformance.targets.base import Outcome, Target


def names(target: Target, example: Mapping[str, Any]) -> tuple[str, str]:
    """A fresh policy name and collection stem for one example: ``kmsc-p<tail>`` and ``kmsc-c<tail>``.

    Both start with :data:`kms_conformance.resources.NAME_PREFIX`, so ``kms-conformance sweep`` finds
    the encryption policies of a killed run, and so do the ``auto-kmsc-...`` policies the service
    makes for them. API-valid: lower case ``[a-z][a-z0-9-]``, 3-32 characters (CreateSecurityPolicy,
    CreateCollection). The tail keeps the unique end of ``target.unique`` (run token and counter) in
    at most 17 characters, so the longest collection a scenario makes, :func:`outside` of the stem
    plus a 4-character suffix, has 27 and its ``auto-<name>`` policy 32."""
    raw = re.sub(r"[^a-z0-9-]", "-", target.unique("c" + str(example.get("stem", "x"))).lower())
    tail = raw[len(NAME_PREFIX):] if raw.startswith(NAME_PREFIX) else raw
    if len(tail) > 17:
        tail = "c" + tail[-16:]
    return f"{NAME_PREFIX}p{tail}", f"{NAME_PREFIX}{tail}"


def outside(stem: str) -> str:
    """A name no pattern of the stem (``collection/<stem>``, ``collection/<stem>*``) matches, still
    carrying the name prefix: ``kmsc-z<tail>`` (the tail starts with ``c``, so never with ``z<tail>``)."""
    return f"{NAME_PREFIX}z{stem[len(NAME_PREFIX):]}"


def exact(stem: str, *suffixes: str) -> list[str]:
    """Exact-name resource patterns ``collection/<stem><suffix>``, one per suffix. The rules that are not
    about prefix matching (AOSS-04's sentence) name their collections exactly, so a target that
    matches no prefix is still judged on them.

    >>> exact("kmsc-c1", "a", "b")
    ['collection/kmsc-c1a', 'collection/kmsc-c1b']
    """
    return [f"collection/{stem}{suffix}" for suffix in suffixes]


def call(target: Target, op: str, params: Mapping[str, Any], principal: str | None = None) -> Outcome:
    """One OpenSearch Serverless call as ``principal`` (a role ARN; None: the administrator)."""
    return target.call(BOTO, op, params, principal=principal)


def create_policy(target: Target, name: str, doc: Mapping[str, Any], principal: str | None = None) -> Outcome:
    """CreateSecurityPolicy of type encryption with the document ``doc``."""
    return call(target, "CreateSecurityPolicy", {"name": name, "type": "encryption", "policy": json.dumps(doc),
                                                 "description": "kms-conformance"}, principal)


def update_policy(target: Target, name: str, version: str, doc: Mapping[str, Any]) -> Outcome:
    """UpdateSecurityPolicy of the encryption policy ``name`` at ``version`` to the document ``doc``."""
    return call(target, "UpdateSecurityPolicy", {"name": name, "type": "encryption", "policyVersion": version,
                                                 "policy": json.dumps(doc)})


def delete_policy(target: Target, name: str) -> Outcome:
    """DeleteSecurityPolicy of the encryption policy ``name``."""
    return call(target, "DeleteSecurityPolicy", {"name": name, "type": "encryption"})


def create_collection(target: Target, name: str, **extra: Any) -> Outcome:
    """CreateCollection of a SEARCH collection ``name`` (``extra``: more parameters, e.g. encryptionConfig)."""
    return call(target, "CreateCollection", {"name": name, "type": "SEARCH", **extra})


def get_policy(target: Target, name: str) -> Outcome:
    """GetSecurityPolicy of the encryption policy ``name``."""
    return call(target, "GetSecurityPolicy", {"name": name, "type": "encryption"})


def policy_document(outcome: Outcome) -> Mapping[str, Any]:
    """The policy document a GetSecurityPolicy outcome returned, decoded; empty when the call failed
    or the document is absent or not a JSON object."""
    raw = outcome.value.get("securityPolicyDetail", {}).get("policy") if outcome.ok else None
    try:
        doc = load_policy_document(raw) if raw else {}
    except PolicyDocError:
        return {}
    return doc if isinstance(doc, Mapping) else {}


def policy_version(outcome: Outcome) -> str:
    """The ``policyVersion`` a CreateSecurityPolicy or GetSecurityPolicy outcome returned ("" if none)."""
    return str(outcome.value.get("securityPolicyDetail", {}).get("policyVersion", ""))


def policy_key(target: Target, name: str, keys: Mapping[str, str]) -> tuple[Outcome, str | None]:
    """GetSecurityPolicy of ``name``, and the key its document names: the label of ``keys``
    (:func:`label`), ``auto`` for the AWS owned key (``AWSOwnedKey`` true without a KmsARN), or None."""
    got = get_policy(target, name)
    doc = policy_document(got)
    arn = doc.get("KmsARN")
    return got, label(str(arn), keys) if arn else (AWS_OWNED if doc.get("AWSOwnedKey") else None)


def auto_policy(target: Target, collection: str, key_arn: str) -> tuple[Outcome, list[str], Outcome]:
    """The ``auto-<collection>`` policy a collection's own key made: GetSecurityPolicy of it, the
    resources of its rules (sorted), and UpdateSecurityPolicy widening it to ``<collection>-more`` too
    (with a version of the right length but no policy's when the policy cannot be read)."""
    name = f"auto-{collection}"[:32]
    got = get_policy(target, name)
    resources = sorted(p for r in policy_document(got).get("Rules", []) for p in r.get("Resource", []))
    version = policy_version(got) if got.ok else "x" * 20
    widened = update_policy(target, name, version, encryption_policies(
        [f"collection/{collection}", f"collection/{collection}-more"], key_arn))
    return got, resources, widened


#: A policy version of the API's form (base64 of ``<millis>_<n>``) that no policy of a run has.
STALE_VERSION = base64.b64encode(b"1000000000000_9").decode()


def role_and_key(target: Target, region: str, service: str, actions: Sequence[str]) -> tuple[str, str]:
    """A role allowed ``aoss:*`` and ``kms:DescribeKey``, and a new key whose policy (the default one)
    adds the page's key-policy statement for the role through ``<service>.<region>.amazonaws.com``
    with ``actions``: (role ARN, key ARN)."""
    role = steps.new_role(target, "aoss-user", inline_policies={"aoss": {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": ["aoss:*", "kms:DescribeKey"], "Resource": "*"}]}})
    policy = steps.default_key_policy(target.account)
    policy["Statement"].append(sample_key_statement(role, region, service=service, actions=actions))
    return role, steps.new_key(target, policy)["Arn"]


def policy_with_new_key(target: Target, example: Mapping[str, Any]) -> tuple[str, str, str, Outcome]:
    """A new key and an encryption policy with it for the collection ``<stem>a`` (an exact name,
    :func:`exact`): (policy name, stem, key ARN, the CreateSecurityPolicy outcome)."""
    name, stem = names(target, example)
    key = steps.new_key(target)["Arn"]
    return name, stem, key, create_policy(target, name, encryption_policies(exact(stem, "a"), key))


def collection_key(target: Target, name: str) -> tuple[str, str | None, str | None]:
    """(BatchGetCollection code, the collection's kmsKeyArn, its status)."""
    out = call(target, "BatchGetCollection", {"names": [name]})
    if not out.ok:
        return out.code, None, None
    details = list(out.value.get("collectionDetails", []))
    if not details:
        return "OK", None, None
    return "OK", details[0].get("kmsKeyArn"), details[0].get("status")


def created_collection(target: Target, name: str, **extra: Any) -> steps.Settled:
    """CreateCollection (:func:`create_collection`) reduced to one fact: ``fails`` when it is refused
    or the collection ends ``FAILED`` (BatchGetCollection's status, with its failureCode and
    failureMessage when given), ``OK`` when it ends ``ACTIVE`` ("CollectionDetail", OpenSearch
    Serverless API Reference: CREATING | DELETING | ACTIVE | FAILED)."""
    out = create_collection(target, name, **extra)

    def status(value: Mapping[str, Any]) -> steps.Status:
        details = list(value.get("collectionDetails", []))
        if not details:
            return None, "not listed"
        d = details[0]
        return d.get("status"), " ".join(str(d[k]) for k in ("failureCode", "failureMessage") if d.get(k))

    return steps.settle(out, lambda: call(target, "BatchGetCollection", {"names": [name]}), status,
                        done=("ACTIVE",), failed=("FAILED",))


def key_label(target: Target, name: str, keys: Mapping[str, str]) -> str | None:
    """The label (:func:`label`) of the key the collection ``name`` reports."""
    return label(collection_key(target, name)[1], keys)


def new_collection_key(target: Target, name: str, keys: Mapping[str, str], **extra: Any) -> tuple[str, str | None]:
    """Create the collection ``name`` and read its key back: (CreateCollection code, key label)."""
    created = create_collection(target, name, **extra)
    return created.code, key_label(target, name, keys)


def label(value: str | None, keys: Mapping[str, str]) -> str | None:
    """A key ARN as the example's label (``K1``), ``auto`` for an AWS owned key, None if absent."""
    if value is None:
        return None
    for name, arn in keys.items():
        if value == arn or value.rsplit("/", 1)[-1] == arn.rsplit("/", 1)[-1]:
            return name
    return value if value == AWS_OWNED else "other"


def collection_id(outcome: Outcome) -> str | None:
    """The id CreateCollection returned, or None when it failed."""
    return outcome.value.get("createCollectionDetail", {}).get("id") if outcome.ok else None


def grant_operations(target: Target, key_arn: str) -> tuple[str, list[list[str]]]:
    """(ListGrants code, the sorted operations of each grant of the key, sorted)."""
    out = steps.kms(target, "ListGrants", {"KeyId": key_arn})
    if not out.ok:
        return out.code, []
    return "OK", sorted(sorted(g.get("Operations", [])) for g in out.value.get("Grants", []))


#: The step name of reading the grant OpenSearch Serverless made (AOSS-15's subject, which lists it first).
GRANT_STEP = "kms:ListGrants"


def revoke_grants(target: Target, key_arn: str) -> list[str]:
    """Revoke every grant of the key (as ListGrants shows them); the RevokeGrant codes. Listing at least
    one grant is a stage step: a target that made none (AOSS-15) has nothing to revoke, and a rule about
    the revocation is ``inconclusive`` there, blocked by AOSS-15."""
    grants = steps.must(GRANT_STEP, steps.kms(target, "ListGrants", {"KeyId": key_arn}))
    ids = [g["GrantId"] for g in grants.value.get("Grants", [])]
    if not ids:
        raise steps.StepFailed(GRANT_STEP, Outcome(ok=False, error="NoGrant",
                                                   message="ListGrants lists no grant on the policy's key"))
    return [steps.kms(target, "RevokeGrant", {"KeyId": key_arn, "GrantId": g}).code for g in ids]


def listed_policy_names(target: Target) -> tuple[str, set[str]]:
    """(code, names) of every encryption policy ListSecurityPolicies returns, following nextToken."""
    found: set[str] = set()
    params: dict[str, Any] = {"type": "encryption", "maxResults": 100}
    for _page in range(50):
        out = call(target, "ListSecurityPolicies", params)
        if not out.ok:
            return out.code, found
        found |= {str(p.get("name")) for p in out.value.get("securityPolicySummaries", [])}
        token = out.value.get("nextToken")
        if not token:
            break
        params = {**params, "nextToken": token}
    return "OK", found


__all__ = [
    "GRANT_STEP",
    "call",
    "collection_key",
    "create_collection",
    "create_policy",
    "delete_policy",
    "exact",
    "get_policy",
    "grant_operations",
    "key_label",
    "label",
    "listed_policy_names",
    "names",
    "new_collection_key",
    "outside",
    "policy_document",
    "policy_version",
    "policy_with_new_key",
    "revoke_grants",
    "role_and_key",
    "update_policy",
]
