"""Fixtures and an assertion for users' own conformance tests (registered by the pytest plugin).

They need no ``--kms-conformance``: a test that asks for ``kms_target`` gets the target the
``--kms-*`` options describe (default ``moto`` in-process, the same default as
``kms-conformance run``). This module is imported in every pytest run of anyone who installs the
kit, so it imports only pytest and the standard library at import time; the kit's heavier parts
(boto3, moto, the rules) are imported when a fixture is used.

Example (``examples/pytest/test_my_setup.py`` has a complete one)::

    from kms_conformance.pytest_plugin import assert_conformant

    def test_decrypt_is_denied_without_a_grant(kms_target, kms_key, kms_principal):
        reader = kms_principal({"read": {"Version": "2012-10-17", "Statement": [...]}})
        key_arn = kms_key()
        out = kms_target.call("kms", "Decrypt", {...}, principal=reader)
        assert out.code == "AccessDeniedException"

    def test_my_collection_setup():
        assert_conformant("deploy/aoss-setup.json")
"""

from __future__ import annotations

import json
import warnings
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from kms_conformance.check import Finding
    from kms_conformance.enforcement import Enforcer
    from kms_conformance.recording import Recording
    from kms_conformance.setup import Setup
    from kms_conformance.targets import TargetConfig
    from kms_conformance.targets.base import Target

def options_target_config(config: pytest.Config, *, run_id: str) -> TargetConfig:
    """The :class:`~kms_conformance.targets.TargetConfig` the ``--kms-*`` options describe."""
    from kms_conformance.safety import allowed_accounts
    from kms_conformance.targets import TargetConfig

    return TargetConfig(
        name=config.getoption("kms_target"),
        region=config.getoption("kms_region"),
        endpoint_url=config.getoption("kms_endpoint_url"),
        aws_profile=config.getoption("kms_aws_profile"),
        role_arn=config.getoption("kms_role_arn"),
        run_id=run_id,
        max_keys=config.getoption("kms_max_keys"),
        retry_mode=config.getoption("kms_retry_mode"),
        allow_accounts=frozenset(allowed_accounts(config.getoption("kms_allow_account"))),
        force_production=bool(config.getoption("kms_force_production")),
        permissions_boundary=config.getoption("kms_permissions_boundary"),
    )


class ConfinedTarget:
    """A target for a pytest process that runs the user's tests too: a ``moto`` target answers only
    inside :meth:`live` (:class:`~kms_conformance.targets.moto_scope.MotoScope`: no mock started and
    none of the kit's moto state visible anywhere else); any other target is always live."""

    def __init__(self, config: TargetConfig) -> None:
        from kms_conformance.targets import make_target
        from kms_conformance.targets.moto_scope import MotoScope

        self.scope = MotoScope() if config.name == "moto" else None
        self.target = make_target(config, moto_scope=self.scope)
        if self.scope is not None:
            self.scope.close()  # built (its identity read) inside the scope; idle until used

    @contextmanager
    def live(self) -> Iterator[Target]:
        """The target, answering inside the block."""
        if self.scope is None:
            yield self.target
            return
        with self.scope.live():
            yield self.target

    def close(self) -> None:
        """Close the target (inside its scope: closing a moto target closes its scope once)."""
        if self.scope is not None:
            self.scope.open()
        self.target.close()


@pytest.fixture(scope="session")
def _kms_confined_target(request: pytest.FixtureRequest) -> Iterator[ConfinedTarget]:
    """The session's target of the ``--kms-*`` options, built once, idle between the tests using it."""
    from kms_conformance.errors import InputError, UsageError
    from kms_conformance.resources import new_run_id

    run_id = new_run_id("pytest-fixture")
    try:
        confined = ConfinedTarget(options_target_config(request.config, run_id=run_id))
    except (UsageError, InputError) as exc:
        pytest.fail(f"kms-conformance: {exc}", pytrace=False)
    try:
        yield confined
    finally:
        confined.close()


class LiveTarget:
    """The session's target as the ``kms_target`` fixture hands it out: each call runs inside the
    target's scope (a no-op when a test using the fixture already holds it open)."""

    def __init__(self, confined: ConfinedTarget) -> None:
        self._confined = confined
        target = confined.target
        self.name, self.account, self.region = target.name, target.account, target.region
        self.is_reference = target.is_reference

    def call(self, service: str, operation: str, params: Mapping[str, Any] | None = None, *,
             principal: str | None = None) -> Any:
        with self._confined.live() as target:
            return target.call(service, operation, params, principal=principal)

    def unique(self, prefix: str) -> str:
        return self._confined.target.unique(prefix)

    def describe(self) -> Mapping[str, Any]:
        return self._confined.target.describe()

    def close(self) -> None:
        """Closed by the session fixture, not by a test."""

    def __getattr__(self, name: str) -> Any:
        return getattr(self._confined.target, name)


@pytest.fixture(scope="session")
def kms_target(_kms_confined_target: ConfinedTarget) -> Target:
    """The target of the ``--kms-*`` options (default: ``moto`` in-process, as ``kms-conformance
    run``), built once per session with the same safety checks as the CLI, closed at the end. On
    ``moto`` it answers only during the tests that ask for it and inside its own calls (its state
    kept from one to the next, out of every other test's sight: see
    :mod:`kms_conformance.targets.moto_scope`)."""
    return LiveTarget(_kms_confined_target)


@pytest.fixture(autouse=True)
def _kms_target_live(request: pytest.FixtureRequest) -> Iterator[None]:
    """Keeps the kit's moto live for the whole of a test that uses ``kms_target`` (one start and
    stop a test instead of one a call); nothing for any other test."""
    if "kms_target" not in request.fixturenames:
        yield
        return
    confined: ConfinedTarget = request.getfixturevalue("_kms_confined_target")
    with confined.live():
        yield


@pytest.fixture
def kms_key(kms_target: Target) -> Iterator[Callable[..., str]]:
    """A factory of customer managed keys: ``kms_key(policy=None, key_spec=..., key_usage=...,
    multi_region=False, description=...)`` creates a key through the target (the default key
    policy when ``policy`` is None) and returns its ARN. Each key is scheduled for deletion (7 days,
    the shortest window) when the test ends; a key that cannot be is reported as a warning
    (``kms-conformance sweep`` finds it by its run tag)."""
    from kms_conformance.resources import KEY_DELETION_WINDOW_DAYS
    from kms_conformance.scenarios.steps import new_key

    created: list[str] = []

    def make(policy: Mapping[str, Any] | None = None, **kwargs: Any) -> str:
        meta = new_key(kms_target, policy, **kwargs)
        created.append(str(meta["KeyId"]))
        return str(meta["Arn"])

    yield make
    for key_id in created:
        out = kms_target.call("kms", "ScheduleKeyDeletion",
                              {"KeyId": key_id, "PendingWindowInDays": KEY_DELETION_WINDOW_DAYS})
        if not out.ok:
            warnings.warn(f"kms-conformance: could not schedule deletion of key {key_id}: {out.code} {out.message}",
                          stacklevel=1)


@pytest.fixture
def kms_principal(kms_target: Target) -> Iterator[Callable[..., str]]:
    """A factory of principals: ``kms_principal(inline_policies=None, *, services=(), prefix=...)``
    creates an IAM role (trusted by the account and the given service principals) with the inline
    policies ``{name: policy document}`` and returns its ARN, to pass as ``principal=`` to
    ``kms_target.call``. The roles and their policies are deleted when the test ends."""
    from kms_conformance.scenarios.steps import new_role

    created: list[tuple[str, tuple[str, ...]]] = []

    def make(inline_policies: Mapping[str, Mapping[str, Any]] | None = None, *,
             services: Sequence[str] = (), prefix: str = "principal") -> str:
        arn = new_role(kms_target, prefix, services=services, inline_policies=inline_policies)
        created.append((arn.rsplit("/", 1)[-1], tuple(inline_policies or {})))
        return arn

    yield make
    for name, policies in created:
        for policy in policies:
            kms_target.call("iam", "DeleteRolePolicy", {"RoleName": name, "PolicyName": policy})
        out = kms_target.call("iam", "DeleteRole", {"RoleName": name})
        if not out.ok:
            warnings.warn(f"kms-conformance: could not delete role {name}: {out.code} {out.message}", stacklevel=1)


@pytest.fixture
def kms_enforce() -> Iterator[Enforcer]:
    """KMS authorization inside moto for the test (:func:`kms_conformance.enforce`): every KMS
    request the test's code sends to moto in process is decided by the kit's reference model from
    moto's key policies, IAM policies and grants; yields the :class:`~kms_conformance.enforcement.Enforcer`
    (``.last_decision.explain()``, ``.decisions``). ``@pytest.mark.kms_enforce`` and
    ``--kms-enforce`` turn it on without naming the fixture."""
    from kms_conformance.enforcement import enforce

    with enforce() as enforcer:
        yield enforcer


@pytest.fixture
def kms_record() -> Iterator[Recording]:
    """The AWS calls the test's code sends through botocore (:func:`kms_conformance.record`), on any
    target (it only observes); ``assert_conformant(kms_record)`` checks them against the pages'
    rules and names the call that broke one."""
    from kms_conformance.recording import record

    with record() as recording:
        yield recording


def _assert_recording(recording: Recording, rules: Iterable[str] | None, strict: bool) -> tuple[Finding, ...]:
    from kms_conformance.errors import InputError
    from kms_conformance.recording import check_recording, format_call_findings, nothing_recorded
    from kms_conformance.rules import catalogue, select

    empty = nothing_recorded(recording)
    if empty is not None:
        pytest.fail(f"kms-conformance: {empty}", pytrace=False)
    try:
        selected = None if rules is None else select(catalogue(), ids=tuple(rules))
        found = check_recording(recording, rules=selected)
    except (InputError, ValueError) as exc:
        pytest.fail(f"kms-conformance: the recorded calls: {exc}", pytrace=False)
    if any(f.finding.fails or (strict and f.finding.status == "violated") for f in found):
        pytest.fail(format_call_findings(found, strict=strict), pytrace=False)
    return tuple(f.finding for f in found)


def assert_conformant(setup: Setup | Mapping[str, Any] | str | Path | Recording, *,
                      rules: Iterable[str] | None = None, strict: bool = False) -> tuple[Finding, ...]:
    """Check a setup (a dict in the ``kms-conformance check`` file format, a path to such a file,
    or a parsed :class:`~kms_conformance.setup.Setup`) against the config rules, as ``kms-conformance
    check`` does. Fails the test, with the text ``check`` prints, when ``check`` would fail (a
    violated ``must`` rule, or a rule that could not be checked) or the setup is malformed; with
    ``strict=True`` a violated ``should`` rule (a warning for ``check``) fails it too. Returns the
    findings otherwise. ``rules``: ids or prefixes (``AOSS-*``).

    A :class:`~kms_conformance.recording.Recording` (the ``kms_record`` fixture) is checked as the
    setups its calls describe, each failure naming its call: ``FS-06 fails:
    sagemaker:CreateFeatureGroup (call 4): ...``; a recording without any service request fails."""
    from kms_conformance.recording import Recording as RecordingValue

    if isinstance(setup, RecordingValue):
        return _assert_recording(setup, rules, strict)
    from kms_conformance.check import check_setup, format_findings, ok
    from kms_conformance.errors import InputError
    from kms_conformance.rules import catalogue, select
    from kms_conformance.setup import Setup as SetupValue
    from kms_conformance.setup import load_setup, parse_setup

    try:
        if isinstance(setup, SetupValue):
            parsed = setup
        elif isinstance(setup, str | Path):
            parsed = load_setup(setup)
        else:
            parsed = parse_setup(json.loads(json.dumps(setup)), source="<assert_conformant>")
        selected = None if rules is None else select(catalogue(), ids=tuple(rules))
        findings = check_setup(parsed, selected)
    except (InputError, ValueError) as exc:
        pytest.fail(f"kms-conformance: {exc}", pytrace=False)
    if not ok(findings) or (strict and any(f.status == "violated" for f in findings)):
        pytest.fail(format_findings(findings), pytrace=False)
    return findings
