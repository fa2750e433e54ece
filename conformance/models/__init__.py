"""The reference behaviour of each service, as moto keeps it: state apart from the wire.

One module per service (``iam`` for IAM and STS, ``cloudtrail`` for the event history,
``forecast``, ``feature_store``, ``opensearch_serverless``, ``mwaa``); KMS is
:mod:`kms_conformance.kms`, which owns its own operations. Each module holds its service's state
(kept in ``World.services``), its operation handlers (an
:class:`~kms_conformance.models.registry.Operations` table) and the parsing of that service's
requests; it knows no rule. :func:`operations` joins every table into the one the model target
dispatches on.
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from functools import cache

from kms_conformance.models.registry import ModelHandler, Operations

#: The service model modules, each with an ``OPERATIONS`` table.
SERVICE_MODELS = ("iam", "cloudtrail", "forecast", "feature_store", "opensearch_serverless", "mwaa")


@cache
def operations() -> Mapping[tuple[str, str], ModelHandler]:
    """Every reference-model handler by ``(boto3 service, operation)``: KMS's and each service's.
    A pair registered by two tables is an error, never first-come-wins."""
    from kms_conformance.kms.operations import model_handlers

    table: dict[tuple[str, str], ModelHandler] = {}
    sources = [model_handlers()]
    for name in SERVICE_MODELS:
        module = importlib.import_module(f"kms_conformance.models.{name}")
        ops: Operations = module.OPERATIONS
        sources.append(ops.handlers)
    for source in sources:
        for key, handler in source.items():
            if key in table:
                raise ValueError(f"model handler for {key[0]}:{key[1]} registered twice")
            table[key] = handler
    return table


__all__ = ["SERVICE_MODELS", "ModelHandler", "Operations", "operations"]
