"""Transitional: the forecast model still lives in its spec module."""

from kms_conformance.specs.forecast import OPERATIONS

__all__ = ["OPERATIONS"]
