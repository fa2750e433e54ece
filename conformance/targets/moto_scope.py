"""moto in process, live only where the kit asks for it, its state kept apart from everyone else's.

``moto.mock_aws`` is process-wide: while one is started, every botocore client of the process is
answered by moto (its stubber is a built-in handler of every botocore session), the environment
holds moto's fake credentials, ``boto3.DEFAULT_SESSION`` is replaced, and moto's backends (the
``BackendDict`` of each service, one per process) hold whatever anyone created. A target that kept
a mock started from its build to its close would therefore run a pytest session's *other* tests on
moto too: a user's un-mocked test gets moto's account, and a user's ``@mock_aws`` test, nested
inside the kit's mock, neither starts from empty backends nor empties them when it ends (moto only
resets when its outermost mock starts and stops).

:class:`MotoScope` is the kit's moto made local in time and in state:

* :meth:`MotoScope.open` starts a ``mock_aws`` without resetting, then swaps moto's backends: what
  they held (whatever a user's test left) is put aside and the kit's own state from its previous
  scope is put back; :meth:`MotoScope.close` swaps back and stops the mock without removing data.
  Between two scopes the process has no mock started and moto's backends hold only what they held
  before the kit's scope, so a user's ``mock_aws`` starts and ends exactly as it would without the
  kit, and never sees a key, role or feature group the kit created.
* The kit's own resources survive from one scope to the next (its cached role sessions, its shared
  keys): the run still never resets state per example.

Why not the kit's own moto server on 127.0.0.1 instead: a server in the same process answers from
the same process-global backends, which a user's ``mock_aws`` resets when it starts and stops, so
the kit's state would vanish under it; and a server changes how moto's exceptions reach the kit
(a bare HTTP 500 instead of the exception), so the plugin's verdicts would differ from those of
``kms-conformance run --target moto``. Swapping the backends keeps the in-process semantics.

Scopes nest (a reference count): only the outermost open and close swap and start or stop.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

__all__ = ["MotoScope", "moto_patch_active"]

_LOCK = threading.Lock()


def _take_backends() -> list[tuple[Any, dict[str, Any]]]:
    """Empty every moto backend in use and return what each held (nothing is reset: the backend
    objects themselves are kept, so they can be put back as they were)."""
    from moto.core.base_backend import BackendDict

    instances: list[Any] = BackendDict._instances  # type: ignore[misc]
    taken = [(backend, dict(backend.items())) for backend in list(instances)]
    for backend, _ in taken:
        dict.clear(backend)
    instances.clear()
    return taken


def _put_backends(state: list[tuple[Any, dict[str, Any]]]) -> None:
    """Put back what :func:`_take_backends` took (the backends are empty when this is called)."""
    from moto.core.base_backend import BackendDict

    instances: list[Any] = BackendDict._instances  # type: ignore[misc]
    for backend, content in state:
        dict.update(backend, content)
        if content and backend not in instances:
            instances.append(backend)


def moto_patch_active() -> bool:
    """True while some ``mock_aws`` is started in this process (moto answers every botocore client)."""
    try:
        from moto.core.models import MockAWS, botocore_stubber
    except ImportError:  # no moto: nothing can be patched
        return False
    return bool(MockAWS._nested_count) or bool(botocore_stubber.enabled)


class MotoScope:
    """The kit's moto, started only between :meth:`open` and :meth:`close` (or inside :meth:`live`),
    with its own backends' state (see the module docstring)."""

    def __init__(self) -> None:
        from moto import mock_aws

        self._mock = mock_aws()
        self._depth = 0
        self._kit: list[tuple[Any, dict[str, Any]]] = []
        self._outside: list[tuple[Any, dict[str, Any]]] = []

    @property
    def active(self) -> bool:
        return self._depth > 0

    def open(self) -> None:
        """Start the kit's moto with the kit's state (nested opens only count)."""
        with _LOCK:
            self._depth += 1
            if self._depth > 1:
                return
            self._mock.start(reset=False)
            self._outside = _take_backends()
            _put_backends(self._kit)
            self._kit = []

    def close(self) -> None:
        """Put the kit's state aside, give moto back what it held before, stop the kit's mock."""
        with _LOCK:
            if self._depth == 0:
                raise RuntimeError("MotoScope.close() without open()")
            self._depth -= 1
            if self._depth > 0:
                return
            self._kit = _take_backends()
            _put_backends(self._outside)
            self._outside = []
            self._mock.stop(remove_data=False)

    @contextmanager
    def live(self) -> Iterator[MotoScope]:
        """``with scope.live():`` the kit's moto answers inside the block only."""
        self.open()
        try:
            yield self
        finally:
            self.close()
