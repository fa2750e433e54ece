"""Keep credentials out of every report format (DESIGN.md, principle 5).

Reports are built from values the kit observed (counterexamples, AWS responses, error messages,
the command line), and any of those may carry a credential by accident: an ``argv`` with
``--aws-secret-access-key``, an environment dump in an error message, a ``Credentials`` block of an
``sts:AssumeRole`` response. :func:`scrub_report` replaces, everywhere in a report, every value that
looks like an AWS secret access key, a session token or an access key id, and every value stored
under a key that names one (``aws_secret_access_key``, ``SecretAccessKey``, ``SessionToken``...).
Every renderer works on the scrubbed report.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from typing import Any

from kms_conformance.verdicts import Report, report_from_dict, report_to_dict

REDACTED = "[REDACTED]"

#: Keys whose value is a secret whatever it looks like (compared without case, ``-`` and ``_``).
_SECRET_KEYS = frozenset({
    "awssecretaccesskey", "secretaccesskey", "secretkey", "awssessiontoken", "sessiontoken",
    "securitytoken", "awssecuritytoken", "password", "secret", "credentials", "accesskeyid",
    "awsaccesskeyid",
})
#: ``aws_secret_access_key = X``, ``--aws-session-token X``, ``"SecretAccessKey": "X"`` inside text.
_ASSIGNED = re.compile(
    r"""(?ix)
    (?P<name>(?:aws[_-]?)?(?:secret[_-]?access[_-]?key|session[_-]?token|security[_-]?token|access[_-]?key[_-]?id))
    (?P<sep>["']?\s*(?:[:=]|\s)\s*["']?)
    (?P<value>[^\s"',;}&]+)
    """
)
#: An access key id: AKIA (long-term) / ASIA (temporary) + 16 upper-case letters or digits.
_ACCESS_KEY_ID = re.compile(r"(?<![A-Z0-9])(?:AKIA|ASIA|AROA|AIDA)[A-Z0-9]{16}(?![A-Z0-9])")
#: A secret access key: exactly 40 characters of base64 alphabet with upper- and lower-case letters
#: and a digit (so 40-digit hex digests, key ids and role names are left alone).
_SECRET_KEY = re.compile(
    r"(?<![A-Za-z0-9/+=])"
    r"(?=[A-Za-z0-9/+]*[a-z])(?=[A-Za-z0-9/+]*[A-Z])(?=[A-Za-z0-9/+]*[0-9])"
    r"[A-Za-z0-9/+]{40}(?![A-Za-z0-9/+=])"
)
#: A session token: a long run of base64 (real ones are several hundred characters).
_SESSION_TOKEN = re.compile(r"[A-Za-z0-9/+]{100,}={0,2}")


#: Environment variables whose values are removed verbatim wherever they appear (when at least 8
#: characters long: "test"/"testing" of emulators are not secrets and would mangle ordinary words).
_SECRET_ENV = ("AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN")


def _env_secrets() -> list[str]:
    return [v for v in (os.environ.get(n, "") for n in _SECRET_ENV) if len(v) >= 8]


def _norm_key(key: str) -> str:
    return re.sub(r"[-_\s]", "", key).lower()


def scrub_text(text: str) -> str:
    """The text with every credential-looking substring replaced by ``[REDACTED]``.

    >>> scrub_text("aws_secret_access_key=wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY and more")
    'aws_secret_access_key=[REDACTED] and more'
    """
    out = text
    for secret in _env_secrets():
        out = out.replace(secret, REDACTED)
    out = _ASSIGNED.sub(lambda m: m.group("name") + m.group("sep") + REDACTED
                        if m.group("value") != REDACTED else m.group(0), out)
    out = _SESSION_TOKEN.sub(REDACTED, out)
    out = _SECRET_KEY.sub(REDACTED, out)
    return _ACCESS_KEY_ID.sub(REDACTED, out)


def scrub_value(value: Any) -> Any:
    """Scrub a JSON value: strings by :func:`scrub_text`, values under secret-naming keys wholesale."""
    if isinstance(value, str):
        return scrub_text(value)
    if isinstance(value, Mapping):
        return {
            k: (REDACTED if isinstance(k, str) and _norm_key(k) in _SECRET_KEYS and v not in (None, "")
                else scrub_value(v))
            for k, v in value.items()
        }
    if isinstance(value, list | tuple):
        return [scrub_value(v) for v in value]
    return value


def scrub_report(report: Report) -> Report:
    """The same report with every credential-looking value replaced (see the module docstring)."""
    data = report_to_dict(report)
    data.pop("summary", None)
    return report_from_dict(scrub_value(data))
