"""boto3 against the reference model, in process: every client call answered by a :class:`ModelTarget`.

``with model_backend() as target:`` routes every botocore client call made in this process (boto3
clients built before or inside the block, with any credentials, endpoint or Region) to the kit's
reference model instead of the network, so code written for boto3 (a reproduction script from
``kms-conformance report repro``, a user's own code) runs where AWS's documented behaviour holds:

* parameters are validated as botocore validates them (``ParamValidationError``);
* a model error (``AwsError``) becomes a ``botocore.exceptions.ClientError`` with the same code and
  message, as AWS's answer would;
* ``sts:AssumeRole`` is authorized by the role's trust policy ("Policy evaluation logic"; the IAM User
  Guide's "AssumeRole" page: a trust policy naming the caller allows by itself, one naming only the
  caller's account needs an identity policy of the caller that allows ``sts:AssumeRole`` too) and
  returns fresh credentials; a later call signed with them is made as the role's session;
* an operation the model lacks raises a ``ClientError`` with the code ``UnsupportedOperation`` (never a
  made-up success).

Calls signed with credentials the backend did not issue are the model's administrator.
"""

from __future__ import annotations

import contextlib
import hashlib
import itertools
import threading
from collections.abc import Iterator, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

from kms_conformance.kms.errors import AwsError
from kms_conformance.policy import evaluate, evaluate_policy, make_request
from kms_conformance.policy.evaluate import names_directly
from kms_conformance.targets.base import UnsupportedOperation
from kms_conformance.targets.model import ModelTarget

__all__ = ["ModelBackend", "model_backend"]

_SESSION_SECONDS = 3600


class ModelBackend:
    """The state behind one :func:`model_backend` block: the model target and the credentials its
    ``sts:AssumeRole`` issued (access key id -> role ARN)."""

    def __init__(self, target: ModelTarget) -> None:
        self.target = target
        self.sessions: dict[str, str] = {}
        self.calls = 0
        self._ids = itertools.count(1)
        self._lock = threading.Lock()

    def principal_of(self, access_key: str | None) -> str | None:
        """The role whose session the credentials are (None: the administrator)."""
        return self.sessions.get(access_key or "")

    def answer(self, service: str, operation: str, params: Mapping[str, Any], principal: str | None) -> dict[str, Any]:
        """The model's response to one call; raises :class:`AwsError` or :class:`UnsupportedOperation`."""
        with self._lock:
            self.calls += 1
            if (service, operation) == ("sts", "AssumeRole"):
                return self._assume_role(params, principal)
            outcome = self.target.call(service, operation, params, principal=principal)
        if not outcome.ok:
            raise AwsError(outcome.code, outcome.message)
        return dict(outcome.value)

    def _assume_role(self, params: Mapping[str, Any], principal: str | None) -> dict[str, Any]:
        world = self.target.world
        role_arn = str(params.get("RoleArn", ""))
        session_name = str(params.get("RoleSessionName", ""))
        caller = world.admin if principal is None else world.session_arn(principal)
        role = world.roles.get(role_arn)
        denied = AwsError("AccessDenied", f"User: {caller} is not authorized to perform: sts:AssumeRole on "
                                          f"resource: {role_arn}")
        if role is None:
            raise denied
        request = make_request("sts:AssumeRole", role_arn, caller)
        trust = evaluate_policy(role.trust, request, check_principal=True)
        if not trust.allowed:
            raise denied
        allowing = {match.index for match in trust.matched}
        named = any(names_directly(stmt, caller) for stmt in role.trust.statements if stmt.index in allowing)
        if not named:
            # The trust policy names only the caller's account: the caller's own policies must allow it.
            identity = evaluate(request, identity_policies=world.identity_policies(caller))
            if not identity.allowed:
                raise denied
        n = next(self._ids)
        digest = hashlib.sha256(f"{role_arn}:{session_name}:{n}".encode()).hexdigest().upper()
        access_key = "ASIA" + digest[:16]
        self.sessions[access_key] = role_arn
        expires = datetime.now(UTC) + timedelta(seconds=_SESSION_SECONDS)
        name = role_arn.rsplit("/", 1)[-1]
        account = role_arn.split(":")[4]
        return {
            "Credentials": {"AccessKeyId": access_key, "SecretAccessKey": digest[16:56],
                            "SessionToken": "FwoG" + digest, "Expiration": expires},
            "AssumedRoleUser": {"AssumedRoleId": f"{role.role_id}:{session_name}",
                                "Arn": f"arn:{world.partition}:sts::{account}:assumed-role/{name}/{session_name}"},
        }


def _access_key(client: Any) -> str | None:
    """The access key id the client signs with (None when it has no credentials)."""
    signer = getattr(client, "_request_signer", None)
    credentials = getattr(signer, "_credentials", None)
    if credentials is None:
        return None
    frozen = credentials.get_frozen_credentials() if hasattr(credentials, "get_frozen_credentials") else credentials
    return getattr(frozen, "access_key", None)


def _client_error(code: str, message: str, operation: str, status: int = 400) -> Exception:
    from botocore.exceptions import ClientError

    response: dict[str, Any] = {"Error": {"Code": code, "Message": message},
                                "ResponseMetadata": {"HTTPStatusCode": status}}
    return ClientError(response, operation)  # type: ignore[arg-type]


@contextlib.contextmanager
def model_backend(target: ModelTarget | None = None) -> Iterator[ModelBackend]:
    """Route every boto3/botocore client call of this process to ``target`` (a fresh
    :class:`ModelTarget` when None) until the block ends.

    >>> import boto3
    >>> with model_backend() as backend:
    ...     kms = boto3.client("kms", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="y")
    ...     key_id = kms.create_key()["KeyMetadata"]["KeyId"]
    ...     kms.describe_key(KeyId=key_id)["KeyMetadata"]["KeyState"]
    'Enabled'
    """
    from botocore.client import BaseClient
    from botocore.validate import validate_parameters

    backend = ModelBackend(target if target is not None else ModelTarget())
    original = getattr(BaseClient, "_make_api_call")  # noqa: B009 (a private attribute the stubs do not declare)

    def make_api_call(client: Any, operation_name: str, api_params: Mapping[str, Any]) -> dict[str, Any]:
        model = client.meta.service_model
        service = model.service_name
        operation_model = model.operation_model(operation_name)
        if operation_model.input_shape is not None:
            validate_parameters(dict(api_params), operation_model.input_shape)
        principal = backend.principal_of(_access_key(client))
        try:
            response = backend.answer(service, operation_name, api_params, principal)
        except AwsError as exc:
            raise _client_error(exc.code, exc.message, operation_name) from None
        except UnsupportedOperation as exc:
            raise _client_error("UnsupportedOperation",
                                f"the reference model has no {service}:{operation_name} ({exc})",
                                operation_name, status=501) from None
        response["ResponseMetadata"] = {"HTTPStatusCode": 200, "RequestId": f"model-{backend.calls}"}
        return response

    setattr(BaseClient, "_make_api_call", make_api_call)  # noqa: B010
    try:
        yield backend
    finally:
        setattr(BaseClient, "_make_api_call", original)  # noqa: B010
