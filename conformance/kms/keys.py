"""KMS keys of the reference model: identifiers, key specs and usages, key states, the default
key policy (AWS KMS Developer Guide: "Key identifiers (KeyId)", "Key spec reference",
"Default key policy", "Key states of AWS KMS keys", "Multi-Region keys in AWS KMS")."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from kms_conformance import arns
from kms_conformance.kms.errors import AwsError
from kms_conformance.kms.grants import COMMON_OPERATIONS, OPERATIONS_BY_KEY_USAGE

if TYPE_CHECKING:
    from kms_conformance.policy import Policy

#: KeyUsage values each KeySpec accepts in CreateKey ("Key spec reference"; CreateKey: KeyUsage).
#: A pair outside this table is a ValidationException.
KEY_SPEC_USAGES: Mapping[str, tuple[str, ...]] = {
    "SYMMETRIC_DEFAULT": ("ENCRYPT_DECRYPT",),
    "RSA_2048": ("ENCRYPT_DECRYPT", "SIGN_VERIFY"),
    "RSA_3072": ("ENCRYPT_DECRYPT", "SIGN_VERIFY"),
    "RSA_4096": ("ENCRYPT_DECRYPT", "SIGN_VERIFY"),
    "ECC_NIST_P256": ("SIGN_VERIFY", "KEY_AGREEMENT"),
    "ECC_NIST_P384": ("SIGN_VERIFY", "KEY_AGREEMENT"),
    "ECC_NIST_P521": ("SIGN_VERIFY", "KEY_AGREEMENT"),
    "ECC_SECG_P256K1": ("SIGN_VERIFY",),
    "HMAC_224": ("GENERATE_VERIFY_MAC",),
    "HMAC_256": ("GENERATE_VERIFY_MAC",),
    "HMAC_384": ("GENERATE_VERIFY_MAC",),
    "HMAC_512": ("GENERATE_VERIFY_MAC",),
    "SM2": ("ENCRYPT_DECRYPT", "SIGN_VERIFY", "KEY_AGREEMENT"),
    "ML_DSA_44": ("SIGN_VERIFY",),
    "ML_DSA_65": ("SIGN_VERIFY",),
    "ML_DSA_87": ("SIGN_VERIFY",),
}

#: The KeyUsage values CreateKey knows ("CreateKey": KeyUsage).
KEY_USAGES: tuple[str, ...] = ("ENCRYPT_DECRYPT", "SIGN_VERIFY", "GENERATE_VERIFY_MAC", "KEY_AGREEMENT")

#: CreateKey's default KeyUsage when only KeySpec is given: ENCRYPT_DECRYPT where valid
#: ("CreateKey", KeyUsage: "the default value is ENCRYPT_DECRYPT"), which makes e.g. an HMAC key
#: without KeyUsage a ValidationException, as in AWS.
DEFAULT_KEY_USAGE = "ENCRYPT_DECRYPT"

KEY_STATES: tuple[str, ...] = ("Enabled", "Disabled", "PendingDeletion", "PendingImport", "Unavailable",
                               "Creating", "Updating", "PendingReplicaDeletion")
ORIGINS: tuple[str, ...] = ("AWS_KMS", "EXTERNAL", "AWS_CLOUDHSM", "EXTERNAL_KEY_STORE")

#: The cryptographic operations of every key usage ("Key spec reference").
CRYPTOGRAPHIC_OPERATIONS: tuple[str, ...] = tuple(sorted(
    {op for ops in OPERATIONS_BY_KEY_USAGE.values() for op in ops} - set(COMMON_OPERATIONS)))

#: The cryptographic operations, CreateGrant and the rotation switches: a Disabled key refuses them
#: with DisabledException, a key in any other state but Enabled with KMSInvalidStateException
#: ("Key states of AWS KMS keys", notes [1] and [3]).
USE_OPERATIONS: tuple[str, ...] = (*CRYPTOGRAPHIC_OPERATIONS, "CreateGrant", "EnableKeyRotation",
                                   "DisableKeyRotation")

#: Operations a PendingDeletion key refuses with KMSInvalidStateException, a Disabled key accepts.
NOT_PENDING_DELETION: tuple[str, ...] = ("CreateAlias", "UpdateAlias", "DisableKey", "EnableKey",
                                         "ScheduleKeyDeletion", "TagResource", "UntagResource",
                                         "UpdateKeyDescription", "ReplicateKey")


@dataclass(frozen=True)
class Key:
    """One KMS key. Frozen: the world replaces it on every change (state, policy, aliases)."""

    arn: str
    key_id: str
    account: str
    region: str
    key_spec: str = "SYMMETRIC_DEFAULT"
    key_usage: str = "ENCRYPT_DECRYPT"
    origin: str = "AWS_KMS"
    multi_region: bool = False
    state: str = "Enabled"
    policy: Policy | None = None
    aliases: tuple[str, ...] = ()
    policy_text: str = ""
    description: str = ""
    tags: tuple[tuple[str, str], ...] = ()
    creation_date: float = 0.0
    deletion_date: float | None = None
    pending_window_days: int | None = None

    @property
    def symmetric(self) -> bool:
        return self.key_spec == "SYMMETRIC_DEFAULT"

    @property
    def partition(self) -> str:
        parsed = arns.parse_arn(self.arn)
        return parsed.partition if parsed is not None else "aws"


def parse_key_arn(arn: str) -> tuple[str, str, str, str] | None:
    """(partition, region, account, key id) of a key ARN (:func:`kms_conformance.arns.parse_key_arn`),
    or None."""
    parsed = arns.parse_key_arn(arn)
    return (parsed.partition, parsed.region, parsed.account, parsed.resource_id) if parsed else None


def parse_alias_arn(arn: str) -> tuple[str, str, str, str] | None:
    """(partition, region, account, alias name) of an alias ARN
    (:func:`kms_conformance.arns.parse_alias_arn`), or None."""
    parsed = arns.parse_alias_arn(arn)
    return (parsed.partition, parsed.region, parsed.account, parsed.resource) if parsed else None


def _state_words(state: str) -> str:
    """``PendingImport`` -> ``pending import``, as the notes of the key state table word it."""
    return "".join(" " + c.lower() if c.isupper() else c for c in state).strip()


def state_error(key: Key, operation: str) -> AwsError | None:
    """The error the key's state makes ``operation`` fail with, or None ("Key states of AWS KMS
    keys": the key state table and its notes).

    >>> state_error(Key(arn="K", key_id="k", account="a", region="r", state="Disabled"), "Encrypt").code
    'DisabledException'
    >>> state_error(Key(arn="K", key_id="k", account="a", region="r", state="Disabled"), "EnableKey") is None
    True
    """
    if operation in USE_OPERATIONS:
        if key.state == "Disabled":
            return AwsError("DisabledException", f"{key.arn} is disabled.")
        if key.state != "Enabled":
            return AwsError("KMSInvalidStateException", f"{key.arn} is {_state_words(key.state)}.")
    elif operation in NOT_PENDING_DELETION and key.state == "PendingDeletion":
        return AwsError("KMSInvalidStateException", f"{key.arn} is pending deletion.")
    elif operation == "CancelKeyDeletion" and key.state != "PendingDeletion":
        return AwsError("KMSInvalidStateException", f"{key.arn} is not pending deletion.")
    return None


def check_key_spec(key_spec: str, key_usage: str) -> None:
    """CreateKey's validation of KeySpec and KeyUsage ("CreateKey"; "Key spec reference"):
    an unknown value or a pair the spec does not support is a ValidationException."""
    if key_spec not in KEY_SPEC_USAGES:
        raise AwsError("ValidationException", f"KeySpec {key_spec!r} is not a valid key spec")
    if key_usage not in KEY_USAGES:
        raise AwsError("ValidationException", f"KeyUsage {key_usage!r} is not a valid key usage")
    if key_usage not in KEY_SPEC_USAGES[key_spec]:
        raise AwsError("ValidationException",
                       f"KeyUsage {key_usage} is not compatible with KeySpec {key_spec}")


def default_key_policy(account: str, partition: str = "aws") -> dict[str, Any]:
    """The default key policy CreateKey attaches when no policy is given ("Default key policy"):
    the account (its root) gets ``kms:*``, which delegates access to the account's IAM policies."""
    return {
        "Version": "2012-10-17",
        "Id": "key-default-1",
        "Statement": [{
            "Sid": "Enable IAM User Permissions",
            "Effect": "Allow",
            "Principal": {"AWS": arns.root_arn(partition, account)},
            "Action": "kms:*",
            "Resource": "*",
        }],
    }


def algorithms(key: Key) -> dict[str, list[str]]:
    """The algorithm lists DescribeKey reports for the key's spec and usage."""
    if key.key_usage == "ENCRYPT_DECRYPT":
        if key.symmetric:
            return {"EncryptionAlgorithms": ["SYMMETRIC_DEFAULT"]}
        if key.key_spec == "SM2":
            return {"EncryptionAlgorithms": ["SM2PKE"]}
        return {"EncryptionAlgorithms": ["RSAES_OAEP_SHA_1", "RSAES_OAEP_SHA_256"]}
    if key.key_usage == "SIGN_VERIFY":
        if key.key_spec.startswith("RSA"):
            return {"SigningAlgorithms": ["RSASSA_PKCS1_V1_5_SHA_256", "RSASSA_PKCS1_V1_5_SHA_384",
                                          "RSASSA_PKCS1_V1_5_SHA_512", "RSASSA_PSS_SHA_256",
                                          "RSASSA_PSS_SHA_384", "RSASSA_PSS_SHA_512"]}
        if key.key_spec.startswith("ML_DSA"):
            return {"SigningAlgorithms": ["ML_DSA_SHAKE_256"]}
        return {"SigningAlgorithms": ["ECDSA_SHA_256" if key.key_spec in ("ECC_NIST_P256", "ECC_SECG_P256K1")
                                      else "ECDSA_SHA_384" if key.key_spec == "ECC_NIST_P384"
                                      else "SM2DSA" if key.key_spec == "SM2" else "ECDSA_SHA_512"]}
    if key.key_usage == "GENERATE_VERIFY_MAC":
        return {"MacAlgorithms": ["HMAC_SHA_" + key.key_spec.split("_")[1]]}
    return {"KeyAgreementAlgorithms": ["ECDH"]}
