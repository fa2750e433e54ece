"""The world's indexes (``GroupIndex``: roles by name, grants by key) find exactly what a walk over the
dict finds, whatever sequence of adds, removals, replacements and direct changes of the dict led there."""

from __future__ import annotations

from dataclasses import dataclass

from hypothesis import given
from hypothesis import strategies as st
from kms_conformance.kms.world import GroupIndex, World


@dataclass(frozen=True)
class Item:
    key: str
    name: str
    version: int = 0


KEYS = st.sampled_from([f"k{i}" for i in range(6)])
NAMES = st.sampled_from(["a", "b", "c"])
STEPS = st.lists(st.tuples(st.sampled_from(["put", "pop", "replace", "direct-add", "direct-del", "find"]),
                           KEYS, NAMES), max_size=40)


@given(STEPS)
def test_an_index_finds_what_the_walk_finds(steps: list[tuple[str, str, str]]) -> None:
    table: dict[str, Item] = {}
    index = GroupIndex("name")
    for version, (op, key, name) in enumerate(steps):
        if op == "put" and key not in table:
            index.put(table, key, Item(key, name, version))
        elif op == "pop" and key in table:
            assert index.pop(table, key).key == key
        elif op == "replace" and key in table:  # under its own key, keeping the attribute
            index.put(table, key, Item(key, table[key].name, version))
        elif op == "direct-add" and key not in table:
            table[key] = Item(key, name, version)
        elif op == "direct-del" and key in table:
            del table[key]
        for wanted in ("a", "b", "c"):
            assert index.find(table, wanted) == [v for v in table.values() if v.name == wanted], (op, key)


def test_the_world_finds_roles_by_name_and_grants_by_key() -> None:
    world = World()
    admin = world.roles[world.admin]
    assert world.roles_named(admin.name) == [admin]  # made directly in __post_init__
    other = type(admin)(arn="arn:aws:iam::111122223333:role/x", name="x", trust=admin.trust)
    world.add_role(other)
    assert world.roles_named("x") == [other] and world.role_of(world.session_arn(other.arn)) == other
    world.remove_role(other.arn)
    assert world.roles_named("x") == [] and world.role_of(world.session_arn(other.arn)) is None
