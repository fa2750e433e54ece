"""What a rule's examples may depend on: its strategy, the seed and the profile; never the process.

Recent Hypothesis releases (6.170 among them) draw about one value in twenty from a pool of
literals read from the source of every *local* module in ``sys.modules`` (any module outside the
standard library and site-packages), a pool that grows whenever more modules are imported. That made
the examples a seed draws depend on how the run was started: ``python -m kms_conformance run``
imports every command, a program that calls the run command imports fewer, an editable install of
the kit counts as local and a wheel does not, the first rule's lazy imports change what the next
rule draws, and an edit to any literal in any of those modules moves the draws. Same seed, same
verdicts held, but example counts, generated names and counterexamples did not (``report compare``
and ``--replay`` showed differences no code under test had caused).

:func:`isolated` empties that pool while a rule runs, so a rule's examples are a function of
(rule, seed, profile, target) alone; Hypothesis's own fixed constants stay. Outside it Hypothesis is
left as it was: a user's own Hypothesis tests in the same pytest process keep their local
constants. The pool is Hypothesis's internal state (no setting turns it off):
:func:`applies` says whether this Hypothesis has it in the form :func:`isolated` replaces, and a
Hypothesis without the pool at all needs nothing.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator
from typing import Any

_LOCK = threading.Lock()
#: Nesting depth of :func:`isolated` and what it replaced (restored when the outermost one ends).
_STATE: dict[str, Any] = {"depth": 0, "saved": None}


def _providers() -> Any:
    """Hypothesis's provider module when it has the local-constants pool in the form replaced here
    (a module-level ``_get_local_constants``), else None."""
    try:
        from hypothesis.internal import constants_ast
        from hypothesis.internal.conjecture import providers
    except ImportError:  # a Hypothesis before the pool: nothing depends on sys.modules
        return None
    if not callable(getattr(providers, "_get_local_constants", None)) or not callable(
            getattr(constants_ast, "Constants", None)):
        return None
    return providers


def applies() -> bool:
    """Whether the installed Hypothesis draws from local source constants in the form :func:`isolated`
    replaces (a test checks it does, so that an upgrade that moves them is noticed)."""
    return _providers() is not None


def _enter(providers: Any) -> dict[str, Any]:
    """Replace the pool with an empty one; returns what was replaced."""
    from hypothesis.internal import constants_ast

    saved: dict[str, Any] = {"_get_local_constants": providers._get_local_constants}
    empty = constants_ast.Constants()

    def no_local_constants(*_args: Any, **_kwargs: Any) -> Any:
        return empty

    providers._get_local_constants = no_local_constants
    if hasattr(providers, "CONSTANTS_CACHE"):
        # The cache of constants permitted per kind of draw holds the local pool as it was when each
        # entry was made: a fresh one for the rule's run, the process's own back afterwards.
        saved["CONSTANTS_CACHE"] = providers.CONSTANTS_CACHE
        providers.CONSTANTS_CACHE = {}
    return saved


@contextlib.contextmanager
def isolated() -> Iterator[None]:
    """Run Hypothesis without the local-constants pool (see the module's docstring). Nests (only
    the outermost one restores) and is process-wide while open, as Hypothesis's pool is."""
    providers = _providers()
    if providers is None:
        yield
        return
    with _LOCK:
        if _STATE["depth"] == 0:
            _STATE["saved"] = _enter(providers)
        _STATE["depth"] += 1
    try:
        yield
    finally:
        with _LOCK:
            _STATE["depth"] -= 1
            if _STATE["depth"] == 0:
                for name, value in _STATE["saved"].items():
                    setattr(providers, name, value)
                _STATE["saved"] = None
