"""The setup a user hands to ``kms-conformance check``: what they are about to send to AWS.

One JSON or YAML file per setup. The common part (keys with their policies, identity policies,
grants) is parsed here; the service part under ``request`` is parsed by the service's spec module,
which reports its own JSON paths (``request.CreateEnvironment.KmsKey``). Format::

    {
      "service": "opensearch-serverless",          # forecast | feature-store | opensearch-serverless | mwaa
      "account": "111122223333",
      "region": "us-east-1",
      "caller": "arn:aws:iam::111122223333:role/Admin",   # who sends the service request (optional)
      "keys": [{"arn": "arn:aws:kms:us-east-1:111122223333:key/...", "keySpec": "SYMMETRIC_DEFAULT",
                "keyUsage": "ENCRYPT_DECRYPT", "multiRegion": false, "keyState": "Enabled",
                "aliases": ["alias/logs"], "policy": {...key policy...}}],
      "identityPolicies": {"arn:aws:iam::111122223333:role/R": [{...policy...}]},
      "grants": [{"KeyId": "...", "GranteePrincipal": "...", "Operations": ["Decrypt"], ...}],
      "request": {...as the service's API takes it...}
    }
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kms_conformance.errors import InputError
from kms_conformance.kms.keys import KEY_SPEC_USAGES, KEY_STATES, KEY_USAGES

SERVICES = ("forecast", "feature-store", "opensearch-serverless", "mwaa")
KEY_SPECS: tuple[str, ...] = tuple(KEY_SPEC_USAGES)
_KEY_ARN = re.compile(r"^arn:(aws|aws-cn|aws-us-gov):kms:([a-z0-9-]+):(\d{12}):key/((?:mrk-)?[0-9a-fA-F-]+)$")
_ACCOUNT = re.compile(r"^\d{12}$")


@dataclass(frozen=True)
class KeySetup:
    """One KMS key of the setup. ``policy`` is a parsed ``kms_conformance.policy.Policy`` (or None)."""

    arn: str
    partition: str
    region: str
    account: str
    key_id: str
    key_spec: str = "SYMMETRIC_DEFAULT"
    key_usage: str = "ENCRYPT_DECRYPT"
    multi_region: bool = False
    key_state: str = "Enabled"
    origin: str = "AWS_KMS"
    aliases: tuple[str, ...] = ()
    policy: Any = None

    @property
    def symmetric(self) -> bool:
        return self.key_spec == "SYMMETRIC_DEFAULT"


@dataclass(frozen=True)
class Setup:
    """A parsed setup file. ``request`` stays raw: the service's spec module parses it."""

    source: str
    service: str
    account: str
    region: str
    caller: str
    keys: tuple[KeySetup, ...] = ()
    identity_policies: Mapping[str, tuple[Any, ...]] = field(default_factory=dict)
    grants: tuple[Any, ...] = ()
    request: Mapping[str, Any] = field(default_factory=dict)
    raw: Mapping[str, Any] = field(default_factory=dict)

    def find_key(self, ref: str) -> KeySetup | None:
        """Resolve a key reference as AWS would: key id, key ARN, alias name or alias ARN."""
        for key in self.keys:
            if ref in (key.arn, key.key_id):
                return key
            for alias in key.aliases:
                if ref == alias or ref == f"arn:{key.partition}:kms:{key.region}:{key.account}:{alias}":
                    return key
        return None


def load_document(path: str | Path) -> Any:
    """Read a JSON or YAML file; a syntax error names the file and the line."""
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InputError("no such file", source=str(path)) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"cannot read: {exc}", source=str(path)) from None
    if p.suffix.lower() in (".yaml", ".yml"):
        import yaml

        try:
            return yaml.safe_load(text)
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            where = f"line {mark.line + 1}" if mark is not None else "$"
            raise InputError(f"not valid YAML: {getattr(exc, 'problem', exc)}", source=str(path), path=where) from None
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputError(f"not valid JSON: {exc.msg} (line {exc.lineno}, column {exc.colno})",
                         source=str(path)) from None


def _expect(value: Any, kind: type | tuple[type, ...], source: str, path: str, what: str) -> Any:
    if not isinstance(value, kind) or (kind is not bool and isinstance(value, bool) and bool not in (
            kind if isinstance(kind, tuple) else (kind,))):
        raise InputError(f"expected {what}, got {type(value).__name__}", source=source, path=path)
    return value


def parse_key(raw: Any, *, source: str, path: str) -> KeySetup:
    """Parse one entry of ``keys``."""
    from kms_conformance.policy import PolicyError, parse_policy

    _expect(raw, dict, source, path, "an object")
    arn = _expect(raw.get("arn"), str, source, f"{path}.arn", "a key ARN string")
    m = _KEY_ARN.match(arn)
    if not m:
        raise InputError(f"not a KMS key ARN: {arn!r} (arn:aws:kms:REGION:ACCOUNT:key/KEY_ID)",
                         source=source, path=f"{path}.arn")
    spec = raw.get("keySpec", "SYMMETRIC_DEFAULT")
    if spec not in KEY_SPECS:
        raise InputError(f"unknown KeySpec {spec!r}", source=source, path=f"{path}.keySpec")
    usage = raw.get("keyUsage", "ENCRYPT_DECRYPT")
    if usage not in KEY_USAGES:
        raise InputError(f"unknown KeyUsage {usage!r}", source=source, path=f"{path}.keyUsage")
    state = raw.get("keyState", "Enabled")
    if state not in KEY_STATES:
        raise InputError(f"unknown KeyState {state!r}", source=source, path=f"{path}.keyState")
    multi = raw.get("multiRegion", m.group(4).startswith("mrk-"))
    _expect(multi, bool, source, f"{path}.multiRegion", "true or false")
    aliases = raw.get("aliases", [])
    _expect(aliases, list, source, f"{path}.aliases", "a list of alias names")
    for i, alias in enumerate(aliases):
        if not isinstance(alias, str) or not alias.startswith("alias/"):
            raise InputError(f"an alias name starts with 'alias/', got {alias!r}", source=source,
                             path=f"{path}.aliases[{i}]")
    policy = None
    if raw.get("policy") is not None:
        try:
            policy = parse_policy(raw["policy"], origin=f"{path}.policy")
        except PolicyError as exc:
            raise InputError(exc.message, source=source, path=f"{path}.policy.{exc.path}".rstrip(".$")) from None
    return KeySetup(
        arn=arn, partition=m.group(1), region=m.group(2), account=m.group(3), key_id=m.group(4),
        key_spec=spec, key_usage=usage, multi_region=multi, key_state=state,
        origin=str(raw.get("origin", "AWS_KMS")), aliases=tuple(aliases), policy=policy,
    )


def parse_setup(raw: Any, *, source: str = "<setup>", service: str | None = None) -> Setup:
    """Parse the common part of a setup document; ``service`` overrides the file's ``service``."""
    from kms_conformance.kms import parse_grant
    from kms_conformance.policy import PolicyError, parse_policy

    _expect(raw, dict, source, "$", "a JSON object")
    svc = service or raw.get("service")
    if svc is None:
        raise InputError(f"which service? add \"service\": one of {', '.join(SERVICES)} (or pass --service)",
                         source=source, path="service")
    if svc not in SERVICES:
        raise InputError(f"unknown service {svc!r}; one of {', '.join(SERVICES)}", source=source, path="service")
    account = str(raw.get("account", "111122223333"))
    if not _ACCOUNT.match(account):
        raise InputError(f"an account id is 12 digits, got {account!r}", source=source, path="account")
    region = _expect(raw.get("region", "us-east-1"), str, source, "region", "a region name")
    caller = _expect(raw.get("caller", f"arn:aws:iam::{account}:role/Admin"), str, source, "caller", "a principal ARN")
    keys_raw = _expect(raw.get("keys", []), list, source, "keys", "a list of keys")
    keys = tuple(parse_key(k, source=source, path=f"keys[{i}]") for i, k in enumerate(keys_raw))
    ids_raw = _expect(raw.get("identityPolicies", {}), dict, source, "identityPolicies",
                      "an object of principal ARN -> list of policies")
    identity: dict[str, tuple[Any, ...]] = {}
    for principal, policies in ids_raw.items():
        base = f"identityPolicies.{principal}"
        if isinstance(policies, dict):
            policies = [policies]
        _expect(policies, list, source, base, "a list of policies")
        parsed = []
        for i, doc in enumerate(policies):
            try:
                parsed.append(parse_policy(doc, origin=f"{base}[{i}]"))
            except PolicyError as exc:
                raise InputError(exc.message, source=source, path=f"{base}[{i}].{exc.path}".rstrip(".$")) from None
        identity[principal] = tuple(parsed)
    grants_raw = _expect(raw.get("grants", []), list, source, "grants", "a list of grants")
    grants = []
    for i, g in enumerate(grants_raw):
        try:
            grants.append(parse_grant(g))
        except ValueError as exc:
            raise InputError(str(exc), source=source, path=f"grants[{i}]") from None
    request = _expect(raw.get("request", {}), dict, source, "request", "an object")
    return Setup(source=source, service=svc, account=account, region=region, caller=caller, keys=keys,
                 identity_policies=identity, grants=tuple(grants), request=request, raw=raw)


def load_setup(path: str | Path, *, service: str | None = None) -> Setup:
    """Read and parse a setup file."""
    return parse_setup(load_document(path), source=str(path), service=service)
