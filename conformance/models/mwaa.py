"""Transitional: the mwaa model still lives in its spec module."""

from kms_conformance.specs.mwaa import OPERATIONS

__all__ = ["OPERATIONS"]
