"""The guards of the aws target and sweep (DESIGN.md principle 5)."""

from __future__ import annotations

import pytest
from kms_conformance.errors import UsageError
from kms_conformance.safety import ALLOW_ENV, allowed_accounts, guard_account, is_loopback, looks_like_production


@pytest.mark.parametrize(
    ("url", "loopback"),
    [
        ("http://127.0.0.1:5000", True),
        ("http://127.8.9.1", True),
        ("http://localhost:4566", True),
        ("http://[::1]:5000", True),
        ("https://kms.us-east-1.amazonaws.com", False),
        ("http://10.0.0.1:5000", False),
        (None, False),
    ],
)
def test_loopback(url: str | None, loopback: bool) -> None:
    assert is_loopback(url) is loopback


def test_allow_list_merges_cli_and_environment() -> None:
    env = {ALLOW_ENV: "111122223333, 444455556666"}
    assert allowed_accounts(["777788889999"], env) == {"111122223333", "444455556666", "777788889999"}
    with pytest.raises(UsageError, match="12 digits"):
        allowed_accounts(["12345"], {})


def test_guard_refuses_unlisted_account_and_names_it() -> None:
    with pytest.raises(UsageError, match=r"111122223333.*not allow-listed"):
        guard_account({"Account": "111122223333"}, allow_accounts={"444455556666"}, endpoint_url=None)


def test_guard_allows_listed_account_and_a_loopback_emulator() -> None:
    guard_account({"Account": "111122223333"}, allow_accounts={"111122223333"}, endpoint_url=None)
    guard_account({"Account": "999999999999"}, allow_accounts=set(), endpoint_url="http://127.0.0.1:1234",
                  emulator="moto")
    with pytest.raises(UsageError, match="not allow-listed"):  # loopback alone (an SSH tunnel) is not enough
        guard_account({"Account": "999999999999"}, allow_accounts=set(), endpoint_url="http://127.0.0.1:1234")


def test_guard_refuses_production_alias_unless_forced() -> None:
    ident = {"Account": "111122223333"}
    with pytest.raises(UsageError, match="production"):
        guard_account(ident, allow_accounts={"111122223333"}, endpoint_url=None, account_aliases=["acme-prod"])
    guard_account(ident, allow_accounts={"111122223333"}, endpoint_url=None, account_aliases=["acme-prod"], force=True)


@pytest.mark.parametrize(("name", "prod"), [("acme-prod", True), ("Production", True), ("prd_eu", True),
                                             ("sandbox", False), ("product-team-dev", False), ("reproduce", False)])
def test_production_names(name: str, prod: bool) -> None:
    assert (looks_like_production([name]) is not None) is prod
