"""A user's test of the kit's own fixtures; it runs before tests/user_suite/test_user_code.py,
whose mocks must not see the key and role it creates."""

from __future__ import annotations

from typing import Any


def test_kit_fixtures_create_a_key_and_a_role(kms_target: Any, kms_key: Any, kms_principal: Any) -> None:
    key_arn = kms_key()
    role = kms_principal(prefix="reader")
    assert kms_target.call("kms", "DescribeKey", {"KeyId": key_arn}).ok
    assert role.startswith("arn:aws:iam::")
