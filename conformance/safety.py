"""Guards that keep the ``aws`` target and ``sweep`` away from accounts they must not touch.

DESIGN.md principle 5. Before any write, the caller's identity (``sts:GetCallerIdentity``) is
checked: the account must be allow-listed (``--allow-account`` or the environment variable
:data:`ALLOW_ENV`), unless the endpoint is on this machine's loopback (a moto server), and an
account whose alias looks like production is refused unless forced. The checks are plain
functions so that they are tested without any AWS.
"""

from __future__ import annotations

import ipaddress
import os
import re
from collections.abc import Iterable, Mapping
from typing import Any
from urllib.parse import urlparse

from kms_conformance.errors import UsageError

ALLOW_ENV = "KMS_CONFORMANCE_ALLOW_ACCOUNTS"
_PRODUCTION = re.compile(r"(^|[-_.\s])(prod|production|prd|live)([-_.\s]|$)", re.IGNORECASE)


def is_loopback(endpoint_url: str | None) -> bool:
    """True for an endpoint on this machine: 127.0.0.0/8, ::1 or localhost."""
    if not endpoint_url:
        return False
    host = urlparse(endpoint_url).hostname or ""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def allowed_accounts(cli_values: Iterable[str] = (), environ: Mapping[str, str] | None = None) -> set[str]:
    """The allow-list: ``--allow-account`` values plus the comma-separated environment variable."""
    env = os.environ if environ is None else environ
    values = [*cli_values, *env.get(ALLOW_ENV, "").split(",")]
    accounts = {v.strip() for v in values if v.strip()}
    bad = sorted(a for a in accounts if not re.fullmatch(r"\d{12}", a))
    if bad:
        raise UsageError(f"allow-listed account ids are 12 digits, got {', '.join(bad)}")
    return accounts


def looks_like_production(names: Iterable[str]) -> str | None:
    """The first account alias or name that looks like production (``prod``, ``production``,
    ``prd``, ``live`` as a word), or None."""
    for name in names:
        if _PRODUCTION.search(name):
            return name
    return None


def guard_account(
    identity: Mapping[str, Any],
    *,
    allow_accounts: set[str],
    endpoint_url: str | None,
    force: bool = False,
    account_aliases: Iterable[str] = (),
) -> None:
    """Raise :class:`UsageError` (exit 2) unless writing to this account is allowed."""
    if is_loopback(endpoint_url):
        return
    account = str(identity.get("Account", ""))
    if account not in allow_accounts:
        raise UsageError(
            f"refusing to write to account {account or '<unknown>'}: it is not allow-listed; "
            f"pass --allow-account {account or 'ID'} or set {ALLOW_ENV} (only sandbox accounts belong there)"
        )
    prod = looks_like_production(account_aliases)
    if prod and not force:
        raise UsageError(
            f"refusing to write to account {account}: its alias {prod!r} looks like production; "
            "pass --force-production if this really is a sandbox"
        )
