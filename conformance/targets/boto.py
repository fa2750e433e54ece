"""The boto3 target: one implementation behind ``moto`` (in-process) and ``aws`` (any endpoint).

The two targets differ only in how the session and the endpoint are set up
(:func:`kms_conformance.targets.make_target`); everything else lives here once:

* clients are built once per service and reused for the whole run (DESIGN.md principle 7): one
  with the administrator's credentials, one shared by every role; a principal other than the
  administrator is an IAM role, assumed with ``sts:AssumeRole`` (its credentials cached until
  shortly before they expire), and a call made as it is signed with its credentials
  (:class:`ActingCredentials`: building a botocore client costs milliseconds, a run acts as
  hundreds of roles);
* every outcome is normalised: success with the response (``ResponseMetadata`` dropped,
  credentials redacted), an AWS error code, or :class:`UnsupportedOperation` when the endpoint
  lacks the operation (botocore ``UnknownServiceError``, moto's ``NotImplementedError``,
  "Not yet implemented", HTTP 501, a 404 for an unknown URL, an HTTP 5xx whose body names
  ``NotImplementedError`` or says "has not been implemented", a custom endpoint that answers none of
  a service's parameterless ``List*`` calls in AWS's format, a moto server's bare HTTP 500 for an
  operation moto does not implement: see :meth:`BotoTarget.moto_lacks`);
* an unexpected exception inside the service (moto raising ``KeyError``, an HTTP 500) is what the
  target did: ``Outcome(error="InternalFailure")`` with the exception's type and message;
* everything created is tagged with :func:`kms_conformance.resources.creation_tags` (when the
  scenario passed no tags itself) and written into a ledger that :meth:`BotoTarget.close`
  cleans up, both as the table :data:`kms_conformance.resources.KINDS` says (the services'
  resources first, aliases and grants before keys, keys scheduled for deletion with the 7-day
  window, roles last);
* a run-wide cap on keys created (``--max-keys``) and an optional per-service rate limit.

Credentials never appear in an Outcome: responses and messages pass through
:func:`kms_conformance.scrub.scrub_value`.
"""

from __future__ import annotations

import contextlib
import re
import threading
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from kms_conformance.resources import (
    KINDS,
    Kind,
    created_ident,
    creation_tags,
    kind_made_by,
    remove,
    session_name,
    with_tags,
)
from kms_conformance.scrub import scrub_text, scrub_value
from kms_conformance.targets.acting import ActingCredentials, TargetUnavailable, role_session
from kms_conformance.targets.base import Outcome, UnsupportedOperation
from kms_conformance.verdicts import Cleanup, Leftover

#: How many parameterless ``List*`` calls probe whether a custom endpoint offers a service.
PROBES = 12
#: Error codes that describe the environment, not the service's behaviour (after botocore's retries).
ENVIRONMENT_ERRORS = frozenset({
    "Throttling", "ThrottlingException", "TooManyRequestsException", "RequestLimitExceeded",
    "ExpiredToken", "ExpiredTokenException", "InvalidClientTokenId", "UnrecognizedClientException",
    "SignatureDoesNotMatch", "RequestExpired", "ServiceUnavailable", "ServiceUnavailableException",
})
#: Writes that change who may do what; real AWS applies them eventually (IAM and KMS are
#: eventually consistent), so the next call made as a role waits ``settle_seconds`` after them.
PERMISSION_WRITES = frozenset({
    ("iam", "CreateRole"), ("iam", "PutRolePolicy"), ("iam", "DeleteRolePolicy"), ("iam", "AttachRolePolicy"),
    ("iam", "DetachRolePolicy"), ("iam", "UpdateAssumeRolePolicy"), ("kms", "PutKeyPolicy"), ("kms", "CreateGrant"),
    ("kms", "RevokeGrant"), ("kms", "RetireGrant"), ("kms", "CreateKey"),
})
#: What an HTTP 5xx body must say for the failure to count as a missing operation rather than a crash:
#: Python's ``NotImplementedError`` by name, or moto's own wording ("The create_dataset action has not
#: been implemented"). moto's server only puts it in the body when it runs under Werkzeug's debugger; its
#: default answer is a bare HTML 500 that names nothing, which stays an ``InternalFailure``.
_NOT_IMPLEMENTED = (re.compile(r"\bNotImplementedError\b(?::[^<\n]{0,160})?"),
                    re.compile(r"[\w ]{0,120}\bhas not been implemented\b[\w .]{0,60}", re.IGNORECASE))


class KeyBudgetExceeded(Exception):
    """The run has created as many keys as ``--max-keys`` allows; the rule is recorded as ``error``."""


def not_implemented_evidence(body: str) -> str | None:
    """The words of an error body that say the operation is not implemented (see ``_NOT_IMPLEMENTED``),
    trimmed and unescaped for the report; ``None`` when the body does not say so."""
    import html

    text = html.unescape(body)
    for pattern in _NOT_IMPLEMENTED:
        found = pattern.search(text)
        if found is not None:
            return " ".join(found.group(0).split())[:200]
    return None


def _plain(body: str, limit: int = 300) -> str:
    """An HTML error page (moto's server, a proxy) as one line of text, for messages in reports."""
    import html

    if "<" not in body:
        return body
    return " ".join(html.unescape(re.sub(r"<[^>]*>", " ", body)).split())[:limit]


def moto_missing_action(service: str, operation: str) -> str | None:
    """The name of moto's action for ``operation`` (``create_dataset``) when the moto installed here
    has a response class for ``service`` that does not implement it; ``None`` when moto is not
    installed, does not know the service (no ``moto.<service>.responses``), or implements the action.

    Read from moto's own dispatch table: the methods of the service's ``BaseResponse`` subclasses
    (``moto.core.utils.method_names_from_class``), the action named by ``camelcase_to_underscores``.
    """
    import importlib
    import inspect

    try:
        from moto.core.responses import BaseResponse
        from moto.core.utils import camelcase_to_underscores, method_names_from_class
    except ImportError:
        return None
    module_name = "moto." + service.replace("-", "").replace("_", "") + ".responses"
    try:
        module = importlib.import_module(module_name)
    except ImportError:
        return None
    classes = [c for _, c in inspect.getmembers(module, inspect.isclass)
               if issubclass(c, BaseResponse) and c is not BaseResponse and c.__module__ == module.__name__]
    if not classes:
        return None
    action = camelcase_to_underscores(operation)
    if any(action in method_names_from_class(c) for c in classes):
        return None
    return action


@dataclass
class Ledger:
    """What the target created, in creation order (each entry: its kind in
    :data:`kms_conformance.resources.KINDS` and its identifiers), so :meth:`BotoTarget.close` can remove it."""

    entries: list[tuple[Kind, dict[str, str]]] = field(default_factory=list)

    def of(self, name: str) -> list[dict[str, str]]:
        """The identifiers of what was created of the kind ``name``, in creation order."""
        return [ident for kind, ident in self.entries if kind.name == name]

    @property
    def keys(self) -> list[str]:
        return [i["id"] for i in self.of("key")]

    @property
    def aliases(self) -> list[str]:
        return [i["id"] for i in self.of("alias")]

    @property
    def grants(self) -> list[tuple[str, str]]:
        return [(i["key"], i["id"]) for i in self.of("grant")]

    @property
    def roles(self) -> list[str]:
        return [i["id"] for i in self.of("role")]

    def __len__(self) -> int:
        return len(self.entries)

    def removal_order(self) -> list[tuple[Kind, dict[str, str]]]:
        """Everything, in the order of the table's kinds, the newest first within a kind."""
        rank = {id(kind): i for i, kind in enumerate(KINDS)}
        indexed = list(enumerate(self.entries))
        indexed.sort(key=lambda e: (rank.get(id(e[1][0]), len(rank)), -e[0]))
        return [entry for _, entry in indexed]


class _RateLimiter:
    """At most ``rate`` calls per second per service (a minimum interval between calls)."""

    def __init__(self, rate: float | None, clock: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        self.interval = 1.0 / rate if rate else 0.0
        self._last: dict[str, float] = {}
        self._clock = clock
        self._sleep = sleep

    def wait(self, service: str) -> None:
        if not self.interval:
            return
        now = self._clock()
        last = self._last.get(service)
        if last is not None and now - last < self.interval:
            self._sleep(self.interval - (now - last))
            now = self._clock()
        self._last[service] = now


#: The error of a resource a Ctrl-C kept the cleanup from removing.
CLEANUP_INTERRUPTED = "not removed: the cleanup was stopped by Ctrl-C"


class BotoTarget:
    """A :class:`~kms_conformance.targets.base.Target` over boto3.

    ``session`` is the administrator's boto3 session (already pointing at the right profile or
    role); ``client_kwargs`` go to every ``session.client`` call (endpoint URL, botocore config).
    ``stop`` is called by :meth:`close` after cleanup (the moto target stops its mock there).
    ``assume(role_arn, session_name)``, when given, supplies a role's credentials without an
    ``AssumeRole`` request (the moto target: :func:`kms_conformance.targets.moto_speed.direct_assume`);
    ``None`` from it means "make the call". ``client_hook`` is called with each client built (the
    moto target: :func:`kms_conformance.targets.moto_speed.unchecked_signing`).
    """

    is_reference = False

    def __init__(
        self,
        name: str,
        session: Any,
        *,
        region: str,
        run_id: str,
        account: str,
        endpoint_url: str | None = None,
        client_config: Any = None,
        max_keys: int | None = None,
        rate_limit: float | None = None,
        cleanup: bool = True,
        version: str = "",
        notes: tuple[str, ...] = (),
        stop: Callable[[], None] | None = None,
        assume_retry_seconds: float = 0.0,
        settle_seconds: float = 0.0,
        permissions_boundary: str | None = None,
        public_policy_guard: bool = False,
        assume: Callable[[str, str], Mapping[str, Any] | None] | None = None,
        client_hook: Callable[[Any], None] | None = None,
    ) -> None:
        self.name = name
        self.account = account
        self.region = region
        self.run_id = run_id
        self.endpoint_url = endpoint_url
        #: The endpoint the account was checked on (sts:GetCallerIdentity): every client must use it.
        self._checked_endpoint = endpoint_url
        #: Real account: key policies allowing ``Principal: "*"`` without a condition are never sent
        #: (scenarios.steps.new_key filters them out and counts them here).
        self.public_policy_guard = public_policy_guard
        self.public_policies_filtered = 0
        self.ledger = Ledger()
        self.keys_created = 0
        self.clients_built = 0
        self._session = session
        self._client_config = client_config
        self._max_keys = max_keys
        self._shared_keys: Any = None
        self._limiter = _RateLimiter(rate_limit)
        self._cleanup = cleanup
        self._version = version
        self._notes = notes
        self._stop = stop
        self._assume_retry = assume_retry_seconds
        self._settle = settle_seconds
        self._boundary = permissions_boundary
        #: The moto target's way to a role's credentials without a request (moto_speed.direct_assume).
        self._direct_assume = assume
        #: Called with each client built (the moto target: moto_speed.unchecked_signing).
        self._client_hook = client_hook
        self._last_permission_write = float("-inf")
        self._tags = creation_tags(run_id)
        # Random per target instance, not derived from the run id: the worker processes of one run
        # (--workers, pytest-xdist) each build their own target against the same account, and must
        # not pick the same names (EntityAlreadyExists). Facts never depend on names.
        self._token = uuid.uuid4().hex[:6]
        self._clients: dict[tuple[str, str | None], Any] = {}
        self._sessions: dict[str, tuple[dict[str, str], datetime]] = {}
        self._acting = ActingCredentials()
        self._roles: Any = False  # the session of the role clients (role_session), built on first use
        self._counter = 0
        self._lock = threading.Lock()
        self._closed = False
        self.cleanup_failures: list[str] = []
        #: What :meth:`close` removed and left (None until it ran with cleanup on); in :meth:`describe`.
        self.cleanup_result: Cleanup | None = None
        #: Whether a Ctrl-C stopped the cleanup (what it skipped is in :attr:`cleanup_result`).
        self.cleanup_interrupted = False
        self._answered: set[str] = set()  # services that answered in AWS's format at least once
        self._not_offered: set[str] = set()  # services a custom endpoint does not serve
        self._is_moto: bool | None = None  # whether the custom endpoint is a moto server (asked once)
        self._moto_lacks: dict[tuple[str, str], str | None] = {}  # (service, operation) -> evidence

    # -- clients and principals ---------------------------------------------------------------

    def client(self, service: str, principal: str | None = None) -> Any:
        """The (cached) client of ``service``: the administrator's, or with a ``principal`` the one
        client every role shares (:class:`ActingCredentials`; it signs only inside :meth:`call`, as the
        call's principal). Both come from sessions sharing the administrator's loaded service models.
        A stand-in session without botocore's (tests) gets one client per role instead."""
        creds: dict[str, str] = {}
        session, key = self._session, (service, principal)
        if principal is not None:
            if self._roles is False:
                self._roles = role_session(self._session, self._acting)
            if self._roles is not None:
                session, key = self._roles, (service, "<role>")
            else:
                creds = self._principal_credentials(principal)
        client = self._clients.get(key)
        if client is None:
            import botocore.exceptions

            try:
                client = session.client(service, region_name=self.region, endpoint_url=self.endpoint_url,
                                        config=self._client_config, **creds)
            except botocore.exceptions.UnknownServiceError as exc:
                raise UnsupportedOperation(service, "*", "botocore does not know this service") from exc
            self._check_client_endpoint(service, client)
            if self._client_hook is not None:
                self._client_hook(client)
            self.clients_built += 1
            self._clients[key] = client
        return client

    def filtered_public_policy(self) -> None:
        """Count a generated key policy the public-principal guard kept from the account."""
        with self._lock:
            self.public_policies_filtered += 1

    def _check_client_endpoint(self, service: str, client: Any) -> None:
        """Refuse a client that would not talk to the endpoint the account was checked on (DESIGN.md
        principle 5): with a custom endpoint, every service's client must use exactly that one."""
        if self._checked_endpoint is None:
            return
        used = str(getattr(getattr(client, "meta", None), "endpoint_url", "") or "")
        if used.rstrip("/").lower() != self._checked_endpoint.rstrip("/").lower():
            raise TargetUnavailable(f"{service}: its client's endpoint {scrub_text(used)!r} is not the endpoint "
                                    f"the account was checked on ({scrub_text(self._checked_endpoint)}); refusing")

    def _principal_credentials(self, role_arn: str) -> dict[str, str]:
        """The role's temporary credentials as client keywords (cached; renewed before expiry)."""
        cached = self._sessions.get(role_arn)
        now = datetime.now(UTC)
        if cached is not None and cached[1] - now > timedelta(minutes=5):
            return dict(cached[0])
        raw = self._assume(role_arn)
        creds = {"aws_access_key_id": str(raw["AccessKeyId"]), "aws_secret_access_key": str(raw["SecretAccessKey"]),
                 "aws_session_token": str(raw["SessionToken"])}
        expiry = raw.get("Expiration")
        if not isinstance(expiry, datetime):
            expiry = now + timedelta(hours=1)
        elif expiry.tzinfo is None:
            expiry = expiry.replace(tzinfo=UTC)
        self._sessions[role_arn] = (creds, expiry)
        # Clients built with the old credentials are stale.
        for stale in [k for k in self._clients if k[1] == role_arn]:
            del self._clients[stale]
        return dict(creds)

    def _frozen(self, role_arn: str) -> Any:
        """The role's credentials as botocore signs with them."""
        from botocore.credentials import ReadOnlyCredentials

        creds = self._principal_credentials(role_arn)
        return ReadOnlyCredentials(creds["aws_access_key_id"], creds["aws_secret_access_key"],
                                   creds["aws_session_token"])

    def _assume(self, role_arn: str) -> Mapping[str, Any]:
        """``sts:AssumeRole``; a role IAM has not propagated yet is retried for a while (aws only)."""
        import botocore.exceptions

        if self._direct_assume is not None:
            direct = self._direct_assume(role_arn, session_name(self.run_id))
            if direct is not None:
                return dict(direct)
        sts = self.client("sts")
        deadline = time.monotonic() + self._assume_retry
        delay = 1.0
        while True:
            try:
                out = sts.assume_role(RoleArn=role_arn, RoleSessionName=session_name(self.run_id))
                return dict(out["Credentials"])
            except botocore.exceptions.ClientError as exc:
                code = exc.response.get("Error", {}).get("Code", "")
                if code == "AccessDenied" and time.monotonic() < deadline:
                    time.sleep(delay)
                    delay = min(delay * 2, 8.0)
                    continue
                message = scrub_text(str(exc.response.get("Error", {}).get("Message", "")))
                raise TargetUnavailable(f"cannot assume role {role_arn}: {code}: {message}") from None

    # -- the Target protocol ------------------------------------------------------------------

    def call(
        self, service: str, operation: str, params: Mapping[str, Any] | None = None, *, principal: str | None = None
    ) -> Outcome:
        import botocore.exceptions
        from botocore import xform_name

        params = dict(params or {})
        if (service, operation) == ("kms", "CreateKey"):
            self._reserve_key()
        params = with_tags(service, operation, params, self._tags)
        if self._boundary and (service, operation) == ("iam", "CreateRole") and "PermissionsBoundary" not in params:
            # Every role the kit creates is capped by the sandbox's boundary (README, "Real sandbox accounts").
            params = {**params, "PermissionsBoundary": self._boundary}
        frozen = self._frozen(principal) if principal is not None else None
        client = self.client(service, principal)
        if operation not in client.meta.service_model.operation_names:
            raise UnsupportedOperation(service, operation, "not an operation of this service in botocore")
        method = getattr(client, xform_name(operation))
        if principal is not None and self._settle:
            pause = self._last_permission_write + self._settle - time.monotonic()
            if pause > 0:
                time.sleep(pause)
        self._limiter.wait(service)
        acting = self._acting.acting(frozen) if frozen is not None else contextlib.nullcontext()
        try:
            with acting:
                response = method(**params)
        except botocore.exceptions.ClientError as exc:
            return self._client_error(service, operation, exc)
        except botocore.exceptions.ParamValidationError as exc:
            # boto3 validates parameters before sending; AWS answers the same input with a
            # ValidationException, which is what the reference model returns too.
            return Outcome(ok=False, error="ValidationException", message=scrub_text(str(exc)))
        except NotImplementedError as exc:
            raise UnsupportedOperation(service, operation, scrub_text(str(exc)) or "NotImplementedError") from None
        except (botocore.exceptions.NoCredentialsError, botocore.exceptions.EndpointConnectionError,
                botocore.exceptions.ConnectionError) as exc:
            raise TargetUnavailable(f"{service}:{operation}: {type(exc).__name__}: {scrub_text(str(exc))}") from None
        except botocore.exceptions.BotoCoreError as exc:
            raise TargetUnavailable(f"{service}:{operation}: {type(exc).__name__}: {scrub_text(str(exc))}") from None
        except Exception as exc:  # an exception inside the service (moto in-process): what the target did
            return Outcome(ok=False, error="InternalFailure",
                           message=scrub_text(f"{type(exc).__name__}: {exc}"))
        self._answered.add(service)
        if (service, operation) in PERMISSION_WRITES:
            self._last_permission_write = time.monotonic()
        response = dict(response)
        response.pop("ResponseMetadata", None)
        self._record(service, operation, params, response)
        return Outcome(ok=True, value=scrub_value(response))

    def _offered(self, service: str) -> bool:
        """Whether a custom endpoint serves ``service`` at all: it has answered it in AWS's format
        before, or one of its read-only ``List*`` calls without parameters is answered in AWS's
        format (tried once each, without retries, at most :data:`PROBES`; cached per service).
        moto's server answers both an unknown service and an unimplemented operation with a bare
        HTTP 500, so one failing ``List*`` call proves nothing; all of them failing does."""
        if service in self._answered:
            return True
        if service in self._not_offered:
            return False
        import botocore.exceptions
        from botocore import xform_name
        from botocore.config import Config

        probe_config = Config(retries={"total_max_attempts": 1, "mode": "standard"}, inject_host_prefix=False)
        client = self._session.client(service, region_name=self.region, endpoint_url=self.endpoint_url,
                                      config=probe_config)
        model = client.meta.service_model
        probes = [op for op in sorted(model.operation_names) if op.startswith("List")
                  and not (model.operation_model(op).input_shape is not None
                           and model.operation_model(op).input_shape.required_members)][:PROBES]
        if not probes:
            return True  # nothing safe to ask: assume it is offered (the failure stays an InternalFailure)
        for op in probes:
            try:
                getattr(client, xform_name(op))()
            except botocore.exceptions.ClientError as exc:
                err_code = str(exc.response.get("Error", {}).get("Code", "") or "")
                if err_code and not err_code.isdigit():
                    break  # an AWS error: the service is there
                continue
            except Exception:
                continue
            break
        else:
            self._not_offered.add(service)
            return False
        self._answered.add(service)
        return True

    def moto_lacks(self, service: str, operation: str) -> str | None:
        """Why a bare HTTP 5xx of ``service:operation`` from a custom endpoint means "moto does not
        implement it" (the evidence, for the verdict's detail), or ``None``: then it stays a crash.

        moto's server answers an unimplemented operation and a crash inside an implemented one alike:
        the exception escapes Flask and Werkzeug writes its generic "500 Internal Server Error" page,
        with no header or body naming the cause (measured on moto 5.2.6; only a server run under
        Werkzeug's debugger puts the traceback in the body, see :func:`not_implemented_evidence`). No
        single answer tells them apart, so three facts are required, each asked once per target and
        cached per (service, operation):

        1. the endpoint is a moto server: ``GET /moto-api/config`` answers a JSON object (moto's own
           API; AWS, LocalStack's gateway and other proxies have no such path);
        2. moto's dispatcher (``BaseResponse.call_action`` in ``moto/core/responses.py``) raises
           ``NotImplementedError`` for a recognised action that its service's response class lacks,
           before reading any input; the moto installed beside the kit has the service but not the
           action (a server of another moto version is what fact 3 guards against);
        3. the answer does not depend on the input: the same operation sent once more with no
           parameters at all (botocore's validation off, one attempt) is again a bare 5xx. An
           implemented operation reads its input and, given none, answers in AWS's format (a
           validation or not-found error) or crashes on it; an answer in AWS's format refutes the
           evidence, and the original 500 stays an ``InternalFailure``.

        A crash of an operation the installed moto implements never passes fact 2.
        """
        key = (service, operation)
        if key not in self._moto_lacks:
            self._moto_lacks[key] = self._moto_evidence(service, operation)
        return self._moto_lacks[key]

    def _moto_evidence(self, service: str, operation: str) -> str | None:
        if not self._moto_server():
            return None
        action = moto_missing_action(service, operation)
        if action is None:
            return None
        import botocore.exceptions
        from botocore import xform_name
        from botocore.config import Config

        probe_config = Config(retries={"total_max_attempts": 1, "mode": "standard"}, inject_host_prefix=False,
                              parameter_validation=False)
        client = self._session.client(service, region_name=self.region, endpoint_url=self.endpoint_url,
                                      config=probe_config)
        try:
            getattr(client, xform_name(operation))()
        except botocore.exceptions.ClientError as exc:
            code = str(exc.response.get("Error", {}).get("Code", "") or "")
            status = int(exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0) or 0)
            if status >= 500 and (not code or code.isdigit()):
                return (f"moto server (its /moto-api/ answers) answers {operation} with a bare HTTP {status} "
                        f"whatever the input, and moto's {service} has no {action} action "
                        "(moto raises NotImplementedError for it)")
            return None
        except Exception:
            return None  # the probe could not be sent: no evidence
        return None

    def _moto_server(self) -> bool:
        """Whether the custom endpoint is a moto server: its ``/moto-api/config`` answers a JSON
        object (asked once per target, 5 s timeout)."""
        if self._is_moto is None:
            import json
            import urllib.request

            self._is_moto = False
            if self.endpoint_url and self.endpoint_url.startswith(("http://", "https://")):
                try:
                    with urllib.request.urlopen(self.endpoint_url.rstrip("/") + "/moto-api/config",
                                                timeout=5) as answer:
                        self._is_moto = isinstance(json.loads(answer.read(65536) or b"null"), dict)
                except Exception:
                    self._is_moto = False
        return self._is_moto

    def share_key_budget(self, counter: Any) -> None:
        """Count keys in ``counter`` (a ``multiprocessing.Value("i")``) shared by every worker of
        the run, so that ``--max-keys`` caps the run and not each worker."""
        self._shared_keys = counter

    def _reserve_key(self) -> None:
        with self._lock:
            shared = self._shared_keys
            if shared is not None:
                with shared.get_lock():
                    if self._max_keys is not None and shared.value >= self._max_keys:
                        raise KeyBudgetExceeded(f"the run has created {shared.value} keys, the limit set by "
                                                "--max-keys; raise it or select fewer rules")
                    shared.value += 1
            elif self._max_keys is not None and self.keys_created >= self._max_keys:
                raise KeyBudgetExceeded(f"the run has created {self.keys_created} keys, the limit set by --max-keys; "
                                        "raise it or select fewer rules")
            self.keys_created += 1

    def _client_error(self, service: str, operation: str, exc: Any) -> Outcome:
        error = exc.response.get("Error", {})
        code = str(error.get("Code", "") or "")
        message = scrub_text(str(error.get("Message", "") or ""))
        status = int(exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0) or 0)
        if ("not yet implemented" in message.lower() or status == 501 or code in {"NotImplemented", "501"}
                or (code == "404" and status in (0, 404)) or code == "UnknownOperationException"
                or code == "InvalidAction"):
            raise UnsupportedOperation(service, operation, f"{code or status}: {message}".strip(": "))
        if code in ENVIRONMENT_ERRORS:
            raise TargetUnavailable(f"{service}:{operation}: {code}: {message}")
        evidence = not_implemented_evidence(message) if status >= 500 else None
        if evidence is not None:
            raise UnsupportedOperation(service, operation, f"HTTP {status}: {evidence}")
        if status >= 500 and (not code or code.isdigit()):
            lacking = self.moto_lacks(service, operation) if self.endpoint_url else None
            if lacking is not None:
                raise UnsupportedOperation(service, operation, lacking)
            if self.endpoint_url and not self._offered(service):
                # A custom endpoint (moto server, LocalStack) may not offer the service at all: moto
                # 5.2.5's server answers any MWAA URL with a bare HTTP 500.
                raise UnsupportedOperation(service, operation,
                                           f"the endpoint does not offer {service}: HTTP {status}")
            return Outcome(ok=False, error="InternalFailure", message=f"HTTP {status}: {_plain(message)}")
        self._answered.add(service)
        return Outcome(ok=False, error=code or f"HTTP{status}", message=message)

    def _record(self, service: str, operation: str, params: Mapping[str, Any], response: Mapping[str, Any]) -> None:
        """Write what a successful call created into the ledger."""
        kind = kind_made_by(service, operation)
        ident = created_ident(kind, params, response) if kind is not None else None
        if kind is not None and ident is not None:
            self.ledger.entries.append((kind, ident))

    def unique(self, prefix: str) -> str:
        """Fresh names: ``kmsc-<prefix>-<token>-<n>``; the token (6 random hex digits per target instance,
        short because AOSS names are) keeps runs and worker processes apart in an account that is
        never reset. The leading :data:`kms_conformance.resources.NAME_PREFIX` lets ``sweep`` find what
        takes no tags and lets the sandbox role's policy scope roles to ``role/kmsc-*``
        (examples/ci/sandbox-role-policy.json). A prefix that already starts with it is not doubled."""
        from kms_conformance.resources import NAME_PREFIX

        with self._lock:
            self._counter += 1
            n = self._counter
        head = prefix if prefix.lower().startswith(NAME_PREFIX) else f"{NAME_PREFIX}{prefix}"
        return f"{head}-{self._token}-{n}"

    def describe(self) -> Mapping[str, Any]:
        notes = list(self._notes)
        if self.public_policy_guard:
            notes.append(f"public-principal guard: {self.public_policies_filtered} generated key policies "
                         "filtered out")
        described: dict[str, Any] = {"name": self.name, "version": self._version, "endpoint": self.endpoint_url,
                                     "region": self.region, "notes": notes}
        if self.cleanup_result is not None:
            described["cleanup"] = self.cleanup_result
        return described

    def close(self) -> None:
        """Remove what the run created (when cleanup is on), then stop; failures are kept in
        :attr:`cleanup_failures` (``kms-conformance sweep`` finds the leftovers by tag)."""
        if self._closed:
            return
        self._closed = True
        try:
            if self._cleanup:
                self.cleanup_result = self._clean()
                self.cleanup_failures = [f"{item.kind} {item.id}: {item.error}" for item in self.cleanup_result.left]
                if self.cleanup_interrupted:  # Ctrl-C: the caller learns of it once the result is kept
                    raise KeyboardInterrupt
        finally:
            if self._stop is not None:
                self._stop()

    def _clean(self) -> Cleanup:
        """Remove the ledger's resources in the table's order (see :meth:`Ledger.removal_order`);
        what fails is left, with its error (one failure never stops the rest), and stays in the ledger.
        A Ctrl-C (``KeyboardInterrupt``) stops it: the resource it was removing and every one after are
        left as :data:`CLEANUP_INTERRUPTED`, and :attr:`cleanup_interrupted` is set."""
        removed = 0
        left: list[Leftover] = []
        kept: list[tuple[Kind, dict[str, str]]] = []
        order = self.ledger.removal_order()
        for n, entry in enumerate(order):
            kind, ident = entry
            try:
                remove(self.client, kind, ident)
            except KeyboardInterrupt:
                self.cleanup_interrupted = True
                for skipped in order[n:]:
                    kept.append(skipped)
                    left.append(Leftover(f"{skipped[0].service} {skipped[0].name}", skipped[0].show(skipped[1]),
                                         CLEANUP_INTERRUPTED))
                break
            except Exception as exc:
                kept.append(entry)
                left.append(Leftover(f"{kind.service} {kind.name}", kind.show(ident),
                                     f"{type(exc).__name__}: {scrub_text(str(exc))}"))
            else:
                removed += 1
        self.ledger.entries = [e for e in self.ledger.entries if any(e is k for k in kept)]
        return Cleanup(removed=removed, left=tuple(left))
