"""The reference model of AWS KMS the documents rely on: keys, key policies, grants, aliases,
key states, KMS authorization and condition keys, and the KMS/IAM/STS operations of the model
target (see docs/interfaces.md, section ``kms_conformance.kms``).

The model target's ``kms:*``, ``iam:*`` and ``sts:GetCallerIdentity``
handlers in :func:`kms_conformance.kms.operations.model_handlers`.
"""

from kms_conformance.kms.authorize import authorize, grantee_matches, names_directly, policy_request
from kms_conformance.kms.context import KmsRequest, principal_account, request_context
from kms_conformance.kms.errors import AwsError
from kms_conformance.kms.grants import (
    COMMON_OPERATIONS,
    ENCRYPTION_CONTEXT_OPERATIONS,
    GRANT_OPERATIONS,
    OPERATIONS_BY_KEY_USAGE,
    Grant,
    constraints_met,
    parse_grant,
)
from kms_conformance.kms.keys import KEY_SPEC_USAGES, Key, check_key_spec, default_key_policy
from kms_conformance.kms.operations import IAM_HANDLERS, KMS_HANDLERS, iam_call, key_metadata, kms_call
from kms_conformance.kms.world import Role, World

__all__ = [
    "COMMON_OPERATIONS",
    "ENCRYPTION_CONTEXT_OPERATIONS",
    "GRANT_OPERATIONS",
    "IAM_HANDLERS",
    "KEY_SPEC_USAGES",
    "KMS_HANDLERS",
    "OPERATIONS_BY_KEY_USAGE",
    "AwsError",
    "Grant",
    "Key",
    "KmsRequest",
    "Role",
    "World",
    "authorize",
    "check_key_spec",
    "constraints_met",
    "default_key_policy",
    "grantee_matches",
    "iam_call",
    "key_metadata",
    "kms_call",
    "names_directly",
    "parse_grant",
    "policy_request",
    "principal_account",
    "request_context",
]
