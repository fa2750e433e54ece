"""Where scenarios run: ``model`` (the reference), ``moto`` (in-process) and ``aws`` (any endpoint).

:func:`make_target` builds one from a :class:`TargetConfig`. ``moto`` and ``aws`` are the same
boto3 implementation (:mod:`kms_conformance.targets.boto`); they differ only in the session and the
endpoint: ``moto`` starts ``moto.mock_aws()`` once for the run, ``aws`` uses a profile (optionally
assuming ``--role-arn``) against real AWS or ``--endpoint-url`` (a moto server, LocalStack), and
checks the account against the allow-list before anything is written.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

from kms_conformance.targets.base import Target

TargetName = Literal["model", "moto", "aws"]
TARGETS: tuple[str, ...] = ("model", "moto", "aws")

#: moto's CreateKey builds an RSA-2048 private key for every key, symmetric ones included
#: (about 70 ms on the reference machine, measured 2026-11-24): most of a moto run. The moto target
#: makes that key lazy: generated on first use (Sign/Verify/GetPublicKey), so behaviour is unchanged.
MOTO_LAZY_KEYS_NOTE = ("moto's per-key RSA private key is generated lazily, on first use "
                       "(Sign/Verify/GetPublicKey): same behaviour, ~70 ms less per CreateKey")
#: The note when this moto's internals differ from what the patch expects: nothing is patched.
MOTO_LAZY_KEYS_SKIPPED = ("moto's per-key RSA private key is generated eagerly (the lazy-key speed-up does not "
                          "fit this moto version and was not applied; behaviour unaffected, CreateKey slower)")


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


def make_target(config: TargetConfig, *, session_factory: Callable[..., Any] | None = None) -> Target:
    """Build the target. ``session_factory(**kwargs)`` (same keywords as ``boto3.session.Session``) replaces
    ``boto3.session.Session`` (tests use it to hand in a fake STS without any network)."""
    from kms_conformance.errors import UsageError

    if config.name == "model":
        from kms_conformance.targets.model import ModelTarget

        return ModelTarget(region=config.region)
    if config.name == "moto":
        if config.endpoint_url:
            raise UsageError("--endpoint-url goes with --target aws (a moto server is `--target aws --endpoint-url`)")
        return _moto_target(config)
    if config.name == "aws":
        return _aws_target(config, session_factory=session_factory)
    raise UsageError(f"unknown target {config.name!r}; one of: {', '.join(TARGETS)}")


def _client_config(config: TargetConfig) -> Any:
    from botocore.config import Config

    if config.retry_mode not in ("standard", "adaptive", "legacy"):
        from kms_conformance.errors import UsageError

        raise UsageError(f"--retry-mode is standard or adaptive, got {config.retry_mode!r}")
    # --max-attempts counts every attempt, the first included (as AWS_MAX_ATTEMPTS does).
    retries: Any = {"mode": config.retry_mode, "total_max_attempts": config.max_attempts}
    # A custom endpoint (moto server, LocalStack) has no per-operation host names: botocore's host
    # prefix (MWAA's ``api.``/``env.``) would send the call to ``api.127.0.0.1``.
    return Config(region_name=config.region, retries=retries, inject_host_prefix=not config.endpoint_url)


class _LazyPrivateKey:
    """Stands in for moto's ``AbstractPrivateKey``: builds the real key on first attribute use."""

    def __init__(self, build: Callable[[], Any]) -> None:
        self._build = build
        self._real: Any = None

    def __getattr__(self, name: str) -> Any:
        if self._real is None:
            self._real = self._build()
        return getattr(self._real, name)


_LAZY_PATCH: dict[str, Any] = {"count": 0, "original": None}


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


def _patch_moto_keys() -> tuple[Callable[[], None], str]:
    """Make moto's per-key private key lazy; returns the function that undoes it and the note for the
    report. Nested moto targets share one patch (reference counted), so closing them in any order
    restores moto. A moto whose internals differ is left unpatched (slower, never broken), and the
    note says so."""
    try:
        import moto.kms.models as kms_models
    except Exception as exc:  # moto without kms, or one that fails to import it: the run reports that itself
        return (lambda: None), f"{MOTO_LAZY_KEYS_SKIPPED} (cannot import moto.kms.models: {type(exc).__name__})"
    if _LAZY_PATCH["count"] == 0:
        why_not = _lazy_patch_applicable(kms_models)
        if why_not is not None:
            return (lambda: None), f"{MOTO_LAZY_KEYS_SKIPPED} ({why_not})"
        original = kms_models.generate_private_key
        _LAZY_PATCH["original"] = original

        def lazy(key_spec: str, *args: Any, **kwargs: Any) -> Any:
            return _LazyPrivateKey(lambda: original(key_spec, *args, **kwargs))

        kms_models.generate_private_key = lazy
    _LAZY_PATCH["count"] += 1
    undone = False

    def undo() -> None:
        nonlocal undone
        if undone:
            return
        undone = True
        _LAZY_PATCH["count"] -= 1
        if _LAZY_PATCH["count"] == 0:
            kms_models.generate_private_key = _LAZY_PATCH["original"]

    return undo, MOTO_LAZY_KEYS_NOTE


def _moto_target(config: TargetConfig) -> Target:
    import boto3
    import moto
    from kms_conformance.targets.boto import BotoTarget
    from moto import mock_aws

    mock = mock_aws()
    mock.start()
    undo, lazy_note = _patch_moto_keys()

    def stop() -> None:
        undo()
        mock.stop()

    try:
        session = boto3.session.Session(region_name=config.region)
        identity = session.client("sts", region_name=config.region).get_caller_identity()
    except BaseException:
        stop()
        raise
    return BotoTarget(
        "moto", session, region=config.region, run_id=config.run_id, account=str(identity["Account"]),
        client_config=_client_config(config), max_keys=config.max_keys, rate_limit=config.rate_limit,
        cleanup=False,  # the mock is discarded at the end of the run
        version=str(moto.__version__), notes=(lazy_note,), stop=stop,
        permissions_boundary=config.permissions_boundary)


def _aws_target(config: TargetConfig, *, session_factory: Callable[..., Any] | None) -> Target:
    import boto3
    import botocore
    from kms_conformance.errors import UsageError
    from kms_conformance.safety import guard_account, is_loopback
    from kms_conformance.targets.boto import BotoTarget, TargetUnavailable, scrub

    factory = session_factory or boto3.session.Session
    try:
        session = factory(profile_name=config.aws_profile, region_name=config.region)
    except botocore.exceptions.ProfileNotFound as exc:
        raise UsageError(f"--aws-profile: {exc}") from None
    client_config = _client_config(config)

    def client(sess: Any, service: str) -> Any:
        return sess.client(service, region_name=config.region, endpoint_url=config.endpoint_url,
                           config=client_config)

    try:
        if config.role_arn:
            creds = client(session, "sts").assume_role(
                RoleArn=config.role_arn, RoleSessionName=f"kmsc-{config.run_id}"[:64])["Credentials"]
            session = factory(aws_access_key_id=creds["AccessKeyId"], aws_secret_access_key=creds["SecretAccessKey"],
                              aws_session_token=creds["SessionToken"], region_name=config.region)
        identity = client(session, "sts").get_caller_identity()
    except botocore.exceptions.ClientError as exc:
        err = exc.response.get("Error", {})
        raise TargetUnavailable(f"sts: {err.get('Code')}: {scrub(str(err.get('Message', '')))}") from None
    except botocore.exceptions.BotoCoreError as exc:
        raise TargetUnavailable(f"sts: {type(exc).__name__}: {scrub(str(exc))}") from None
    aliases: list[str] = []
    if not is_loopback(config.endpoint_url):
        try:
            aliases = list(client(session, "iam").list_account_aliases().get("AccountAliases", []))
        except Exception:
            aliases = []
    # Before any write (DESIGN.md principle 5).
    guard_account(identity, allow_accounts=set(config.allow_accounts), endpoint_url=config.endpoint_url,
                  force=config.force_production, account_aliases=aliases)
    version = f"botocore {botocore.__version__}" + (f" -> {config.endpoint_url}" if config.endpoint_url else "")
    return BotoTarget(
        "aws", session, region=config.region, run_id=config.run_id, account=str(identity["Account"]),
        endpoint_url=config.endpoint_url, client_config=client_config, max_keys=config.max_keys,
        rate_limit=config.rate_limit, cleanup=True, version=version,
        assume_retry_seconds=0.0 if is_loopback(config.endpoint_url) else 30.0,
        settle_seconds=config.settle_seconds if config.settle_seconds is not None
        else 0.0 if is_loopback(config.endpoint_url) else AWS_SETTLE_SECONDS,
        permissions_boundary=config.permissions_boundary)
