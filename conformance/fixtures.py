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
import os
import warnings
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from kms_conformance.check import Finding
    from kms_conformance.setup import Setup
    from kms_conformance.targets import TargetConfig
    from kms_conformance.targets.base import Target

#: The key deletion window the fixtures use: the shortest KMS allows ("ScheduleKeyDeletion").
KEY_DELETION_WINDOW_DAYS = 7


def new_run_id(kind: str) -> str:
    """A run id whose first characters are random (the boto targets name resources after its
    first 8 characters), then what made it and when: ``3f9a1c0e-pytest-20261124T021754``."""
    return f"{os.urandom(4).hex()}-{kind}-{datetime.now(UTC):%Y%m%dT%H%M%S}"


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


@pytest.fixture(scope="session")
def kms_target(request: pytest.FixtureRequest) -> Iterator[Target]:
    """The target of the ``--kms-*`` options (default: ``moto`` in-process, as ``kms-conformance
    run``), built once per session with the same safety checks as the CLI, closed at the end."""
    from kms_conformance.errors import InputError, UsageError
    from kms_conformance.targets import make_target

    run_id = new_run_id("pytest-fixture")
    try:
        target = make_target(options_target_config(request.config, run_id=run_id))
    except (UsageError, InputError) as exc:
        pytest.fail(f"kms-conformance: {exc}", pytrace=False)
    try:
        yield target
    finally:
        target.close()


@pytest.fixture
def kms_key(kms_target: Target) -> Iterator[Callable[..., str]]:
    """A factory of customer managed keys: ``kms_key(policy=None, key_spec=..., key_usage=...,
    multi_region=False, description=...)`` creates a key through the target (the default key
    policy when ``policy`` is None) and returns its ARN. Each key is scheduled for deletion (7 days,
    the shortest window) when the test ends; a key that cannot be is reported as a warning
    (``kms-conformance sweep`` finds it by its run tag)."""
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


def assert_conformant(setup: Setup | Mapping[str, Any] | str | Path, *,
                      rules: Iterable[str] | None = None, strict: bool = False) -> tuple[Finding, ...]:
    """Check a setup (a dict in the ``kms-conformance check`` file format, a path to such a file,
    or a parsed :class:`~kms_conformance.setup.Setup`) against the config rules, as ``kms-conformance
    check`` does. Fails the test, with the text ``check`` prints, when ``check`` would fail (a
    violated ``must`` rule, or a rule that could not be checked) or the setup is malformed; with
    ``strict=True`` a violated ``should`` rule (a warning for ``check``) fails it too. Returns the
    findings otherwise. ``rules``: ids or prefixes (``AOSS-*``)."""
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
