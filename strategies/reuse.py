"""Strategies built once per distinct arguments and then reused.

Hypothesis validates every strategy object the first time it is drawn from, walking the object's
whole graph (``from_regex`` parses its pattern, ``one_of`` and ``lists`` look at every branch). A
builder called inside a composite strategy makes new objects at every draw, so that walk happened
again for every example: in ``key_policies()`` it was about two thirds of the time of a draw (the
kit's own property tests over key policies spent 18 of their 26 s validating). :func:`reusable`
returns the same object for the same arguments, so each graph is validated once per process.

Reuse changes no example: a strategy's draws depend on its structure and the choices Hypothesis
makes, not on the identity of the object, and strategies hold no state between draws.
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable
from typing import Any, ParamSpec, TypeVar

from hypothesis.strategies import SearchStrategy

P = ParamSpec("P")
T = TypeVar("T")

#: Distinct argument tuples a builder keeps (the oldest is dropped beyond it); drawn accounts and
#: Regions are the arguments that vary, a few hundred at most in a run. 0 keeps nothing: every call
#: builds a new object, as without this module.
KEPT = 1024


def reusable(builder: Callable[P, SearchStrategy[T]]) -> Callable[P, SearchStrategy[T]]:
    """``builder`` returning one strategy object per distinct, hashable arguments (unhashable ones, a
    list of families say, build a new object as before). An error the builder raises is raised
    every time, never kept."""
    built: dict[Any, SearchStrategy[T]] = {}
    lock = threading.Lock()

    @functools.wraps(builder)
    def build(*args: P.args, **kwargs: P.kwargs) -> SearchStrategy[T]:
        if KEPT <= 0:
            return builder(*args, **kwargs)
        key = (args, tuple(sorted(kwargs.items()))) if kwargs else args
        try:
            found = built.get(key)
        except TypeError:  # an unhashable argument
            return builder(*args, **kwargs)
        if found is None:
            found = builder(*args, **kwargs)
            with lock:
                if len(built) >= KEPT:
                    built.pop(next(iter(built)))
                built[key] = found
        return found

    return build
