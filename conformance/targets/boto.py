"""The boto3 target: one implementation behind ``moto`` (in-process) and ``aws`` (any endpoint).

The two targets differ only in how the session and the endpoint are set up
(:func:`kms_conformance.targets.make_target`); everything else lives here once:

* clients are built once per (service, principal) and reused for the whole run (DESIGN.md
  principle 7); a principal other than the administrator is an IAM role, assumed with
  ``sts:AssumeRole`` and cached until shortly before its credentials expire;
* every outcome is normalised: success with the response (``ResponseMetadata`` dropped,
  credentials redacted), an AWS error code, or :class:`UnsupportedOperation` when the endpoint
  lacks the operation (botocore ``UnknownServiceError``, moto's ``NotImplementedError``,
  "Not yet implemented", HTTP 501, a 404 for an unknown URL, an HTTP 5xx whose body names
  ``NotImplementedError`` or says "has not been implemented", a custom endpoint that answers none of
  a service's parameterless ``List*`` calls in AWS's format);
* an unexpected exception inside the service (moto raising ``KeyError``, an HTTP 500) is what the
  target did: ``Outcome(error="InternalFailure")`` with the exception's type and message;
* everything created is tagged with :func:`kms_conformance.resources.creation_tags` (when the
  scenario passed no tags itself) and written into a ledger that :meth:`BotoTarget.close`
  cleans up (aliases and grants first, keys scheduled for deletion with the 7-day window);
* a run-wide cap on keys created (``--max-keys``) and an optional per-service rate limit.

Credentials never appear in an Outcome: response fields that carry them are replaced by
``<redacted>`` and access key ids are masked in messages.
"""

from __future__ import annotations

import re
import threading
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import Any

from kms_conformance.resources import creation_tags, iam_tags, kms_tags
from kms_conformance.targets.base import Outcome, UnsupportedOperation

#: Response fields that carry secrets, replaced by this marker in every Outcome.
REDACTED = "<redacted>"
_SECRET_FIELDS = frozenset({"SecretAccessKey", "SessionToken", "AccessKeyId", "Password"})
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
_ACCESS_KEY = re.compile(r"\b(AKIA|ASIA)[A-Z0-9]{12,}\b")
#: What an HTTP 5xx body must say for the failure to count as a missing operation rather than a crash:
#: Python's ``NotImplementedError`` by name, or moto's own wording ("The create_dataset action has not
#: been implemented"). moto's server only puts it in the body when it runs under Werkzeug's debugger; its
#: default answer is a bare HTML 500 that names nothing, which stays an ``InternalFailure``.
_NOT_IMPLEMENTED = (re.compile(r"\bNotImplementedError\b(?::[^<\n]{0,160})?"),
                    re.compile(r"[\w ]{0,120}\bhas not been implemented\b[\w .]{0,60}", re.IGNORECASE))


class KeyBudgetExceeded(Exception):
    """The run has created as many keys as ``--max-keys`` allows; the rule is recorded as ``error``."""


class TargetUnavailable(Exception):
    """The environment failed (no credentials, connection refused, a role that cannot be assumed):
    not a behaviour of the service, so the runner records ``error``."""


def scrub(value: Any) -> Any:
    """A copy of a response with credentials removed (recursively) and access key ids masked."""
    if isinstance(value, Mapping):
        return {k: (REDACTED if k in _SECRET_FIELDS else scrub(v)) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [scrub(v) for v in value]
    if isinstance(value, str):
        return _ACCESS_KEY.sub(REDACTED, value)
    return value


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


@dataclass
class Ledger:
    """What the target created, in creation order, so :meth:`BotoTarget.close` can remove it."""

    keys: list[str] = field(default_factory=list)
    aliases: list[str] = field(default_factory=list)
    grants: list[tuple[str, str]] = field(default_factory=list)  # (key id, grant id)
    roles: list[str] = field(default_factory=list)
    other: list[tuple[str, str, dict[str, Any]]] = field(default_factory=list)  # (service, op, params)

    def __len__(self) -> int:
        return len(self.keys) + len(self.aliases) + len(self.grants) + len(self.roles) + len(self.other)


def _with_tags(service: str, operation: str, params: dict[str, Any], tags: Mapping[str, str]) -> dict[str, Any]:
    """Add the run's tags to a create call that takes tags, unless the scenario passed its own
    (a scenario's tags may be what a rule is about, e.g. an ``aws:TagKeys`` condition)."""
    if (service, operation) == ("kms", "CreateKey") and "Tags" not in params:
        return {**params, "Tags": kms_tags(tags)}
    if (service, operation) == ("iam", "CreateRole") and "Tags" not in params:
        return {**params, "Tags": iam_tags(tags)}
    if (service, operation) == ("opensearchserverless", "CreateCollection") and "tags" not in params:
        return {**params, "tags": [{"key": k, "value": v} for k, v in tags.items()]}
    if (service, operation) == ("mwaa", "CreateEnvironment") and "Tags" not in params:
        return {**params, "Tags": dict(tags)}
    if (service, operation) == ("sagemaker", "CreateFeatureGroup") and "Tags" not in params:
        return {**params, "Tags": iam_tags(tags)}
    return params


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


class BotoTarget:
    """A :class:`~kms_conformance.targets.base.Target` over boto3.

    ``session`` is the administrator's boto3 session (already pointing at the right profile or
    role); ``client_kwargs`` go to every ``session.client`` call (endpoint URL, botocore config).
    ``stop`` is called by :meth:`close` after cleanup (the moto target stops its mock there).
    """

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
    ) -> None:
        self.name = name
        self.account = account
        self.region = region
        self.run_id = run_id
        self.endpoint_url = endpoint_url
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
        self._last_permission_write = float("-inf")
        self._tags = creation_tags(run_id)
        # Random per target instance, not derived from the run id: the worker processes of one run
        # (--workers, pytest-xdist) each build their own target against the same account, and must
        # not pick the same names (EntityAlreadyExists). Facts never depend on names.
        self._token = uuid.uuid4().hex[:6]
        self._clients: dict[tuple[str, str | None], Any] = {}
        self._sessions: dict[str, tuple[dict[str, str], datetime]] = {}
        self._counter = 0
        self._lock = threading.Lock()
        self._closed = False
        self.cleanup_failures: list[str] = []
        self._answered: set[str] = set()  # services that answered in AWS's format at least once
        self._not_offered: set[str] = set()  # services a custom endpoint does not serve

    # -- clients and principals ---------------------------------------------------------------

    def client(self, service: str, principal: str | None = None) -> Any:
        """The (cached) client of ``service`` acting as ``principal``.

        Role clients come from the administrator's session with the role's temporary credentials,
        so they share its loaded service models (a fresh boto3 session per role costs ~0.3 s)."""
        creds = {} if principal is None else self._principal_credentials(principal)
        key = (service, principal)
        client = self._clients.get(key)
        if client is None:
            import botocore.exceptions

            try:
                client = self._session.client(service, region_name=self.region, endpoint_url=self.endpoint_url,
                                              config=self._client_config, **creds)
            except botocore.exceptions.UnknownServiceError as exc:
                raise UnsupportedOperation(service, "*", "botocore does not know this service") from exc
            self.clients_built += 1
            self._clients[key] = client
        return client

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

    def _assume(self, role_arn: str) -> Mapping[str, Any]:
        """``sts:AssumeRole``; a role IAM has not propagated yet is retried for a while (aws only)."""
        import botocore.exceptions

        sts = self.client("sts")
        deadline = time.monotonic() + self._assume_retry
        delay = 1.0
        while True:
            try:
                out = sts.assume_role(RoleArn=role_arn, RoleSessionName=f"kmsc-{self.run_id}"[:64])
                return dict(out["Credentials"])
            except botocore.exceptions.ClientError as exc:
                code = exc.response.get("Error", {}).get("Code", "")
                if code == "AccessDenied" and time.monotonic() < deadline:
                    time.sleep(delay)
                    delay = min(delay * 2, 8.0)
                    continue
                raise TargetUnavailable(f"cannot assume role {role_arn}: {code}: "
                                        f"{scrub(exc.response.get('Error', {}).get('Message', ''))}") from None

    # -- the Target protocol ------------------------------------------------------------------

    def call(
        self, service: str, operation: str, params: Mapping[str, Any] | None = None, *, principal: str | None = None
    ) -> Outcome:
        import botocore.exceptions
        from botocore import xform_name

        params = dict(params or {})
        if (service, operation) == ("kms", "CreateKey"):
            self._reserve_key()
        params = _with_tags(service, operation, params, self._tags)
        if self._boundary and (service, operation) == ("iam", "CreateRole") and "PermissionsBoundary" not in params:
            # Every role the kit creates is capped by the sandbox's boundary (README, "Real sandbox accounts").
            params = {**params, "PermissionsBoundary": self._boundary}
        client = self.client(service, principal)
        if operation not in client.meta.service_model.operation_names:
            raise UnsupportedOperation(service, operation, "not an operation of this service in botocore")
        method = getattr(client, xform_name(operation))
        if principal is not None and self._settle:
            pause = self._last_permission_write + self._settle - time.monotonic()
            if pause > 0:
                time.sleep(pause)
        self._limiter.wait(service)
        try:
            response = method(**params)
        except botocore.exceptions.ClientError as exc:
            return self._client_error(service, operation, exc)
        except botocore.exceptions.ParamValidationError as exc:
            # boto3 validates parameters before sending; AWS answers the same input with a
            # ValidationException, which is what the reference model returns too.
            return Outcome(ok=False, error="ValidationException", message=scrub(str(exc)))
        except NotImplementedError as exc:
            raise UnsupportedOperation(service, operation, scrub(str(exc)) or "NotImplementedError") from None
        except (botocore.exceptions.NoCredentialsError, botocore.exceptions.EndpointConnectionError,
                botocore.exceptions.ConnectionError) as exc:
            raise TargetUnavailable(f"{service}:{operation}: {type(exc).__name__}: {scrub(str(exc))}") from None
        except botocore.exceptions.BotoCoreError as exc:
            raise TargetUnavailable(f"{service}:{operation}: {type(exc).__name__}: {scrub(str(exc))}") from None
        except Exception as exc:  # an exception inside the service (moto in-process): what the target did
            return Outcome(ok=False, error="InternalFailure",
                           message=scrub(f"{type(exc).__name__}: {exc}"))
        self._answered.add(service)
        if (service, operation) in PERMISSION_WRITES:
            self._last_permission_write = time.monotonic()
        response = dict(response)
        response.pop("ResponseMetadata", None)
        self._record(service, operation, params, response)
        return Outcome(ok=True, value=scrub(response))

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
        message = scrub(str(error.get("Message", "") or ""))
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
        led = self.ledger
        if service == "kms":
            if operation == "CreateKey":
                led.keys.append(str(response["KeyMetadata"]["KeyId"]))
            elif operation == "CreateAlias":
                led.aliases.append(str(params["AliasName"]))
            elif operation == "CreateGrant":
                led.grants.append((str(params["KeyId"]), str(response.get("GrantId", ""))))
        elif (service, operation) == ("iam", "CreateRole"):
            led.roles.append(str(params["RoleName"]))
        elif (service, operation) == ("opensearchserverless", "CreateCollection"):
            detail = response.get("createCollectionDetail", {})
            led.other.append((service, "DeleteCollection", {"id": detail.get("id", "")}))
        elif (service, operation) == ("opensearchserverless", "CreateSecurityPolicy"):
            led.other.append((service, "DeleteSecurityPolicy", {"name": params["name"], "type": params["type"]}))
        elif (service, operation) == ("mwaa", "CreateEnvironment"):
            led.other.append((service, "DeleteEnvironment", {"Name": params["Name"]}))
        elif (service, operation) == ("sagemaker", "CreateFeatureGroup"):
            led.other.append((service, "DeleteFeatureGroup", {"FeatureGroupName": params["FeatureGroupName"]}))
        elif service == "forecast" and operation.startswith("Create"):
            arn = next((v for k, v in response.items() if k.endswith("Arn") and isinstance(v, str)), None)
            if arn:
                led.other.append((service, "DeleteResourceTree", {"ResourceArn": arn}))

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
        return {"name": self.name, "version": self._version, "endpoint": self.endpoint_url,
                "region": self.region, "notes": list(self._notes)}

    def close(self) -> None:
        """Remove what the run created (when cleanup is on), then stop; failures are kept in
        :attr:`cleanup_failures` (``kms-conformance sweep`` finds the leftovers by tag)."""
        if self._closed:
            return
        self._closed = True
        try:
            if self._cleanup:
                self.cleanup_failures = self._clean()
        finally:
            if self._stop is not None:
                self._stop()

    def _clean(self) -> list[str]:
        """Aliases and grants first, then service resources, keys (7-day window) and roles."""
        failures: list[str] = []

        def attempt(what: str, fn: Callable[[], Any]) -> None:
            try:
                fn()
            except Exception as exc:
                failures.append(f"{what}: {type(exc).__name__}: {scrub(str(exc))}")

        from botocore import xform_name

        kms = self.client("kms")
        for alias in reversed(self.ledger.aliases):
            attempt(f"delete alias {alias}", partial(kms.delete_alias, AliasName=alias))
        for key_id, grant_id in reversed(self.ledger.grants):
            attempt(f"revoke grant {grant_id}", partial(kms.revoke_grant, KeyId=key_id, GrantId=grant_id))
        for service, op, params in reversed(self.ledger.other):
            attempt(f"{service}:{op}", partial(getattr(self.client(service), xform_name(op)), **params))
        for key_id in reversed(self.ledger.keys):
            attempt(f"schedule deletion of key {key_id}",
                    partial(kms.schedule_key_deletion, KeyId=key_id, PendingWindowInDays=7))
        iam = self.client("iam")
        for role in reversed(self.ledger.roles):
            def drop(r: str = role) -> None:
                for name in iam.list_role_policies(RoleName=r).get("PolicyNames", []):
                    iam.delete_role_policy(RoleName=r, PolicyName=name)
                for att in iam.list_attached_role_policies(RoleName=r).get("AttachedPolicies", []):
                    iam.detach_role_policy(RoleName=r, PolicyArn=att["PolicyArn"])
                iam.delete_role(RoleName=r)

            attempt(f"delete role {role}", drop)
        return failures

