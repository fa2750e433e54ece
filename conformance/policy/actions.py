"""IAM actions of AWS KMS ("AWS KMS permissions", AWS KMS Developer Guide: the permissions
reference lists every API operation's action). Used to expand ``kms:*``-style patterns and by
``kms_conformance.strategies.policies.kms_actions``."""

from __future__ import annotations

from functools import lru_cache

from kms_conformance.policy.match import wildcard_match

KMS_ACTIONS: tuple[str, ...] = tuple(
    "kms:" + name
    for name in (
        "CancelKeyDeletion", "ConnectCustomKeyStore", "CreateAlias", "CreateCustomKeyStore", "CreateGrant",
        "CreateKey", "Decrypt", "DeleteAlias", "DeleteCustomKeyStore", "DeleteImportedKeyMaterial",
        "DeriveSharedSecret", "DescribeCustomKeyStores", "DescribeKey", "DisableKey", "DisableKeyRotation",
        "DisconnectCustomKeyStore", "EnableKey", "EnableKeyRotation", "Encrypt", "GenerateDataKey",
        "GenerateDataKeyPair", "GenerateDataKeyPairWithoutPlaintext", "GenerateDataKeyWithoutPlaintext",
        "GenerateMac", "GenerateRandom", "GetKeyPolicy", "GetKeyRotationStatus", "GetParametersForImport",
        "GetPublicKey", "ImportKeyMaterial", "ListAliases", "ListGrants", "ListKeyPolicies",
        "ListKeyRotations", "ListKeys", "ListResourceTags", "ListRetirableGrants", "PutKeyPolicy",
        "ReEncryptFrom", "ReEncryptTo", "ReplicateKey", "RetireGrant", "RevokeGrant", "RotateKeyOnDemand",
        "ScheduleKeyDeletion", "Sign", "SynchronizeMultiRegionKey", "TagResource", "UntagResource",
        "UpdateAlias", "UpdateCustomKeyStore", "UpdateKeyDescription", "UpdatePrimaryRegion", "Verify",
        "VerifyMac",
    )
)


@lru_cache(maxsize=4096)  # a pure function of the pattern: the static checks ask the same few again and again
def expand_kms_actions(pattern: str) -> tuple[str, ...]:
    """The KMS actions an action pattern covers (case-insensitive), e.g. ``kms:ReEncrypt*`` ->
    ``("kms:ReEncryptFrom", "kms:ReEncryptTo")``."""
    return tuple(a for a in KMS_ACTIONS if wildcard_match(pattern, a, ignore_case=True))
