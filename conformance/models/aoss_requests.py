"""A setup's OpenSearch Serverless requests, judged without a target: what the service would refuse
in them (or leave to a later step), and the keys they name, each as one line naming the request's
JSON path.

The requests are :func:`kms_conformance.models.opensearch_serverless.parse_request`'s; the policy
grammar is :mod:`kms_conformance.models.aoss_policies`'s. Each function reads a
:class:`~kms_conformance.setup.Setup`; the static rules of the OpenSearch Serverless page
(:mod:`kms_conformance.specs.opensearch_serverless`) say which of these findings break which
sentence. Sources as in :mod:`kms_conformance.models.opensearch_serverless`: the page, and the
OpenSearch Serverless API Reference (CreateSecurityPolicy, UpdateSecurityPolicy, CreateCollection).
"""

from __future__ import annotations

from collections.abc import Mapping

from kms_conformance.models.aoss_policies import key_errors, rule_errors
from kms_conformance.models.opensearch_serverless import IAM_ACTIONS, iam_reasons, parse_request, partition_of
from kms_conformance.setup import KeySetup, Setup


def customer_keys(setup: Setup) -> list[tuple[str, str, KeySetup | None]]:
    """(policy path, KmsARN, the setup's key or None) for each valid encryption policy with a KmsARN."""
    return [(path, arn, setup.find_key(arn) if arn else None) for path, arn in parse_request(setup).kms_arns()]


def has_encryption_policies(setup: Setup) -> bool:
    """Whether the setup creates an encryption policy."""
    return bool(parse_request(setup).encryption)


def has_collections(setup: Setup) -> bool:
    """Whether the setup creates a collection."""
    return bool(parse_request(setup).collections)


def has_overrides(setup: Setup) -> bool:
    """Whether a collection of the setup gives its own key at creation (``encryptionConfig``)."""
    return any(c.encryption_config for c in parse_request(setup).collections)


def has_updates(setup: Setup) -> bool:
    """Whether the setup updates an encryption policy."""
    return bool(parse_request(setup).updates)


def described_customer_keys(setup: Setup) -> bool:
    """Whether an encryption policy of the setup names a key the setup describes."""
    return any(key is not None for _p, _a, key in customer_keys(setup))


def rules_errors(setup: Setup) -> list[str]:
    """The encryption policies' ``Rules`` that break the policy grammar (CreateSecurityPolicy refuses them)."""
    return [f"{p.path}.policy.{e.path}: {e.message}" for p in parse_request(setup).encryption
            for e in rule_errors(p.document)]


def key_element_errors(setup: Setup) -> list[str]:
    """The encryption policies whose key element (``AWSOwnedKey``, ``KmsARN``) is malformed, and those
    naming a described key that is not a symmetric encryption key."""
    reasons = [f"{p.path}.policy.{e.path}: {e.message}" for p in parse_request(setup).encryption
               for e in key_errors(p.document)]
    for path, arn, key in customer_keys(setup):
        if key is not None and (not key.symmetric or key.key_usage != "ENCRYPT_DECRYPT"):
            reasons.append(f"{path}.policy.KmsARN: {arn} is a {key.key_spec}/{key.key_usage} key; "
                           "OpenSearch Serverless needs a symmetric encryption key")
    return reasons


def override_errors(setup: Setup) -> list[str]:
    """The collections that give their own key although a policy matches their name exactly."""
    return [f"{c.path}.encryptionConfig: policy {match[0]!r} matches {c.name!r} by name ({match[1]}), without "
            "a wildcard; the key cannot be overridden at creation"
            for c, match in parse_request(setup).collection_matches()
            if c.encryption_config and match is not None and not match[1].endswith("*")]


def repeated_pattern_errors(setup: Setup) -> list[str]:
    """The encryption policies that repeat a pattern another policy of the setup has."""
    return [f"{p.path}.policy: pattern {pattern!r} of policy {p.name!r} is already in policy {other!r}; "
            "CreateSecurityPolicy fails with ValidationException"
            for p, pattern, other in parse_request(setup).repeated_patterns()]


def unmatched_collection_errors(setup: Setup) -> list[str]:
    """The collections no encryption policy matches that give no key of their own."""
    req = parse_request(setup)
    known = ", ".join(p for pol in req.parsed().values() for p in pol.patterns) or "none"
    return [f"{c.path}.name: no encryption policy matches collection {c.name!r} (patterns: {known}); "
            "CreateCollection fails with ValidationException"
            for c, match in req.collection_matches() if match is None and not c.encryption_config]


def rotation_errors(setup: Setup) -> list[str]:
    """The described keys of the encryption policies whose automatic rotation the setup does not
    enable (``keys[].keyRotationEnabled``, GetKeyRotationStatus's KeyRotationEnabled)."""
    reasons = []
    raw_keys = [k for k in setup.raw.get("keys", []) if isinstance(k, Mapping)]
    for path, _arn, key in customer_keys(setup):
        if key is None:
            continue
        raw = next((k for k in raw_keys if k.get("arn") == key.arn), {})
        if raw.get("keyRotationEnabled") is not True:
            reasons.append(f"{path}.policy.KmsARN: key {key.arn} does not have automatic key rotation enabled "
                           "(keys[].keyRotationEnabled is not true)")
    return list(dict.fromkeys(reasons))


def has_caller_policy_requests(setup: Setup) -> bool:
    """Whether the setup gives the caller's identity policies and creates or updates a security policy."""
    return setup.caller in setup.identity_policies and bool(parse_request(setup).policies
                                                            or parse_request(setup).updates)


def iam_errors(setup: Setup) -> list[str]:
    """The security policy requests the caller's identity policies do not allow, per collection pattern."""
    policies = setup.identity_policies.get(setup.caller, ())
    partition = partition_of(setup.caller)
    return [f"{p.path}: {reason}" for op, p, patterns in parse_request(setup).patterns_by_request()
            for reason in iam_reasons(setup.caller, IAM_ACTIONS[op], patterns, policies, account=setup.account,
                                      region=setup.region, partition=partition)]


def policy_version_errors(setup: Setup) -> list[str]:
    """The UpdateSecurityPolicy requests without a ``policyVersion`` of 20-36 characters."""
    reasons = []
    for u in parse_request(setup).updates:
        if not u.policy_version:
            reasons.append(f"{u.path}.policyVersion: UpdateSecurityPolicy requires policyVersion")
        elif not 20 <= len(u.policy_version) <= 36:
            reasons.append(f"{u.path}.policyVersion: {u.policy_version!r} is not a policy version "
                           "(20-36 characters, as GetSecurityPolicy returns it)")
    return reasons


def late_policy_collections(setup: Setup) -> list[str]:
    """The collections that give their own key at creation because no policy of the setup matches them."""
    return [f"{c.path}: collection {c.name!r} relies on encryptionConfig at creation; no encryption policy of "
            "the setup matches it beforehand" for c, match in parse_request(setup).collection_matches()
            if c.encryption_config and match is None]


__all__ = [
    "customer_keys", "described_customer_keys", "has_caller_policy_requests", "has_collections",
    "has_encryption_policies", "has_overrides", "has_updates", "iam_errors", "key_element_errors",
    "late_policy_collections", "override_errors", "policy_version_errors", "repeated_pattern_errors",
    "rotation_errors", "rules_errors", "unmatched_collection_errors",
]
