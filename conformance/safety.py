"""Guards that keep the ``aws`` target and ``sweep`` away from accounts they must not touch.

DESIGN.md principle 5. Before any write, the caller's identity (``sts:GetCallerIdentity``) is
checked: the account must be allow-listed (``--allow-account`` or the environment variable
:data:`ALLOW_ENV`), unless the endpoint is on this machine's loopback *and* proves to be an emulator
(:func:`prove_emulator`: moto's ``/moto-api/`` or LocalStack's ``/_localstack/health`` answers; an SSH
tunnel to AWS is loopback too, and is not exempt), and an account whose alias looks like production is
refused unless forced. The checks are plain functions so that they are tested without any AWS.

An endpoint URL is read exactly once, by :func:`parse_endpoint`, and only when every parser on the way
reads it alike: botocore signs the host :func:`urllib.parse.urlsplit` reads, and urllib3
(``urllib3.util.parse_url``) picks the host it connects to. They disagree about a backslash
(``https://kms.us-east-1.amazonaws.com\\@127.0.0.1``: urllib3 connects to the AWS host, ``urlsplit``
reads 127.0.0.1) and about user info, so both are refused, as is anything they read differently.
Loopback is decided from the address the resolver gives for the host (``127.1`` is 127.0.0.1, as
``inet_aton`` reads it); a host name other than ``localhost`` is never looked up and never loopback.
"""

from __future__ import annotations

import ipaddress
import os
import re
import socket
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from kms_conformance.arns import is_account_id
from kms_conformance.errors import UsageError
from kms_conformance.scrub import scrub_text

ALLOW_ENV = "KMS_CONFORMANCE_ALLOW_ACCOUNTS"
#: The word parts of a name: camelCase humps, upper-case runs, lower-case runs and digit runs.
_PARTS = re.compile(r"[A-Z]?[a-z]+|[A-Z]+(?![a-z])|[0-9]+")
#: Parts that name production outright.
_PROD_WORDS = frozenset({"prod", "prd", "production", "live", "prods", "prodn"})
#: English words that begin with "prod" and say nothing about production.
_PROD_LOOKALIKES = ("produc", "prodig")

#: Harmless reads that only an emulator answers: (path, emulator, what the body must contain).
EMULATOR_PROBES = (("/moto-api/", "moto", b"moto"), ("/_localstack/health", "localstack", b"services"))


@dataclass(frozen=True)
class Endpoint:
    """An endpoint URL as botocore will use it: scheme, host (IPv6 without brackets) and port."""

    url: str
    scheme: str
    host: str
    port: int


def _refuse(url: str, what: str) -> UsageError:
    return UsageError(scrub_text(f"--endpoint-url {url!r}: {what}"))


def parse_endpoint(url: str) -> Endpoint:
    """The endpoint, or :class:`UsageError` (exit 2, one line) for junk (not a url), a scheme other
    than http/https, no host, a port out of range, user info (a password would be copied into every
    report), a backslash, a query or fragment, or a URL urllib3 reads differently from ``urlsplit``."""
    from urllib3.util import parse_url

    if not url or any(c.isspace() or ord(c) < 32 or ord(c) == 127 for c in url):
        raise _refuse(url, "not a url (empty, or it holds spaces or control characters)")
    if "\\" in url:
        raise _refuse(url, "a backslash is read differently by botocore's parsers; write the host plainly")
    try:
        split = urlsplit(url)
        port = split.port
        other = parse_url(url)
    except ValueError as exc:
        raise _refuse(url, f"not a url ({exc})") from None
    except Exception as exc:  # urllib3's LocationParseError
        raise _refuse(url, f"not a url ({type(exc).__name__})") from None
    if split.scheme not in ("http", "https") or not split.netloc:
        raise _refuse(url, "not a url: it must start with http:// or https:// and name a host")
    if "@" in split.netloc or split.username is not None or other.auth:
        raise _refuse(url, "user info (user:password@) is not allowed in an endpoint; credentials come from "
                           "the profile or the environment")
    if split.query or split.fragment or "?" in url or "#" in url:
        raise _refuse(url, "an endpoint has no query or fragment")
    host = split.hostname or ""
    if not host:
        raise _refuse(url, "not a url: no host")
    if port is not None and not 0 < port < 65536:
        raise _refuse(url, f"port {port} is out of range (1-65535)")
    if len(host) > 253 or any(len(label) > 63 for label in host.split(".")):  # DNS limits (RFC 1035)
        raise _refuse(url, "the host name is longer than DNS allows (253 characters, 63 a label)")
    default = 443 if split.scheme == "https" else 80
    theirs = ((other.scheme or "").lower(), (other.host or "").strip("[]").lower(), other.port or default)
    if theirs != (split.scheme, host.lower(), port or default):
        raise _refuse(url, "botocore's parsers read this URL differently; write it plainly")
    return Endpoint(url=url, scheme=split.scheme, host=host, port=port or default)


def _addresses(host: str) -> list[ipaddress.IPv4Address | ipaddress.IPv6Address]:
    """The addresses a connection to ``host`` may use, without any DNS query: an IP literal as the
    resolver reads it (``inet_aton`` for IPv4: ``127.1``, ``0x7f.1`` and ``2130706433`` are all
    127.0.0.1), ``localhost`` through the local resolver; any other name: none (never loopback)."""
    try:
        return [ipaddress.ip_address(host)]
    except ValueError:
        pass
    try:
        return [ipaddress.IPv4Address(socket.inet_aton(host))]
    except (OSError, ValueError):
        pass
    if host.lower().rstrip(".") != "localhost":
        return []
    try:
        infos = socket.getaddrinfo(host, None, proto=socket.IPPROTO_TCP)
    except OSError:
        return []
    return [ipaddress.ip_address(str(info[4][0]).split("%")[0]) for info in infos]


def is_loopback(endpoint_url: str | None) -> bool:
    """True for a well-formed endpoint (:func:`parse_endpoint`) every address of whose host is on this
    machine's loopback (127.0.0.0/8, ::1). A URL botocore could read differently is never loopback."""
    if not endpoint_url:
        return False
    try:
        host = parse_endpoint(endpoint_url).host
    except UsageError:
        return False
    addresses = _addresses(host)
    return bool(addresses) and all(a.is_loopback for a in addresses)


def prove_emulator(endpoint_url: str | None, *, timeout: float = 3.0) -> str | None:
    """``"moto"`` or ``"localstack"`` when the loopback endpoint answers that emulator's harmless read
    (a GET of :data:`EMULATOR_PROBES`, no redirect followed), else None. A non-loopback endpoint is
    never probed (None)."""
    import http.client

    if not is_loopback(endpoint_url):
        return None
    assert endpoint_url is not None
    endpoint = parse_endpoint(endpoint_url)
    for path, name, marker in EMULATOR_PROBES:
        conn_type = http.client.HTTPSConnection if endpoint.scheme == "https" else http.client.HTTPConnection
        conn = conn_type(endpoint.host, endpoint.port, timeout=timeout)
        try:
            conn.request("GET", path)
            response = conn.getresponse()
            body = response.read(65536)
        except (OSError, http.client.HTTPException):
            continue
        finally:
            conn.close()
        if response.status == 200 and marker in body.lower():
            return name
    return None


def allowed_accounts(cli_values: Iterable[str] = (), environ: Mapping[str, str] | None = None) -> set[str]:
    """The allow-list: ``--allow-account`` values plus the comma-separated environment variable."""
    env = os.environ if environ is None else environ
    values = [*cli_values, *env.get(ALLOW_ENV, "").split(",")]
    accounts = {v.strip() for v in values if v.strip()}
    bad = sorted(a for a in accounts if not is_account_id(a))
    if bad:
        raise UsageError(f"allow-listed account ids are 12 digits, got {', '.join(bad)}")
    return accounts


def _production_part(part: str) -> bool:
    low = part.lower()
    if low in _PROD_WORDS:
        return True
    if low.startswith(_PROD_LOOKALIKES):
        return False
    return low.startswith(("prod", "prd")) or low.endswith(("prod", "prd"))


def looks_like_production(names: Iterable[str]) -> str | None:
    """The first account alias or name that looks like production, or None.

    A name is cut into word parts (separators, camelCase, letters/digits: ``acmeProd``,
    ``acme-prod1``, ``prod2024``); a part that is ``prod``, ``prd``, ``production`` or ``live``, or
    starts or ends with ``prod``/``prd`` (``acmeprod``, ``prodeu``), looks like production, except
    words that merely begin with ``produc``/``prodig`` (product, produce, prodigy). Deliberately
    eager: ``nonprod`` and ``preprod`` are flagged too (a false positive costs a
    ``--force-production``; a false negative costs a production account)."""
    for name in names:
        if any(_production_part(p) for p in _PARTS.findall(name)):
            return name
    return None


def guard_account(
    identity: Mapping[str, Any],
    *,
    allow_accounts: set[str],
    endpoint_url: str | None,
    force: bool = False,
    account_aliases: Iterable[str] = (),
    emulator: str | None = None,
) -> None:
    """Raise :class:`UsageError` (exit 2) unless writing to this account is allowed. ``emulator``: what
    :func:`prove_emulator` found at the endpoint; only a loopback endpoint that is a proven emulator
    needs no allow-list."""
    if emulator is not None and is_loopback(endpoint_url):
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


def configured_endpoints(environ: Mapping[str, str], full_config: Mapping[str, Any],
                         scoped_config: Mapping[str, Any]) -> tuple[str | None, list[tuple[str, str]]]:
    """What the AWS configuration says about endpoints ("Service-specific endpoints", AWS SDKs and
    Tools Reference Guide): the global one (``AWS_ENDPOINT_URL``, else the profile's ``endpoint_url``)
    and every per-service one as (where it is set, url): ``AWS_ENDPOINT_URL_<SERVICE>`` variables and
    the ``endpoint_url`` settings of the profile's ``services`` section."""
    global_url = environ.get("AWS_ENDPOINT_URL") or scoped_config.get("endpoint_url") or None
    per_service = [(name, value) for name, value in sorted(environ.items())
                   if name.startswith("AWS_ENDPOINT_URL_") and value]
    section = scoped_config.get("services")
    services = full_config.get("services", {}) if isinstance(full_config.get("services"), Mapping) else {}
    entries = services.get(section, {}) if isinstance(section, str) else {}
    for service, settings in sorted(entries.items()) if isinstance(entries, Mapping) else ():
        if isinstance(settings, Mapping) and settings.get("endpoint_url"):
            per_service.append((f"[services {section}] {service} endpoint_url", str(settings["endpoint_url"])))
    return (str(global_url) if global_url else None), per_service


def check_endpoints_agree(run_endpoint: str | None, per_service: Iterable[tuple[str, str]]) -> None:
    """Refuse (UsageError) a per-service endpoint that differs from the one the run uses: the account
    is checked through STS on the run's endpoint, so every service must write there too."""
    def norm(url: str | None) -> str:
        return (url or "").rstrip("/").lower()

    for where, url in per_service:
        if norm(url) != norm(run_endpoint):
            raise UsageError(
                f"refusing to run: {where} sends that service to {url!r}, not to the endpoint the account is "
                f"checked on ({run_endpoint or 'AWS'}); unset it or give the same --endpoint-url")
