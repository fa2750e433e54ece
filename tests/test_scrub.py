"""One credential scrubber (:mod:`kms_conformance.scrub`) for targets, reports and the command line."""

from __future__ import annotations

from typing import Any

import pytest
from kms_conformance.scrub import REDACTED, scrub_text, scrub_value

SECRET_KEY = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
ACCESS_KEY = "AKIAIOSFODNN7EXAMPLE"
TEMP_KEY = "ASIAQWERTYUIOP12"  # 12 characters after the prefix: what the target's old pattern caught
SESSION_TOKEN = "IQoJb3JpZ2luX2VjEJr//////////wEaCXVzLWVhc3QtMSJHMEUCIQD6" + "Zm9vYmFy" * 30


@pytest.mark.parametrize("text", [
    f"key {ACCESS_KEY} leaked", f"key {TEMP_KEY} leaked", f"secret {SECRET_KEY} here",
    f"token {SESSION_TOKEN} here", "aws_session_token=hunter2-not-base64", '"SecretAccessKey": "plain"',
    "--aws-secret-access-key plain-value",
])
def test_every_pattern_is_redacted_with_one_marker(text: str) -> None:
    out = scrub_text(text)
    assert REDACTED in out
    for secret in (ACCESS_KEY, TEMP_KEY, SECRET_KEY, SESSION_TOKEN[:60], "hunter2", "plain"):
        assert secret not in out, out


def test_ordinary_text_is_left_alone() -> None:
    for text in ("arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab",
                 "arn:aws:iam::123456789012:role/service-role/AmazonForecastAccessRole",
                 "da39a3ee5e6b4b0d3255bfef95601890afd80709", "AccessDeniedException: not authorized"):
        assert scrub_text(text) == text


def test_values_under_credential_keys_keep_their_shape() -> None:
    response = {"Credentials": {"AccessKeyId": ACCESS_KEY, "SecretAccessKey": "s", "SessionToken": "t",
                                "Expiration": "2026-01-01T00:00:00Z"},
                "AssumedRoleUser": {"Arn": "arn:aws:sts::123456789012:assumed-role/R/s1"},
                "password": "", "Tags": ({"Key": "k", "Value": ACCESS_KEY},)}
    out = scrub_value(response)
    assert out["Credentials"] == {"AccessKeyId": REDACTED, "SecretAccessKey": REDACTED, "SessionToken": REDACTED,
                                  "Expiration": REDACTED}
    assert out["AssumedRoleUser"] == response["AssumedRoleUser"]
    assert out["password"] == ""  # nothing to hide
    assert out["Tags"] == [{"Key": "k", "Value": REDACTED}]
    assert response["Credentials"]["SecretAccessKey"] == "s"  # the input is not changed


def test_service_handles_are_kept() -> None:
    """A real grant token is a long base64 string; a scenario must be able to pass it back."""
    token = "AQpAM2RhZTk1MGMyNTk2ZmZmMzEyYWVhOWViN2IyOGM3NzJjNDY2YjBkMGRmNjEzOGZlMTVmODE5NGVjNzk2YjkyMHBaYjAw" * 3
    out: Any = scrub_value({"GrantToken": token, "GrantId": "g", "NextMarker": token, "GrantTokens": [token]})
    assert out == {"GrantToken": token, "GrantId": "g", "NextMarker": token, "GrantTokens": [token]}
    assert scrub_value({"message": f"token {token}"}) == {"message": f"token {REDACTED}"}


def test_the_callers_own_secret_is_redacted_wherever_it_appears(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_SESSION_TOKEN", "odd:secret value")
    assert scrub_text("env says odd:secret value!") == f"env says {REDACTED}!"


def test_sweep_failures_are_scrubbed() -> None:
    from kms_conformance.sweep import SweepAction, execute

    def clients(service: str) -> Any:
        raise RuntimeError(f"no credentials for {ACCESS_KEY}")

    lines: list[str] = []
    action = SweepAction("kms", "key", "k", "run", "", (("id", "k"),), "key")
    assert execute(clients, [action], report=lines.append) == 1
    assert ACCESS_KEY not in lines[0] and REDACTED in lines[0]
