"""Signing as a role through shared clients: one boto3 client per service serves every role the
run acts as, each request signed with the credentials of the role the current thread acts as
(used by :class:`kms_conformance.targets.boto.BotoTarget`)."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any


class TargetUnavailable(Exception):
    """The environment failed (no credentials, connection refused, a role that cannot be assumed):
    not a behaviour of the service, so the runner records ``error``."""


class ActingCredentials:
    """The credentials the role clients sign with: those of the role the current thread's call acts
    as (:meth:`acting`), read by botocore when it signs each request (as it reads refreshable
    credentials), so one client per service serves every role. Outside :meth:`acting` there are
    none, and signing fails instead of using another role's."""

    method = "kms-conformance-role"

    def __init__(self) -> None:
        self._local = threading.local()

    def acting(self, frozen: Any) -> _Acting:
        """A context in which this thread's requests are signed with ``frozen`` (botocore's
        ``ReadOnlyCredentials``)."""
        return _Acting(self._local, frozen)

    def get_frozen_credentials(self) -> Any:
        frozen = getattr(self._local, "frozen", None)
        if frozen is None:
            raise TargetUnavailable("a role client was used outside BotoTarget.call: no role to sign as")
        return frozen

    @property
    def access_key(self) -> str:
        return str(self.get_frozen_credentials().access_key)

    @property
    def secret_key(self) -> str:
        return str(self.get_frozen_credentials().secret_key)

    @property
    def token(self) -> str | None:
        return self.get_frozen_credentials().token

    @property
    def account_id(self) -> None:
        return None

    def get_deferred_property(self, name: str) -> Callable[[], Any]:
        return lambda: getattr(self, name, None)


class _Acting:
    def __init__(self, local: threading.local, frozen: Any) -> None:
        self._local, self._frozen = local, frozen

    def __enter__(self) -> None:
        self._previous = getattr(self._local, "frozen", None)
        self._local.frozen = self._frozen

    def __exit__(self, *exc: object) -> None:
        self._local.frozen = self._previous


def role_session(session: Any, credentials: ActingCredentials) -> Any:
    """A boto3 session beside ``session`` (same profile, the same loaded service models) whose clients
    sign with ``credentials``; None when ``session`` has no botocore session to copy (a stand-in)."""
    import boto3
    import botocore.credentials
    import botocore.session

    core = getattr(session, "_session", None)
    if not isinstance(core, botocore.session.Session):
        return None

    class _Provider(botocore.credentials.CredentialProvider):
        METHOD = ActingCredentials.method

        def load(self) -> Any:
            return credentials

    roles = botocore.session.Session(profile=core.profile)
    roles.register_component("data_loader", core.get_component("data_loader"))
    roles.register_component("credential_provider", botocore.credentials.CredentialResolver([_Provider()]))
    return boto3.session.Session(botocore_session=roles)
