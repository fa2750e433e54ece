"""What a KMS request needs besides authorization, and what AWS answers when it is refused: the
key usages operations accept, and the AccessDeniedException's message. The key states they accept
are the reference model's own check, :func:`kms_conformance.kms.keys.state_error`.

Sources: AWS KMS Developer Guide, "Key states of AWS KMS keys" (the key state table and its notes:
DisabledException for a disabled key, KMSInvalidStateException for a key pending deletion);
"Key spec reference" and the API Reference of each cryptographic operation (a key whose KeyUsage
does not support the operation: InvalidKeyUsageException); IAM User Guide, "Troubleshoot access
denied error messages" (the shape ``User: ARN is not authorized to perform: ACTION on resource:
ARN because no resource-based policy allows the ACTION action``, and ``with an explicit deny in a
resource-based policy`` / ``identity-based policy``).
"""

from __future__ import annotations

from collections.abc import Mapping

from kms_conformance.kms import OPERATIONS_BY_KEY_USAGE, AwsError, Key
from kms_conformance.kms.keys import CRYPTOGRAPHIC_OPERATIONS
from kms_conformance.policy import Decision, Evaluation

#: Operations that take one key in ``KeyId`` and are authorized as ``kms:<Operation>`` on it.
#: CreateGrant, Decrypt, ReEncrypt, RetireGrant and the alias operations are planned apart.
KEY_ID_OPERATIONS: tuple[str, ...] = (
    "Encrypt", "GenerateDataKey", "GenerateDataKeyWithoutPlaintext", "GenerateDataKeyPair",
    "GenerateDataKeyPairWithoutPlaintext", "Sign", "Verify", "GetPublicKey", "GenerateMac", "VerifyMac",
    "DeriveSharedSecret", "DescribeKey", "GetKeyPolicy", "PutKeyPolicy", "ListKeyPolicies", "EnableKey",
    "DisableKey", "ScheduleKeyDeletion", "CancelKeyDeletion", "EnableKeyRotation", "DisableKeyRotation",
    "GetKeyRotationStatus", "RotateKeyOnDemand", "ListKeyRotations", "UpdateKeyDescription", "TagResource",
    "UntagResource", "ListResourceTags", "ListGrants", "RevokeGrant", "ReplicateKey",
)

#: Operations on no key: authorized by the caller's identity policies alone (resource ``*``).
NO_KEY_OPERATIONS: tuple[str, ...] = ("CreateKey", "ListKeys", "ListAliases", "GenerateRandom",
                                      "ListRetirableGrants")

#: Operations whose request carries an encryption context (condition keys, grant constraints).
CONTEXT_PARAMETER: Mapping[str, str] = {
    "Encrypt": "EncryptionContext", "Decrypt": "EncryptionContext", "GenerateDataKey": "EncryptionContext",
    "GenerateDataKeyWithoutPlaintext": "EncryptionContext", "GenerateDataKeyPair": "EncryptionContext",
    "GenerateDataKeyPairWithoutPlaintext": "EncryptionContext",
}

#: Operations only a symmetric encryption key supports ("GenerateDataKey", "GenerateDataKeyPair":
#: "you must specify a symmetric encryption KMS key").
SYMMETRIC_ONLY: tuple[str, ...] = ("GenerateDataKey", "GenerateDataKeyWithoutPlaintext", "GenerateDataKeyPair",
                                   "GenerateDataKeyPairWithoutPlaintext")


def usage_error(key: Key, operation: str) -> AwsError | None:
    """InvalidKeyUsageException when the key's KeyUsage (or, for data keys, its spec) does not
    support the cryptographic ``operation``; None otherwise (and for non-cryptographic ones)."""
    if operation not in CRYPTOGRAPHIC_OPERATIONS:
        return None
    usable = operation in OPERATIONS_BY_KEY_USAGE.get(key.key_usage, ())
    if operation in SYMMETRIC_ONLY:
        usable = usable and key.symmetric
    if usable:
        return None
    return AwsError("InvalidKeyUsageException",
                    f"{key.arn} key usage is {key.key_usage} which is not valid for {operation}.")


def denied_message(caller: str, action: str, resource: str, evaluation: Evaluation, *,
                   key_policy: str | None) -> str:
    """AccessDeniedException's message in AWS's shape ("Troubleshoot access denied error
    messages"). ``key_policy`` is the name the key policy's statements carry in ``evaluation``."""
    head = f"User: {caller} is not authorized to perform: {action} on resource: {resource}"
    if evaluation.decision is Decision.EXPLICITLY_DENIED:
        if any(m.policy == key_policy for m in evaluation.matched):
            return f"{head} with an explicit deny in a resource-based policy"
        return f"{head} with an explicit deny in an identity-based policy"
    if key_policy is None or "delegates to the account" in evaluation.reason:
        return f"{head} because no identity-based policy allows the {action} action"
    return f"{head} because no resource-based policy allows the {action} action"
