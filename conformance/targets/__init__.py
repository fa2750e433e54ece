"""Where scenarios run: ``model`` (the reference), ``moto`` (in-process) and ``aws`` (any endpoint).

:func:`make_target` builds one from a :class:`TargetConfig`. ``moto`` and ``aws`` are the same
boto3 implementation (:mod:`kms_conformance.targets.boto`); they differ only in the session and the
endpoint: ``moto`` starts ``moto.mock_aws()`` once for the run, ``aws`` uses a profile (optionally
assuming ``--role-arn``) against real AWS or ``--endpoint-url`` (a moto server, LocalStack), and
checks the account against the allow-list before anything is written. ``localstack`` starts
LocalStack on a free loopback port for the run (:mod:`kms_conformance.targets.localstack`), talks to
it as ``aws`` talks to a loopback endpoint, and stops it when the target is closed.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

from kms_conformance.sessions import share_loader
from kms_conformance.targets.base import Target
from kms_conformance.targets.moto_scope import MotoScope
from kms_conformance.targets.moto_speed import CountedPatch

TargetName = Literal["model", "moto", "aws", "localstack"]
TARGETS: tuple[str, ...] = ("model", "moto", "aws", "localstack")

#: moto's CreateKey builds an RSA-2048 private key for every key, symmetric ones included
#: (about 70 ms on the reference machine, measured 2026-11-24): most of a moto run. The moto target
#: makes that key lazy: generated on first use (Sign/Verify/GetPublicKey), so behaviour is unchanged.
MOTO_LAZY_KEYS_NOTE = ("moto's per-key RSA private key is generated lazily, on first use "
                       "(Sign/Verify/GetPublicKey): same behaviour, ~70 ms less per CreateKey")
#: The note when this moto's internals differ from what the patch expects: nothing is patched.
MOTO_LAZY_KEYS_SKIPPED = ("moto's per-key RSA private key is generated eagerly (the lazy-key speed-up does not "
                          "fit this moto version and was not applied; behaviour unaffected, CreateKey slower)")


#: The ``aws`` target on anything but a proven emulator never creates a key whose policy allows
#: ``Principal: "*"`` without a condition (scenarios.steps.new_key): such examples are filtered out.
PUBLIC_POLICY_GUARD_NOTE = ("public-principal guard on: generated key policies that allow Principal \"*\" "
                            "without a condition are filtered out (never sent to the account)")


#: Real AWS applies IAM and KMS permission changes eventually ("Troubleshooting IAM": changes may
#: take a few seconds to propagate). A call made as a role waits this long after the last
#: permission write, so propagation delay is not reported as a divergence. Loopback endpoints: 0.
AWS_SETTLE_SECONDS = 8.0


@dataclass(frozen=True)
class TargetConfig:
    """How to build a target (``kms-conformance run`` options). Never holds credentials."""

    name: str = "moto"
    region: str = "us-east-1"
    endpoint_url: str | None = None
    aws_profile: str | None = None
    role_arn: str | None = None
    run_id: str = "local"
    allow_accounts: frozenset[str] = field(default_factory=frozenset)
    force_production: bool = False
    max_keys: int | None = None
    retry_mode: str = "standard"
    max_attempts: int = 5
    rate_limit: float | None = None
    dry_run: bool = False
    #: Wait after a permission change before calling as a role (IAM and KMS are eventually
    #: consistent). None: AWS_SETTLE_SECONDS against a real endpoint, 0 against loopback.
    settle_seconds: float | None = None
    #: ARN of a managed policy set as the permissions boundary of every role the kit creates.
    permissions_boundary: str | None = None
    #: ``localstack`` target: the Python of the LocalStack install to start (None: $KMS_CONFORMANCE_LOCALSTACK,
    #: else the cached install of ``kms-conformance localstack install``).
    localstack_python: str | None = None

    @property
    def is_reference(self) -> bool:
        """Whether :func:`make_target` builds the reference model from this config (``Target.is_reference``)."""
        return self.name == "model"


def check_config(config: TargetConfig) -> None:
    """Refuse (UsageError) a ``role_arn`` that is not an IAM role ARN or a ``permissions_boundary``
    that is not a managed policy ARN ("IAM identifiers", IAM User Guide)."""
    from kms_conformance.arns import parse_policy_arn, parse_role_arn
    from kms_conformance.errors import UsageError

    if config.permissions_boundary is not None and parse_policy_arn(config.permissions_boundary) is None:
        raise UsageError(f"--permissions-boundary wants a managed policy ARN, got {config.permissions_boundary!r}")
    if config.role_arn is not None and parse_role_arn(config.role_arn) is None:
        raise UsageError(f"--role-arn wants an IAM role ARN, got {config.role_arn!r}")


def make_target(config: TargetConfig, *, session_factory: Callable[..., Any] | None = None,
                prove: Callable[[str | None], str | None] | None = None, moto_scope: MotoScope | None = None) -> Target:
    """Build the target (after :func:`check_config`). ``session_factory(**kwargs)`` (same keywords as
    ``boto3.session.Session``) replaces ``boto3.session.Session`` (tests use it to hand in a fake STS
    without any network); ``prove`` replaces :func:`kms_conformance.safety.prove_emulator` (with it).
    ``moto_scope``: the ``moto`` target runs in this :class:`~kms_conformance.targets.moto_scope.MotoScope`
    (open from the build to :meth:`close`; its owner may close it in between and reopen it around each
    use, as the pytest plugin does)."""
    from kms_conformance.errors import UsageError

    check_config(config)
    if config.name == "model":
        from kms_conformance.targets.model import ModelTarget

        return ModelTarget(region=config.region)
    if config.name == "moto":
        if config.endpoint_url:
            raise UsageError("--endpoint-url goes with --target aws (a moto server is `--target aws --endpoint-url`)")
        return _moto_target(config, moto_scope)
    if config.name == "aws":
        return _aws_target(config, session_factory=session_factory, prove=prove)
    if config.name == "localstack":
        if config.endpoint_url:
            raise UsageError("--endpoint-url goes with --target aws (a running LocalStack is "
                             "`--target aws --endpoint-url`)")
        return _localstack_target(config)
    raise UsageError(f"unknown target {config.name!r}; one of: {', '.join(TARGETS)}")


def client_config(config: TargetConfig) -> Any:
    """The botocore ``Config`` of every client the kit makes for ``config`` (the targets', the sweep's):
    its region, retry mode and attempts, and the endpoint rules below."""
    from botocore.config import Config

    if config.retry_mode not in ("standard", "adaptive", "legacy"):
        from kms_conformance.errors import UsageError

        raise UsageError(f"--retry-mode is standard or adaptive, got {config.retry_mode!r}")
    # --max-attempts counts every attempt, the first included (as AWS_MAX_ATTEMPTS does).
    retries: Any = {"mode": config.retry_mode, "total_max_attempts": config.max_attempts}
    # A custom endpoint (moto server, LocalStack) has no per-operation host names: botocore's host
    # prefix (MWAA's ``api.``/``env.``) would send the call to ``api.127.0.0.1``.
    # Endpoints set per service in the environment or the shared config are ignored: every client goes
    # to the run's one endpoint, the one the account was checked on (safety.check_endpoints_agree).
    # (botocore >= 1.31.7 takes ignore_configured_endpoint_urls; the type stubs do not know it yet)
    return Config(region_name=config.region, retries=retries, inject_host_prefix=not config.endpoint_url,
                  ignore_configured_endpoint_urls=True)  # type: ignore[call-arg]


class _LazyPrivateKey:
    """Stands in for moto's ``AbstractPrivateKey``: builds the real key on first attribute use."""

    def __init__(self, build: Callable[[], Any]) -> None:
        self._build = build
        self._real: Any = None

    def __getattr__(self, name: str) -> Any:
        if self._real is None:
            self._real = self._build()
        return getattr(self._real, name)


def _lazy_patch_applicable(kms_models: Any) -> str | None:
    """Why the lazy-key patch cannot be applied to this moto (``None``: it can). It needs a module-level
    ``generate_private_key`` taking the key spec, which ``Key.__init__`` looks up as a module global
    (moto 5.0 and 5.2 both do); any other layout is left alone."""
    original = getattr(kms_models, "generate_private_key", None)
    if not callable(original):
        return "moto.kms.models has no generate_private_key"
    init = getattr(getattr(kms_models, "Key", None), "__init__", None)
    code = getattr(init, "__code__", None)
    if code is None or "generate_private_key" not in code.co_names:
        return "moto.kms.models.Key.__init__ does not call generate_private_key"
    if getattr(init, "__globals__", None) is not vars(kms_models):
        return "moto.kms.models.Key.__init__ is defined elsewhere"
    return None


def _apply_lazy_keys() -> Callable[[], None] | None:
    import moto.kms.models as kms_models

    if _lazy_patch_applicable(kms_models) is not None:
        return None
    original = kms_models.generate_private_key

    def lazy(key_spec: str, *args: Any, **kwargs: Any) -> Any:
        return _LazyPrivateKey(lambda: original(key_spec, *args, **kwargs))

    kms_models.generate_private_key = lazy

    def restore() -> None:
        kms_models.generate_private_key = original

    return restore


#: moto's per-key private key made lazy, shared by nested moto targets (:func:`_patch_moto_keys`).
_LAZY_KEYS = CountedPatch(_apply_lazy_keys)


def _patch_moto_keys() -> tuple[Callable[[], None], str]:
    """Make moto's per-key private key lazy; returns the function that undoes it and the note for the
    report. Nested moto targets share one patch (reference counted), so closing them in any order
    restores moto. A moto whose internals differ is left unpatched (slower, never broken), and the
    note says so."""
    try:
        import moto.kms.models as kms_models
    except Exception as exc:  # moto without kms, or one that fails to import it: the run reports that itself
        return (lambda: None), f"{MOTO_LAZY_KEYS_SKIPPED} (cannot import moto.kms.models: {type(exc).__name__})"
    if not _LAZY_KEYS.active:
        why_not = _lazy_patch_applicable(kms_models)
        if why_not is not None:
            return (lambda: None), f"{MOTO_LAZY_KEYS_SKIPPED} ({why_not})"
    return _LAZY_KEYS(), MOTO_LAZY_KEYS_NOTE


def _apply_remembered_dispatch() -> Callable[[], None] | None:
    try:
        import moto.core.responses as responses
    except Exception:
        return None
    original = getattr(responses, "method_names_from_class", None)
    if not callable(original):
        return None
    names: dict[Any, list[str]] = {}

    def remembered(clazz: Any) -> list[str]:
        found = names.get(clazz)
        if found is None:
            found = names[clazz] = original(clazz)
        return found

    responses.method_names_from_class = remembered

    def restore() -> None:
        responses.method_names_from_class = original

    return restore


#: Remember, per response class, the method names moto's dispatcher looks each action up in
#: (``moto.core.responses.method_names_from_class`` lists a class's members with ``inspect.getmembers``
#: on every request: about a twentieth of a run on moto). A class's methods do not change while a run
#: uses it. Shared by nested moto targets, undone when the last closes; a moto without that function is
#: left alone. Calling it returns the undo.
_patch_moto_dispatch = CountedPatch(_apply_remembered_dispatch)


def _moto_target(config: TargetConfig, scope: MotoScope | None = None) -> Target:
    import boto3
    import moto
    from kms_conformance.targets.boto import BotoTarget
    from kms_conformance.targets.moto_speed import (
        direct_assume,
        patch_role_lookups,
        share_service_models,
        unchecked_signing,
    )

    mock = scope if scope is not None else MotoScope()
    mock.open()
    undo, lazy_note = _patch_moto_keys()
    undo_dispatch = _patch_moto_dispatch()
    undo_lookups = patch_role_lookups()
    undo_models = share_service_models()

    def stop() -> None:
        undo_models()
        undo_lookups()
        undo_dispatch()
        undo()
        mock.close()

    try:
        session = share_loader(boto3.session.Session(region_name=config.region))
        identity = session.client("sts", region_name=config.region).get_caller_identity()
    except BaseException:
        stop()
        raise
    return BotoTarget(
        "moto", session, region=config.region, run_id=config.run_id, account=str(identity["Account"]),
        client_config=client_config(config), max_keys=config.max_keys, rate_limit=config.rate_limit,
        cleanup=False,  # the mock is discarded at the end of the run
        version=str(moto.__version__), notes=(lazy_note,), stop=stop,
        permissions_boundary=config.permissions_boundary,
        assume=direct_assume(str(identity["Account"]), config.region), client_hook=unchecked_signing())


def _aws_target(config: TargetConfig, *, session_factory: Callable[..., Any] | None,
                prove: Callable[[str | None], str | None] | None = None) -> Target:
    import os
    from dataclasses import replace

    import boto3
    import botocore
    from kms_conformance.errors import UsageError
    from kms_conformance.resources import session_name
    from kms_conformance.safety import (
        check_endpoints_agree,
        configured_endpoints,
        guard_account,
        parse_endpoint,
        prove_emulator,
    )
    from kms_conformance.scrub import scrub_text
    from kms_conformance.targets.boto import BotoTarget, TargetUnavailable

    factory = session_factory or boto3.session.Session
    try:
        session = share_loader(factory(profile_name=config.aws_profile, region_name=config.region))
    except botocore.exceptions.ProfileNotFound as exc:
        raise UsageError(f"--aws-profile: {exc}") from None
    # One endpoint for every service, STS included (DESIGN.md principle 5): --endpoint-url, else the
    # configured global one; a per-service endpoint elsewhere is refused.
    core = getattr(session, "_session", None)
    full = core.full_config if core is not None else {}
    scoped = core.get_scoped_config() if core is not None else {}
    configured, per_service = configured_endpoints(os.environ, full, scoped)
    endpoint = config.endpoint_url or configured
    if endpoint:
        parse_endpoint(endpoint)
    check_endpoints_agree(endpoint, per_service)
    config = replace(config, endpoint_url=endpoint)
    emulator = (prove or prove_emulator)(endpoint) if endpoint else None
    botocore_config = client_config(config)

    def client(sess: Any, service: str) -> Any:
        return sess.client(service, region_name=config.region, endpoint_url=config.endpoint_url,
                           config=botocore_config)

    try:
        if config.role_arn:
            creds = client(session, "sts").assume_role(
                RoleArn=config.role_arn, RoleSessionName=session_name(config.run_id))["Credentials"]
            session = share_loader(factory(aws_access_key_id=creds["AccessKeyId"],
                                           aws_secret_access_key=creds["SecretAccessKey"],
                                           aws_session_token=creds["SessionToken"], region_name=config.region))
        identity = client(session, "sts").get_caller_identity()
    except botocore.exceptions.ClientError as exc:
        err = exc.response.get("Error", {})
        raise TargetUnavailable(f"sts: {err.get('Code')}: {scrub_text(str(err.get('Message', '')))}") from None
    except botocore.exceptions.BotoCoreError as exc:
        raise TargetUnavailable(f"sts: {type(exc).__name__}: {scrub_text(str(exc))}") from None
    except Exception as exc:  # an answer botocore cannot parse (not AWS, not an emulator): one line
        first = scrub_text(str(exc)).splitlines()[0] if str(exc) else ""
        raise TargetUnavailable(f"sts: {type(exc).__name__}: {first}") from None
    aliases: list[str] = []
    if emulator is None:
        try:
            aliases = list(client(session, "iam").list_account_aliases().get("AccountAliases", []))
        except Exception:
            aliases = []
    # Before any write (DESIGN.md principle 5).
    guard_account(identity, allow_accounts=set(config.allow_accounts), endpoint_url=config.endpoint_url,
                  force=config.force_production, account_aliases=aliases, emulator=emulator)
    version = f"botocore {botocore.__version__}" + (f" -> {config.endpoint_url}" if config.endpoint_url else "")
    notes = () if emulator is not None else (PUBLIC_POLICY_GUARD_NOTE,)
    return BotoTarget(
        "aws", session, region=config.region, run_id=config.run_id, account=str(identity["Account"]),
        endpoint_url=config.endpoint_url, client_config=botocore_config, max_keys=config.max_keys,
        rate_limit=config.rate_limit, cleanup=True, version=version, notes=notes,
        assume_retry_seconds=0.0 if emulator is not None else 30.0,
        settle_seconds=config.settle_seconds if config.settle_seconds is not None
        else 0.0 if emulator is not None else AWS_SETTLE_SECONDS,
        permissions_boundary=config.permissions_boundary, public_policy_guard=emulator is None)


#: The credentials the ``localstack`` target signs with (access key id, secret): LocalStack accepts
#: any, and its default account is 000000000000.
LOCALSTACK_CREDENTIALS = ("test", "test")


def _localstack_target(config: TargetConfig) -> Target:
    """Start LocalStack (stopped again when the target closes, or when building it fails), then a boto3
    target on its loopback endpoint: test credentials, no settle wait, no account guard (loopback)."""
    from dataclasses import replace

    import boto3
    from kms_conformance.scrub import scrub_text
    from kms_conformance.targets import localstack
    from kms_conformance.targets.boto import BotoTarget, TargetUnavailable

    try:
        python = localstack.resolve_python(config.localstack_python)
        server = localstack.start(python)
    except localstack.LocalStackError as exc:
        raise TargetUnavailable(str(exc)) from None
    try:
        session = share_loader(boto3.session.Session(aws_access_key_id=LOCALSTACK_CREDENTIALS[0],
                                                     aws_secret_access_key=LOCALSTACK_CREDENTIALS[1],
                                                     region_name=config.region))
        # as for any custom endpoint: no host prefix (MWAA's ``api.`` would go to ``api.127.0.0.1``)
        botocore_config = client_config(replace(config, endpoint_url=server.endpoint_url))
        try:
            identity = session.client("sts", region_name=config.region, endpoint_url=server.endpoint_url,
                                      config=botocore_config).get_caller_identity()
        except Exception as exc:  # ClientError, BotoCoreError, a response botocore cannot parse
            first = scrub_text(str(exc)).splitlines()[0] if str(exc) else ""
            raise TargetUnavailable(f"sts on LocalStack: {type(exc).__name__}: {first}") from None
        return BotoTarget(
            "localstack", session, region=config.region, run_id=config.run_id, account=str(identity["Account"]),
            endpoint_url=server.endpoint_url, client_config=botocore_config, max_keys=config.max_keys,
            rate_limit=config.rate_limit, cleanup=False,  # the server and its state end with the run
            version=server.version, stop=server.stop,
            notes=("LocalStack started for the run on a free loopback port, stopped at its end",),
            settle_seconds=config.settle_seconds or 0.0, permissions_boundary=config.permissions_boundary)
    except BaseException:
        server.stop()
        raise
