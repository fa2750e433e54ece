"""IAM (roles, inline policies) and STS GetCallerIdentity in the reference model."""

from __future__ import annotations

from kms_conformance.models.registry import Operations

OPERATIONS = Operations()
