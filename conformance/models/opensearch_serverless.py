"""Transitional: the opensearch_serverless model still lives in its spec module."""

from kms_conformance.specs.opensearch_serverless import OPERATIONS

__all__ = ["OPERATIONS"]
