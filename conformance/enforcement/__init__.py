"""KMS authorization enforced inside moto: the kit's reference model decides every KMS request a
test sends to moto in process (``mock_aws``, or a moto server in the same process) before moto
executes it.

moto enforces no key policy and no grant: under ``mock_aws`` a role the key policy names nowhere
decrypts. While :func:`enforce` is on, each KMS request is authorized by
:func:`kms_conformance.kms.authorize` from moto's own state, the way AWS decides it: the key policy
(moto's KMS backend), the caller's identity policies (moto's IAM backend: the caller resolved
from the request's access key as moto resolves it), the key's grants and their constraints, and
the ``kms:`` condition keys of the request (:func:`kms_conformance.kms.request_context`). A
request the model refuses gets the error AWS returns, on the wire, so the test's boto3 client
raises a real ``botocore.exceptions.ClientError``: AccessDeniedException, DisabledException,
KMSInvalidStateException, InvalidKeyUsageException (:func:`kms_conformance.kms.keys.state_error`,
:mod:`kms_conformance.enforcement.rules`).

Every request reads moto's state as it is then; what the kit builds from it (a role session's
caller with its parsed policies, the kit's :class:`~kms_conformance.kms.Key`, its grants) is kept
only while the moto objects and texts it was built from are the same ones
(:mod:`kms_conformance.enforcement.state`), so a policy, grant or alias changed in moto counts
from the next request on.

Hook: ``moto.kms.responses.KmsResponse.call_action`` is wrapped while enforcement is on, so every
client sees it, whenever it was created. moto's own partial key policy check (a Deny on
DescribeKey whatever the principal) is switched off meanwhile: the kit's decision replaces it.

Where moto holds state the model cannot read (a policy its parser rejects) the request is left
to moto, and a warning (:class:`EnforcementWarning`) says so once; so does a permissions boundary
or session policy the model does not evaluate, an access key moto cannot attribute, and a KMS
operation the enforcement does not cover.

Example::

    from moto import mock_aws
    from kms_conformance import enforce

    with mock_aws(), enforce() as kms_enforcer:
        ...                                 # boto3 calls as usual
        print(kms_enforcer.last_decision.explain())
"""

from __future__ import annotations

import json
import threading
import warnings
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from kms_conformance import arns
from kms_conformance.enforcement import rules, state
from kms_conformance.enforcement.state import Caller, Unreadable
from kms_conformance.kms import AwsError, Grant, Key, KmsRequest, authorize, parse_grant
from kms_conformance.kms.keys import DEFAULT_KEY_USAGE, state_error
from kms_conformance.policy import Decision, Evaluation, evaluate, make_request
from kms_conformance.policy.model import builder
from moto.core.exceptions import JsonRESTError
from moto.kms.models import kms_backends
from moto.kms.responses import KmsResponse
from moto.kms.utils import _deserialize_ciphertext_blob
from moto.utilities.utils import get_partition

__all__ = ["EnforcementWarning", "Enforcer", "KmsDecision", "enforce"]


class EnforcementWarning(UserWarning):
    """moto state or a request the enforcement cannot decide as AWS would; said once per cause."""


@dataclass(frozen=True)
class KmsDecision:
    """One KMS request as the enforcement decided it. ``operation`` is the API operation
    (``ReEncrypt``), ``action`` the IAM action decided (``kms:ReEncryptFrom``); ``code`` is
    ``"OK"`` or the error code returned to the caller; ``evaluation`` is the model's decision
    with the statements that made it."""

    operation: str
    action: str
    caller: str
    resource: str
    evaluation: Evaluation
    code: str = "OK"
    message: str = ""

    @property
    def allowed(self) -> bool:
        return self.code == "OK"

    def explain(self) -> str:
        """The request, the outcome, then the model's explanation (deciding statements)."""
        outcome = "allowed" if self.allowed else f"{self.code}: {self.message}"
        return f"{self.action} by {self.caller} on {self.resource}: {outcome}\n{self.evaluation.explain()}"


@dataclass
class Enforcer:
    """What :func:`enforce` yields: the decisions made while it was on, newest last."""

    explain_in_message: bool = True
    decisions: list[KmsDecision] = field(default_factory=list)
    warned: set[str] = field(default_factory=set)

    @property
    def last_decision(self) -> KmsDecision | None:
        return self.decisions[-1] if self.decisions else None

    def denied(self) -> list[KmsDecision]:
        """The decisions that refused a request."""
        return [d for d in self.decisions if not d.allowed]

    def clear(self) -> None:
        self.decisions.clear()

    def warn_once(self, text: str) -> None:
        if text not in self.warned:
            self.warned.add(text)
            warnings.warn(f"kms-conformance enforce: {text}", EnforcementWarning, stacklevel=4)


#: :class:`KmsDecision` from every field in order, without the frozen dataclass's ``__init__``
#: (:func:`~kms_conformance.policy.model.builder`): one per KMS request.
_new_decision = builder(KmsDecision)
#: :class:`~kms_conformance.kms.KmsRequest` from every field in order, likewise.
_new_request = builder(KmsRequest)


# -- planning: which requests one API call makes of the model -------------------------------------


@dataclass(frozen=True)
class _Planned:
    request: KmsRequest
    grants: tuple[Grant, ...]


def _context(params: Mapping[str, Any], name: str) -> dict[str, str]:
    raw = params.get(name) or {}
    return {str(k): str(v) for k, v in raw.items()} if isinstance(raw, Mapping) else {}


def _request_alias(key_ref: Any) -> Mapping[str, str | tuple[str, ...]]:
    """kms:RequestAlias when the request names the key by an alias ("kms:RequestAlias")."""
    return _alias_context(key_ref) if isinstance(key_ref, str) else {}


@lru_cache(maxsize=1024)
def _alias_context(key_ref: str) -> Mapping[str, str | tuple[str, ...]]:
    """:func:`_request_alias` of a string, once per distinct KeyId (callers copy it)."""
    if key_ref.startswith("alias/"):
        return {"kms:RequestAlias": key_ref}
    alias = arns.parse_alias_arn(key_ref)
    return {"kms:RequestAlias": alias.resource} if alias is not None else {}


def _on_key(enforcer: Enforcer, operation: str, caller: Caller, moto_key: Any, *,
            context: Mapping[str, str] | None = None, grant: Grant | None = None,
            extra: Mapping[str, str | tuple[str, ...]] | None = None) -> _Planned:
    key = state.kit_key(moto_key)
    grants, problems = state.grants_of(moto_key, key)
    for problem in problems:
        enforcer.warn_once(f"{problem}; the grant is ignored")
    # KmsRequest(operation, caller, key, encryption_context, via_service, grant, extra_context)
    request = _new_request(operation, caller.arn, key, dict(context or {}), None, grant, dict(extra or {}))
    return _Planned(request, grants)


def _ciphertext_key(backend: Any, blob: Any) -> Any | None:
    """The moto key of a moto ciphertext blob (boto3 sends it base64-encoded in the JSON body)."""
    import base64

    try:
        key_id = _deserialize_ciphertext_blob(base64.b64decode(str(blob))).key_id
    except Exception:  # not a moto ciphertext: moto answers InvalidCiphertextException itself
        return None
    return backend.keys.get(key_id)


def _plan(enforcer: Enforcer, operation: str, params: Mapping[str, Any], caller: Caller,
          backend: Any) -> list[_Planned] | None:
    """The model requests of one KMS call; None when the enforcement leaves the call to moto."""
    if operation in rules.KEY_ID_OPERATIONS:
        moto_key = state.find_key(backend, params.get("KeyId", ""),
                                  allow_alias=operation not in ("ListGrants", "RevokeGrant"))
        if moto_key is None:
            return None
        return [_on_key(enforcer, operation, caller, moto_key,
                        context=_context(params, rules.CONTEXT_PARAMETER.get(operation, "EncryptionContext")),
                        extra=_request_alias(params.get("KeyId")))]
    if operation == "Decrypt":
        moto_key = _ciphertext_key(backend, params.get("CiphertextBlob"))
        if moto_key is None:
            return None
        return [_on_key(enforcer, "Decrypt", caller, moto_key, context=_context(params, "EncryptionContext"),
                        extra=_request_alias(params.get("KeyId")))]
    if operation == "ReEncrypt":
        source = _ciphertext_key(backend, params.get("CiphertextBlob"))
        destination = state.find_key(backend, params.get("DestinationKeyId", ""))
        if source is None or destination is None:
            return None
        return [_on_key(enforcer, "ReEncryptFrom", caller, source, context=_context(params, "SourceEncryptionContext"),
                        extra=_request_alias(params.get("SourceKeyId"))),
                _on_key(enforcer, "ReEncryptTo", caller, destination,
                        context=_context(params, "DestinationEncryptionContext"),
                        extra=_request_alias(params.get("DestinationKeyId")))]
    if operation == "CreateGrant":
        moto_key = state.find_key(backend, params.get("KeyId", ""), allow_alias=False)
        if moto_key is None:
            return None
        raw = {k: v for k, v in params.items() if k not in ("GrantTokens", "DryRun", "KeyId")}
        try:
            grant = parse_grant(raw, key_arn=moto_key.arn, key_usage=moto_key.key_usage or DEFAULT_KEY_USAGE)
        except ValueError as exc:
            enforcer.warn_once(f"CreateGrant request the kit rejects ({exc}); left to moto unchecked")
            return None
        return [_on_key(enforcer, "CreateGrant", caller, moto_key, grant=grant)]
    if operation == "RetireGrant":
        found = state.find_grant(backend, token=params.get("GrantToken"), key_ref=params.get("KeyId"),
                                 grant_id=params.get("GrantId"))
        if found is None:
            return None
        moto_key, moto_grant = found
        planned = _on_key(enforcer, "RetireGrant", caller, moto_key)
        grant = state.kit_grant(moto_grant, planned.request.key)
        return [_Planned(KmsRequest(operation="RetireGrant", caller=caller.arn, key=planned.request.key,
                                    grant=grant), planned.grants)]
    if operation in ("CreateAlias", "UpdateAlias"):
        # The key side only: the alias side is an identity-policy permission on the alias ARN.
        moto_key = state.find_key(backend, params.get("TargetKeyId", ""), allow_alias=False)
        return None if moto_key is None else [_on_key(enforcer, operation, caller, moto_key)]
    if operation == "DeleteAlias":
        moto_key = state.find_key(backend, params.get("AliasName", ""))
        return None if moto_key is None else [_on_key(enforcer, operation, caller, moto_key)]
    return None


# -- deciding -------------------------------------------------------------------------------------

_ROOT = Evaluation(Decision.ALLOWED, (), "the account's root user: no identity policy needed for an operation "
                                         "on no key")


def _decide_no_key(enforcer: Enforcer, operation: str, caller: Caller) -> AwsError | None:
    action = f"kms:{operation}"
    evaluation = _ROOT if caller.root else evaluate(make_request(action, "*", caller.arn),
                                                    identity_policies=caller.identity_policies)
    if evaluation.allowed:
        enforcer.decisions.append(KmsDecision(operation, action, caller.arn, "*", evaluation))
        return None
    message = rules.denied_message(caller.arn, action, "*", evaluation, key_policy=None)
    enforcer.decisions.append(KmsDecision(operation, action, caller.arn, "*", evaluation,
                                          "AccessDeniedException", message))
    return AwsError("AccessDeniedException", message)


def _decide(enforcer: Enforcer, operation: str, planned: list[_Planned], caller: Caller) -> AwsError | None:
    """Authorization of every planned request first, then key states, then key usage (the order
    of the reference model's operations)."""
    made: list[KmsDecision] = []
    for p in planned:
        req = p.request
        evaluation = authorize(req, identity_policies=caller.identity_policies, grants=p.grants)
        if not evaluation.allowed:
            key_policy = req.key.policy.name if req.key.policy is not None else None
            message = rules.denied_message(caller.arn, req.action, req.key.arn, evaluation, key_policy=key_policy)
            made.append(KmsDecision(operation, req.action, caller.arn, req.key.arn, evaluation,
                                    "AccessDeniedException", message))
            enforcer.decisions.extend(made)
            return AwsError("AccessDeniedException", message)
        made.append(_new_decision(operation, req.action, caller.arn, req.key.arn, evaluation, "OK", ""))
    checks: list[Callable[[Key, str], AwsError | None]] = [state_error, rules.usage_error]
    for check in checks:
        for index, p in enumerate(planned):
            error = check(p.request.key, p.request.operation)
            if error is not None:
                d = made[index]
                made[index] = KmsDecision(d.operation, d.action, d.caller, d.resource, d.evaluation,
                                          error.code, error.message)
                enforcer.decisions.extend(made)
                return error
    enforcer.decisions.extend(made)
    return None


def check_call(enforcer: Enforcer, operation: str, params: Mapping[str, Any], *, access_key: str,
               account: str, region: str) -> AwsError | None:
    """The error the model returns for one KMS call, or None to let moto execute it."""
    partition = _partition(region)
    try:
        caller = state.resolve_caller(access_key, account, partition)
    except Unreadable as exc:
        enforcer.warn_once(f"{exc}; kms:{operation} left to moto unchecked")
        return None
    if not caller.resolved:
        enforcer.warn_once(f"moto knows no principal for access key {access_key}; treated as the root user "
                           f"of {account}, as moto does")
    for name in caller.unevaluated:
        enforcer.warn_once(f"the {name} is not evaluated; decisions may allow more than AWS would")
    if operation in rules.NO_KEY_OPERATIONS:
        return _decide_no_key(enforcer, operation, caller)
    backend = state.moto_backend(kms_backends, account, region)
    try:
        planned = _plan(enforcer, operation, params, caller, backend)
    except Unreadable as exc:
        enforcer.warn_once(f"{exc}; kms:{operation} left to moto unchecked")
        return None
    if planned is None:
        if not _answered_by_moto(operation):
            enforcer.warn_once(f"kms:{operation} is not covered; moto executes it unchecked")
        return None
    return _decide(enforcer, operation, planned, caller)


@lru_cache(maxsize=64)
def _partition(region: str) -> str:
    return get_partition(region)


def _answered_by_moto(operation: str) -> bool:
    """Covered operations left to moto only because moto will refuse them itself (unknown key,
    bad ciphertext, unknown grant)."""
    return operation in (*rules.KEY_ID_OPERATIONS, "Decrypt", "ReEncrypt", "CreateGrant", "RetireGrant",
                         "CreateAlias", "UpdateAlias", "DeleteAlias")


# -- the hook -------------------------------------------------------------------------------------

_lock = threading.RLock()
_active: list[Enforcer] = []
_originals: dict[str, Any] = {}


def _enforced_call_action(self: KmsResponse) -> Any:
    enforcer = _active[-1] if _active else None
    if enforcer is not None:
        try:
            params = json.loads(self.body or "{}")
        except ValueError:
            params = {}
        error = check_call(enforcer, _operation(self), params if isinstance(params, dict) else {},
                           access_key=self.access_key, account=self.current_account, region=self.region)
        if error is not None:
            message = error.message
            last = enforcer.last_decision
            if enforcer.explain_in_message and error.code == "AccessDeniedException" and last is not None:
                message += f" [kms-conformance: {last.evaluation.reason}]"
            failure = JsonRESTError(error.code, message)
            status, headers, body = self._transform_response(
                self.response_headers, (failure.description, {"status": failure.code}))
            headers, body = self._enrich_response(headers, body)
            return status, headers, body
    return _originals["call_action"](self)


#: The KMS operations the enforcement knows by name (those it decides, and those on no key).
_KNOWN_OPERATIONS = frozenset((*rules.KEY_ID_OPERATIONS, *rules.NO_KEY_OPERATIONS, "Decrypt", "ReEncrypt",
                               "CreateGrant", "RetireGrant", "CreateAlias", "UpdateAlias", "DeleteAlias"))


def _operation(response: KmsResponse) -> str:
    """The KMS operation of a request. KMS speaks the JSON protocol: moto's router takes the
    operation from the ``X-Amz-Target`` header (``TrentService.Encrypt``), through a normalized
    copy of the request; the header is read here directly when it names an operation the
    enforcement knows, and moto's router is asked otherwise."""
    target = response.headers.get("X-Amz-Target") if response.headers is not None else None
    if isinstance(target, str) and target.startswith("TrentService."):
        name = target[len("TrentService."):]
        if name in _KNOWN_OPERATIONS:
            return name
    return response._get_action()


def _skip_moto_policy_check(self: KmsResponse, key_id: str, action: str) -> None:
    """moto's own key policy check, replaced by the kit's decision while enforcement is on."""


def _install() -> None:
    _originals["call_action"] = KmsResponse.call_action
    _originals["_validate_key_policy"] = KmsResponse._validate_key_policy
    KmsResponse.call_action = _enforced_call_action  # type: ignore[method-assign,assignment]
    KmsResponse._validate_key_policy = _skip_moto_policy_check  # type: ignore[method-assign]


def _uninstall() -> None:
    KmsResponse.call_action = _originals.pop("call_action")  # type: ignore[method-assign]
    KmsResponse._validate_key_policy = _originals.pop("_validate_key_policy")  # type: ignore[method-assign]


def is_enforcing() -> bool:
    """Whether an :func:`enforce` block is on."""
    return bool(_active)


@contextmanager
def enforce(*, explain_in_message: bool = True) -> Iterator[Enforcer]:
    """Authorize every KMS request made to moto in this process by the kit's reference model,
    until the block exits; yields the :class:`Enforcer` holding the decisions. Blocks nest (the
    innermost records). ``explain_in_message`` appends the model's reason to the message of a
    refused request, after AWS's own text, in square brackets."""
    enforcer = Enforcer(explain_in_message=explain_in_message)
    with _lock:
        if not _active:
            _install()
        _active.append(enforcer)
    try:
        yield enforcer
    finally:
        with _lock:
            _active.remove(enforcer)
            if not _active:
                _uninstall()
