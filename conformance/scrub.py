"""Keep credentials out of everything the kit shows or writes (DESIGN.md, principle 5).

What the kit observed (AWS responses, error messages, counterexamples, the command line) may carry
a credential by accident: an ``argv`` with ``--aws-secret-access-key``, an environment dump in an
error message, the ``Credentials`` block of an ``sts:AssumeRole`` response. The boto3 targets scrub
every outcome with :func:`scrub_value`, every report format is rendered from a scrubbed report
(:func:`kms_conformance.report.scrub_report`), and the command line scrubs what it prints of AWS's
errors. One marker, :data:`REDACTED`, replaces:

- every value under a key that names a credential (``SecretAccessKey``, ``aws_session_token``,
  ``Credentials``, ``Password``...; compared without case, ``-`` and ``_``), leaf by leaf, so the
  structure stays;
- inside text: the value of ``name=value``-like assignments of such names, the value of any
  environment variable holding the caller's own secret, and what looks like an access key id
  (``AKIA``/``ASIA``/``AROA``/``AIDA`` and at least 12 more upper-case letters or digits), a secret
  access key (40 characters of the base64 alphabet with upper- and lower-case letters and a digit)
  or a session token (a run of 100 or more base64 characters);
- the user info of a URL (``http://user:password@host`` becomes ``http://[REDACTED]@host``).

Values under keys that hold a service's own opaque handle (``GrantToken``, ``GrantTokens`` and
pagination markers) are kept as they are: they authorize nothing by themselves, a scenario must be
able to pass them back, and real grant tokens look like session tokens.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from typing import Any

REDACTED = "[REDACTED]"

#: Keys whose value is a secret whatever it looks like (compared by :func:`_norm_key`).
_SECRET_KEYS = frozenset({
    "awssecretaccesskey", "secretaccesskey", "secretkey", "awssessiontoken", "sessiontoken",
    "securitytoken", "awssecuritytoken", "password", "secret", "credentials", "accesskeyid",
    "awsaccesskeyid",
})
#: Keys whose value is a service's opaque handle, passed back to the service, never a credential.
_OPAQUE_KEYS = frozenset({"granttoken", "granttokens", "nextmarker", "marker", "nexttoken", "paginationtoken"})
#: ``aws_secret_access_key = X``, ``--aws-session-token X``, ``"SecretAccessKey": "X"`` inside text.
_ASSIGNED = re.compile(
    r"""(?ix)
    (?P<name>(?:aws[_-]?)?(?:secret[_-]?access[_-]?key|session[_-]?token|security[_-]?token|access[_-]?key[_-]?id))
    (?P<sep>["']?\s*(?:[:=]|\s)\s*["']?)
    (?P<value>[^\s"',;}&]+)
    """
)
#: An access key id: AKIA (long-term) / ASIA (temporary), or a role's / user's unique id (AROA / AIDA).
_ACCESS_KEY_ID = re.compile(r"(?<![A-Z0-9])(?:AKIA|ASIA|AROA|AIDA)[A-Z0-9]{12,}(?![A-Z0-9])")
#: A secret access key: exactly 40 characters of base64 alphabet with upper- and lower-case letters
#: and a digit (so 40-digit hex digests, key ids and role names are left alone).
_SECRET_KEY = re.compile(
    r"(?<![A-Za-z0-9/+=])"
    r"(?=[A-Za-z0-9/+]*[a-z])(?=[A-Za-z0-9/+]*[A-Z])(?=[A-Za-z0-9/+]*[0-9])"
    r"[A-Za-z0-9/+]{40}(?![A-Za-z0-9/+=])"
)
#: The user info of a URL: ``scheme://user:password@`` (a password in an ``--endpoint-url``).
_URL_USERINFO = re.compile(r"(?i)\b(?P<scheme>[a-z][a-z0-9+.-]*://)(?P<info>[^/\s@\\]+)@")
#: A session token: a long run of base64 (real ones are several hundred characters).
_SESSION_TOKEN = re.compile(r"[A-Za-z0-9/+]{100,}={0,2}")
#: Environment variables whose values are removed verbatim wherever they appear (when at least 8
#: characters long: "test"/"testing" of emulators are not secrets and would mangle ordinary words).
_SECRET_ENV = ("AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN")


#: A run of 16 base64 characters: what an access key id, a secret key and a session token all hold.
_BASE64_RUN = re.compile(r"[A-Za-z0-9/+]{16}")
#: What ``_ASSIGNED`` needs in a credential's name (lower case).
_NAME_PARTS = ("secret", "session", "security", "access")
_KEY_SPLIT = re.compile(r"[-_\s]")
_NORMALISED: dict[str, str] = {}


def _env_secrets() -> list[str]:
    return [v for v in (os.environ.get(n, "") for n in _SECRET_ENV) if len(v) >= 8]


def _may_hold_credential(text: str) -> bool:
    """False when none of the patterns can match: no ``://`` and either shorter than the shortest
    assignment (13 characters: ``accesskeyid=x``) or without a credential's name and a base64 run."""
    if "://" in text:
        return True
    if len(text) < 13:
        return False
    lowered = text.lower()
    return any(part in lowered for part in _NAME_PARTS) or _BASE64_RUN.search(text) is not None


def _norm_key(key: str) -> str:
    found = _NORMALISED.get(key)
    if found is None:
        found = _KEY_SPLIT.sub("", key).lower()
        if len(_NORMALISED) < 4096:  # keys of responses and reports repeat; the memo stays small
            _NORMALISED[key] = found
    return found


def scrub_text(text: str) -> str:
    """The text with every credential-looking substring replaced by :data:`REDACTED`.

    >>> scrub_text("aws_secret_access_key=wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY and more")
    'aws_secret_access_key=[REDACTED] and more'
    >>> scrub_text("key AKIAIOSFODNN7EXAMPLE leaked")
    'key [REDACTED] leaked'
    """
    return _scrub_text(text, _env_secrets())


#: Texts scrubbed already (responses repeat ARNs, names and policies), for the environment's secrets of
#: :data:`_MEMO_SECRETS`; bounded: texts up to 512 characters, emptied when it holds 8192.
_MEMO: dict[str, str] = {}
_MEMO_SECRETS: list[list[str]] = [[]]


def _scrub_text(text: str, secrets: list[str]) -> str:
    if _MEMO_SECRETS[0] != secrets:
        _MEMO.clear()
        _MEMO_SECRETS[0] = list(secrets)
    found = _MEMO.get(text)
    if found is None:
        found = _scrub_text_once(text, secrets)
        if len(text) <= 512:
            if len(_MEMO) >= 8192:
                _MEMO.clear()
            _MEMO[text] = found
    return found


def _scrub_text_once(text: str, secrets: list[str]) -> str:
    out = text
    for secret in secrets:
        out = out.replace(secret, REDACTED)
    if not _may_hold_credential(out):
        return out
    out = _URL_USERINFO.sub(lambda m: m.group("scheme") + REDACTED + "@"
                            if m.group("info") != REDACTED else m.group(0), out)
    out = _ASSIGNED.sub(lambda m: m.group("name") + m.group("sep") + REDACTED
                        if m.group("value") != REDACTED else m.group(0), out)
    out = _SESSION_TOKEN.sub(REDACTED, out)
    out = _SECRET_KEY.sub(REDACTED, out)
    return _ACCESS_KEY_ID.sub(REDACTED, out)


def scrub_value(value: Any, *, secret: bool = False) -> Any:
    """A scrubbed copy of a JSON-like value (a response, a report dict): strings by
    :func:`scrub_text`; everything under a credential-naming key replaced leaf by leaf (``None``
    and ``""`` stay, they hold nothing); lists and tuples become lists. ``secret``: the value
    itself sits under such a key.

    >>> scrub_value({"Credentials": {"SessionToken": "x", "Expiration": None}, "KeyId": "k"})
    {'Credentials': {'SessionToken': '[REDACTED]', 'Expiration': None}, 'KeyId': 'k'}
    """
    return _scrub_value(value, secret, _env_secrets())


#: Leaves that hold no text: kept as they are unless they sit under a credential's name.
_PLAIN_LEAVES = (int, float, bool, type(None))


def _scrub_value(value: Any, secret: bool, secrets: list[str]) -> Any:
    kind = type(value)
    if kind is str or isinstance(value, str):
        if secret:
            return value if value == "" else REDACTED
        return _scrub_text(value, secrets)
    if kind is dict or isinstance(value, Mapping):
        out = {}
        for k, v in value.items():
            name = _norm_key(k) if type(k) is str else ""
            if secret:
                out[k] = _scrub_value(v, True, secrets)
            elif name in _OPAQUE_KEYS:
                out[k] = v
            elif name in _SECRET_KEYS:
                out[k] = _scrub_value(v, True, secrets)
            elif type(v) is str:  # the common leaf, without a call per string that holds nothing
                out[k] = _scrub_text(v, secrets) if secrets or not _plain_text(v) else v
            elif type(v) in _PLAIN_LEAVES:
                out[k] = v
            else:
                out[k] = _scrub_value(v, False, secrets)
        return out
    if kind is list or isinstance(value, list | tuple):
        return [_scrub_value(v, secret, secrets) for v in value]
    if secret:
        return value if value is None else REDACTED
    return value


def _plain_text(text: str) -> bool:
    """Shorter than anything a pattern matches and without ``://`` (see :func:`_may_hold_credential`)."""
    return len(text) < 13 and "://" not in text


__all__ = ["REDACTED", "scrub_text", "scrub_value"]
