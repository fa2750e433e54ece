"""Transitional: the feature_store model still lives in its spec module."""

from kms_conformance.specs.feature_store import OPERATIONS

__all__ = ["OPERATIONS"]
