"""Strategy builders reuse their objects (:mod:`kms_conformance.strategies.reuse`): one object per
distinct hashable arguments, so Hypothesis validates each strategy graph once, and the same examples."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import strategies as st
from hypothesis.strategies import SearchStrategy
from kms_conformance.strategies import reuse
from kms_conformance.strategies.aws import iam_role_arns
from kms_conformance.strategies.policies import condition_blocks, identity_policies, key_policies, statements

from benchmarks.bench_strategies import draw


def test_same_arguments_same_object_other_arguments_another() -> None:
    assert iam_role_arns("111122223333") is iam_role_arns("111122223333")
    assert iam_role_arns("111122223333") is not iam_role_arns("444455556666")
    assert key_policies(account="111122223333") is key_policies(account="111122223333")
    assert statements(principal=False) is statements(principal=False)


def test_unhashable_arguments_build_as_before() -> None:
    families = ["Bool", "Null"]
    first, second = condition_blocks(families), condition_blocks(families)
    assert first is not second
    assert condition_blocks(("Bool", "Null")) is condition_blocks(("Bool", "Null"))


def test_an_error_is_raised_every_time_and_never_kept() -> None:
    calls: list[int] = []

    @reuse.reusable
    def builder(n: int) -> SearchStrategy[int]:
        calls.append(n)
        if n < 0:
            raise ValueError("negative")
        return st.just(n)

    for _ in range(2):
        with pytest.raises(ValueError, match="negative"):
            builder(-1)
    assert builder(1) is builder(1)
    assert calls == [-1, -1, 1]


def test_the_oldest_arguments_are_dropped_beyond_the_bound(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(reuse, "KEPT", 2)

    @reuse.reusable
    def builder(n: int) -> SearchStrategy[int]:
        return st.just(n)

    one = builder(1)
    builder(2)
    builder(3)  # drops 1
    assert builder(3) is builder(3) and builder(1) is not one


def _draws(strategy: SearchStrategy[Any]) -> list[Any]:
    """15 seeded examples, drawn as the strategies benchmark draws them."""
    return draw(strategy, 15)


def test_reused_objects_draw_what_fresh_ones_draw(monkeypatch: pytest.MonkeyPatch) -> None:
    """Key policies, identity policies and condition blocks drawn with every builder's object reused,
    and again with none kept (every object new, as before reuse): the same examples, seed for seed."""
    def built() -> list[SearchStrategy[Any]]:
        return [key_policies(), key_policies(account="111122223333"), identity_policies(), condition_blocks()]

    reused = [_draws(strategy) for strategy in built()]
    monkeypatch.setattr(reuse, "KEPT", 0)
    fresh = [_draws(strategy) for strategy in built()]
    assert built()[0] is not built()[0]
    assert [len(draws) for draws in reused] == [15, 15, 15, 15]
    assert reused == fresh
