"""A platform team's own conformance tests, written with the kms-conformance pytest plugin.

Install the kit (``pip install kms-conformance``) and pytest finds the plugin by itself. Run::

    pytest examples/pytest                              # on moto, in-process (the default target)
    pytest examples/pytest --kms-target model           # on the kit's reference model
    pytest examples/pytest --kms-target aws --kms-endpoint-url http://127.0.0.1:5000   # a moto server
    pytest examples/pytest --hypothesis-profile kms-ci  # the kit's CI settings for @given tests

The fixtures: ``kms_target`` (the target the ``--kms-*`` options describe, one per session),
``kms_key`` (creates customer managed keys, schedules their deletion afterwards), ``kms_principal``
(creates IAM roles with inline policies, deletes them afterwards). ``assert_conformant`` checks a
setup file or dict against the documented rules, like ``kms-conformance check``.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import given, settings
from kms_conformance.pytest_plugin import assert_conformant
from kms_conformance.scenarios.steps import new_key
from kms_conformance.strategies import encryption_contexts
from kms_conformance.targets.base import Target


def test_a_grant_lets_a_role_decrypt(kms_target: Target, kms_key: Any, kms_principal: Any) -> None:
    """A role without any KMS permission decrypts once the key's administrator grants it Decrypt
    ("Grants in AWS KMS")."""
    key_arn = kms_key()
    reader = kms_principal(prefix="reader")
    encrypted = kms_target.call("kms", "Encrypt", {"KeyId": key_arn, "Plaintext": b"report"})
    assert encrypted.ok, encrypted.message

    grant = kms_target.call("kms", "CreateGrant", {
        "KeyId": key_arn, "GranteePrincipal": reader, "Operations": ["Decrypt"]})
    assert grant.ok, grant.message
    decrypted = kms_target.call("kms", "Decrypt", {"CiphertextBlob": encrypted.value["CiphertextBlob"],
                                                   "KeyId": key_arn, "GrantTokens": [grant.value["GrantToken"]]},
                                principal=reader)
    assert decrypted.code == "OK"
    assert decrypted.value["Plaintext"] == b"report"


def test_a_role_can_describe_its_key_through_an_identity_policy(kms_target: Target, kms_key: Any,
                                                                kms_principal: Any) -> None:
    """The default key policy delegates to the account, so an identity policy of the role allows it
    ("Default key policy")."""
    key_arn = kms_key()
    policy = {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "kms:DescribeKey", "Resource": key_arn}]}
    auditor = kms_principal({"describe-key": policy}, prefix="auditor")
    described = kms_target.call("kms", "DescribeKey", {"KeyId": key_arn}, principal=auditor)
    assert described.code == "OK"
    assert described.value["KeyMetadata"]["Arn"] == key_arn


@pytest.fixture(scope="module")
def shared_key(kms_target: Target) -> Iterator[str]:
    """One key for a property test's many examples (keys are slow to create on real AWS)."""
    meta = new_key(kms_target, description="example: encryption context property")
    yield str(meta["Arn"])
    kms_target.call("kms", "ScheduleKeyDeletion", {"KeyId": meta["KeyId"], "PendingWindowInDays": 7})


@settings(max_examples=10, deadline=None)
@given(context=encryption_contexts(max_size=3))
def test_decrypt_needs_the_same_encryption_context(kms_target: Target, shared_key: str,
                                                   context: dict[str, str]) -> None:
    """Ciphertext encrypted under an encryption context decrypts with exactly that context and with
    no other ("Encryption context", AWS KMS Developer Guide)."""
    blob = kms_target.call("kms", "Encrypt", {"KeyId": shared_key, "Plaintext": b"x",
                                              "EncryptionContext": context}).value["CiphertextBlob"]
    same = kms_target.call("kms", "Decrypt", {"CiphertextBlob": blob, "KeyId": shared_key,
                                              "EncryptionContext": context})
    assert same.code == "OK"
    other = {**context, "kmsc-extra": "1"}
    assert kms_target.call("kms", "Decrypt", {"CiphertextBlob": blob, "KeyId": shared_key,
                                              "EncryptionContext": other}).code == "InvalidCiphertextException"


ACCOUNT = "111122223333"
KEY_ARN = f"arn:aws:kms:us-east-1:{ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab"
ADMIN = f"arn:aws:iam::{ACCOUNT}:role/Admin"

#: The OpenSearch Serverless setup the team is about to deploy, in the ``kms-conformance check`` format.
COLLECTION_SETUP: dict[str, Any] = {
    "service": "opensearch-serverless",
    "account": ACCOUNT,
    "region": "us-east-1",
    "caller": ADMIN,
    "keys": [{"arn": KEY_ARN, "keyRotationEnabled": True, "policy": {"Version": "2012-10-17", "Statement": [{
        "Sid": "Enable IAM User Permissions", "Effect": "Allow",
        "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"}, "Action": "kms:*", "Resource": "*"}]}}],
    "identityPolicies": {ADMIN: [{"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": ["aoss:*"], "Resource": "*"},
        {"Effect": "Allow", "Action": ["kms:DescribeKey", "kms:CreateGrant"], "Resource": KEY_ARN,
         "Condition": {"StringEquals": {"kms:ViaService": "aoss.us-east-1.amazonaws.com"}}}]}]},
    "request": {
        "CreateSecurityPolicy": [{"name": "logs-encryption", "type": "encryption", "policy": json.dumps({
            "Rules": [{"ResourceType": "collection", "Resource": ["collection/logs*"]}],
            "AWSOwnedKey": False, "KmsARN": KEY_ARN})}],
        "CreateCollection": [{"name": "logs-app"}],
    },
}


def test_the_collection_setup_we_deploy_is_conformant() -> None:
    """``assert_conformant`` fails with the same explanation ``kms-conformance check`` prints;
    ``strict=True`` also fails on a violated recommendation (a ``should`` rule)."""
    findings = assert_conformant(COLLECTION_SETUP, strict=True)
    assert {f.rule.id for f in findings if f.status == "holds"} >= {"AOSS-05", "AOSS-14"}


def test_a_setup_without_the_grant_permission_is_caught() -> None:
    """The same setup, but the deploying role may not create grants on the key: the check catches it."""
    broken = json.loads(json.dumps(COLLECTION_SETUP))
    broken["identityPolicies"][ADMIN][0]["Statement"][1]["Action"] = ["kms:DescribeKey"]
    with pytest.raises(pytest.fail.Exception, match="CreateGrant"):
        assert_conformant(broken)
