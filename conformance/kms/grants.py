"""KMS grants: the CreateGrant request shape, which operations a grant can give, and whether a
grant allows one request (AWS KMS Developer Guide: "Grants in AWS KMS", "Grant constraints",
"Retiring and revoking grants", "Controlling access to grants"; API Reference: "CreateGrant",
"GrantConstraints").
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from kms_conformance.arns import parse_key_arn, root_arn
from kms_conformance.policy.model import builder

#: The grant operations CreateGrant accepts ("Grants in AWS KMS", "Grant operations"). Everything
#: else (ListGrants, RevokeGrant, PutKeyPolicy, ScheduleKeyDeletion, ...) a grant can never allow.
GRANT_OPERATIONS: tuple[str, ...] = (
    "Decrypt", "Encrypt", "GenerateDataKey", "GenerateDataKeyWithoutPlaintext", "GenerateDataKeyPair",
    "GenerateDataKeyPairWithoutPlaintext", "ReEncryptFrom", "ReEncryptTo", "Sign", "Verify", "GetPublicKey",
    "GenerateMac", "VerifyMac", "DeriveSharedSecret", "CreateGrant", "RetireGrant", "DescribeKey",
)

#: Operations that take an encryption context: the cryptographic operations of symmetric
#: encryption keys. Grant constraints apply only to these ("GrantConstraints": "Grant constraints
#: are not applied to operations that do not support an encryption context, such as ...
#: DescribeKey or RetireGrant").
ENCRYPTION_CONTEXT_OPERATIONS: tuple[str, ...] = (
    "Decrypt", "Encrypt", "GenerateDataKey", "GenerateDataKeyWithoutPlaintext", "GenerateDataKeyPair",
    "GenerateDataKeyPairWithoutPlaintext", "ReEncryptFrom", "ReEncryptTo",
)

#: Grant operations valid on every key.
COMMON_OPERATIONS: tuple[str, ...] = ("CreateGrant", "RetireGrant", "DescribeKey")

#: Grant operations a key of each KeyUsage supports ("CreateGrant": an operation the key type does
#: not support is a ValidationException).
OPERATIONS_BY_KEY_USAGE: Mapping[str, tuple[str, ...]] = {
    "ENCRYPT_DECRYPT": ENCRYPTION_CONTEXT_OPERATIONS + COMMON_OPERATIONS,
    "SIGN_VERIFY": ("Sign", "Verify", "GetPublicKey", *COMMON_OPERATIONS),
    "GENERATE_VERIFY_MAC": ("GenerateMac", "VerifyMac", *COMMON_OPERATIONS),
    "KEY_AGREEMENT": ("DeriveSharedSecret", "GetPublicKey", *COMMON_OPERATIONS),
}

_NAME = re.compile(r"^[a-zA-Z0-9:/_-]{1,256}$")


@dataclass(frozen=True)
class Grant:
    """One grant. ``encryption_context_equals`` / ``_subset`` are tuples of (key, value) pairs
    (at most one of them is set); ``issuing_account`` is ``arn:aws:iam::ACCOUNT:root``."""

    grant_id: str
    key_arn: str
    grantee: str
    operations: tuple[str, ...]
    retiring_principal: str | None = None
    name: str | None = None
    encryption_context_equals: tuple[tuple[str, str], ...] | None = None
    encryption_context_subset: tuple[tuple[str, str], ...] | None = None
    issuing_account: str = ""
    creation_date: float = 0.0

    @property
    def constrained(self) -> bool:
        return self.encryption_context_equals is not None or self.encryption_context_subset is not None

    def to_api(self) -> dict[str, Any]:
        """The grant as ListGrants returns it (a ``GrantListEntry``)."""
        out: dict[str, Any] = {
            "KeyId": self.key_arn, "GrantId": self.grant_id, "GranteePrincipal": self.grantee,
            "IssuingAccount": self.issuing_account, "Operations": list(self.operations),
        }
        if self.name is not None:
            out["Name"] = self.name
        if self.retiring_principal is not None:
            out["RetiringPrincipal"] = self.retiring_principal
        if self.encryption_context_equals is not None:
            out["Constraints"] = {"EncryptionContextEquals": dict(self.encryption_context_equals)}
        elif self.encryption_context_subset is not None:
            out["Constraints"] = {"EncryptionContextSubset": dict(self.encryption_context_subset)}
        return out


def _context(raw: Any, where: str) -> tuple[tuple[str, str], ...]:
    """A constraint's pairs: 1 to 8 of them, values up to 384 characters ("CreateGrant", Constraints)."""
    if not isinstance(raw, Mapping) or not raw:
        raise ValueError(f"{where} must be a non-empty map of strings to strings")
    if len(raw) > 8:
        raise ValueError(f"{where} holds {len(raw)} pairs; a constraint takes at most 8")
    for k, v in raw.items():
        if not isinstance(k, str) or not isinstance(v, str):
            raise ValueError(f"{where} must map strings to strings (got {k!r}: {v!r})")
        if len(v) > 384:
            raise ValueError(f"{where}: the value of {k!r} is longer than 384 characters")
    return tuple(sorted(raw.items()))


def _principal(raw: Any, field: str) -> str:
    if not isinstance(raw, str) or not raw.strip():
        raise ValueError(f"{field} must be a non-empty string (an ARN, an account id or a service principal)")
    return raw


def parse_grant(raw: Mapping[str, Any], *, key_arn: str | None = None, key_usage: str | None = None) -> Grant:
    """A :class:`Grant` from a CreateGrant request (``KeyId``, ``GranteePrincipal``, ``Operations``,
    ``RetiringPrincipal``, ``Constraints``, ``Name``; a ListGrants entry's ``GrantId`` and
    ``IssuingAccount`` are kept when present). ``key_arn`` overrides ``KeyId``; ``key_usage``,
    when known, restricts the operations to those the key type supports.

    Raises ValueError naming the field on: a missing grantee, empty or unknown or repeated
    operations, both constraints at once, an empty constraint, a constraint on a grant with an
    operation that takes no encryption context ("CreateGrant", Constraints), a bad Name.
    A grant without ``GrantId`` gets a stable id derived from its content.
    """
    if not isinstance(raw, Mapping):
        raise ValueError("a grant must be a JSON object in the CreateGrant request shape")
    unknown = [] if raw.keys() <= _GRANT_FIELDS else sorted(set(raw) - _GRANT_FIELDS)
    if unknown:
        raise ValueError(f"unknown grant field(s): {', '.join(unknown)}")
    key = key_arn if key_arn is not None else raw.get("KeyId")
    if not isinstance(key, str) or not key:
        raise ValueError("KeyId must name the KMS key (key ARN)")
    grantee = _principal(raw.get("GranteePrincipal"), "GranteePrincipal")
    ops = raw.get("Operations")
    if not isinstance(ops, Sequence) or isinstance(ops, str) or not ops:
        raise ValueError("Operations must be a non-empty list of grant operations")
    for op in ops:
        if op not in GRANT_OPERATIONS:
            raise ValueError(f"Operations: {op!r} is not a grant operation; valid: {', '.join(GRANT_OPERATIONS)}")
    if len(set(ops)) != len(ops):
        raise ValueError("Operations: an operation is listed twice")
    if key_usage is not None:
        valid = OPERATIONS_BY_KEY_USAGE.get(key_usage, ())
        bad = [op for op in ops if op not in valid]
        if bad:
            raise ValueError(f"Operations: {', '.join(bad)} not valid for a key with KeyUsage {key_usage}")
    retiring = raw.get("RetiringPrincipal")
    if retiring is not None:
        retiring = _principal(retiring, "RetiringPrincipal")
    equals = subset = None
    constraints = raw.get("Constraints")
    if constraints is not None:
        if not isinstance(constraints, Mapping):
            raise ValueError("Constraints must be an object")
        extra = sorted(set(constraints) - {"EncryptionContextEquals", "EncryptionContextSubset"})
        if extra:
            raise ValueError(f"Constraints: unknown constraint(s) {', '.join(extra)}")
        if "EncryptionContextEquals" in constraints and "EncryptionContextSubset" in constraints:
            raise ValueError("Constraints: give EncryptionContextEquals or EncryptionContextSubset, not both")
        if "EncryptionContextEquals" in constraints:
            equals = _context(constraints["EncryptionContextEquals"], "Constraints.EncryptionContextEquals")
        elif "EncryptionContextSubset" in constraints:
            subset = _context(constraints["EncryptionContextSubset"], "Constraints.EncryptionContextSubset")
        if equals is not None or subset is not None:
            bad = [op for op in ops if op not in ENCRYPTION_CONTEXT_OPERATIONS + COMMON_OPERATIONS]
            if bad:
                raise ValueError(f"Constraints: an encryption context constraint cannot go with {', '.join(bad)} "
                                 "(operations that take no encryption context)")
    name = raw.get("Name")
    if name is not None and (not isinstance(name, str) or not _NAME.match(name)):
        raise ValueError(f"Name {name!r} must be 1-256 characters of [a-zA-Z0-9:/_-]")
    issuing = raw.get("IssuingAccount")
    if not isinstance(issuing, str) or not issuing:
        parsed = parse_key_arn(key)
        issuing = root_arn(parsed.partition, parsed.account) if parsed is not None else ""
    grant_id = raw.get("GrantId")
    if not isinstance(grant_id, str) or not grant_id:
        canonical = json.dumps({k: raw[k] for k in sorted(raw) if k != "GrantTokens"}, sort_keys=True, default=str)
        grant_id = hashlib.sha256((key + canonical).encode()).hexdigest()
    return _new_grant(grant_id, key, grantee, tuple(ops), retiring, name, equals, subset, issuing, 0.0)


_GRANT_FIELDS = frozenset(("KeyId", "GranteePrincipal", "Operations", "RetiringPrincipal", "Constraints", "Name",
                           "GrantTokens", "GrantId", "IssuingAccount", "CreationDate", "DryRun"))
_new_grant = builder(Grant)  # every field in order: a batch parses a grant a line


def _folded(context: Mapping[str, str] | Sequence[tuple[str, str]]) -> dict[str, str]:
    items = context.items() if isinstance(context, Mapping) else context
    return {k.lower(): v for k, v in items}


def constraints_met(grant: Grant, operation: str, encryption_context: Mapping[str, str]) -> bool:
    """Whether the grant's constraint lets ``operation`` with ``encryption_context`` through
    ("GrantConstraints"): EncryptionContextEquals: the request's context is exactly the grant's
    pairs; EncryptionContextSubset: the grant's pairs are all in the request's context (which may
    have more). In a grant constraint the *key* of each pair is not case sensitive, the *value*
    is ("GrantConstraints", Important box). Constraints do not apply to operations that take no
    encryption context (DescribeKey, RetireGrant, CreateGrant)."""
    if operation not in ENCRYPTION_CONTEXT_OPERATIONS or not grant.constrained:
        return True
    request = _folded(encryption_context)
    if grant.encryption_context_equals is not None:
        return request == _folded(grant.encryption_context_equals)
    assert grant.encryption_context_subset is not None
    return all(request.get(k) == v for k, v in _folded(grant.encryption_context_subset).items())


def at_least_as_strict(child: Grant, parent: Grant) -> bool:
    """A grantee who got CreateGrant from ``parent`` may create ``child`` only with the same or
    fewer operations and constraints at least as strict ("Grants in AWS KMS", "Grant
    operations", CreateGrant: the grantee "can create a grant with permissions that are equal to
    or less than" its own)."""
    if not set(child.operations) <= set(parent.operations):
        return False
    if parent.encryption_context_equals is not None:
        return (child.encryption_context_equals is not None
                and _folded(child.encryption_context_equals) == _folded(parent.encryption_context_equals))
    if parent.encryption_context_subset is not None:
        need = _folded(parent.encryption_context_subset)
        have = child.encryption_context_equals or child.encryption_context_subset
        if have is None:
            return False
        got = _folded(have)
        return all(got.get(k) == v for k, v in need.items())
    return True
