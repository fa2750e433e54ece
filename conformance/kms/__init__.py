"""The reference model of AWS KMS the documents rely on: keys, key policies, grants, aliases,
key states, KMS authorization and condition keys, and the KMS operations of the model target
(see docs/interfaces.md, section ``kms_conformance.kms``).

The model target's ``kms:*`` handlers are in :func:`kms_conformance.kms.operations.model_handlers`
(the grant operations registered there by :mod:`kms_conformance.kms.grant_operations`, imported
below so that the registry is whole);
roles (``World.roles``) are state here, their IAM and STS operations are
:mod:`kms_conformance.models.iam`.
"""

from kms_conformance.kms import grant_operations  # noqa: F401  (registers the grant operations)
from kms_conformance.kms.authorize import authorize, grantee_matches, identity_allows, names_directly, policy_request
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
from kms_conformance.kms.keys import KEY_SPEC_USAGES, Key, check_key_spec, default_key_policy, state_error
from kms_conformance.kms.operations import KMS_HANDLERS, key_metadata, kms_call
from kms_conformance.kms.world import Role, World

__all__ = [
    "COMMON_OPERATIONS",
    "ENCRYPTION_CONTEXT_OPERATIONS",
    "GRANT_OPERATIONS",
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
    "identity_allows",
    "key_metadata",
    "kms_call",
    "names_directly",
    "parse_grant",
    "policy_request",
    "principal_account",
    "request_context",
    "state_error",
]
