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
      "buckets": [{"arn": "arn:aws:s3:::my-airflow-bucket", "region": "us-east-1"}],   # optional
      "request": {...as the service's API takes it...}
    }

A key a request names must be a key of the setup: described under ``keys``, or declared there
as external, ``{"arn": KEY_ARN, "external": true}`` (optionally with ``aliases``), for a key the
setup does not describe (one in another stack or account). An external key is not in
``Setup.keys``: no rule judges its attributes or its policy, which the setup does not give, and
``Setup.find_key`` does not return it (``Setup.is_external`` says it is declared). An AWS managed
key (``alias/aws/...``) is external by nature. The Forecast and Feature Store rules judge the
policy of the key a request names, so those setups describe it.

Before parsing, ``check`` validates the file against ``setup.schema.json`` and each request
against botocore's model of its service (:mod:`kms_conformance.setup_validate`).

``buckets`` names the Region of an S3 bucket the request refers to (an S3 bucket ARN carries no
Region; it is what GetBucketLocation answers), for rules about the bucket's Region (MWAA-01).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kms_conformance import inputs
from kms_conformance.arns import alias_arn, is_account_id, parse_bucket_arn, parse_key_arn, role_arn
from kms_conformance.errors import InputError
from kms_conformance.kms.keys import KEY_SPEC_USAGES, KEY_STATES, KEY_USAGES

SERVICES = ("forecast", "feature-store", "opensearch-serverless", "mwaa")
KEY_SPECS: tuple[str, ...] = tuple(KEY_SPEC_USAGES)


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
    buckets: Mapping[str, str] = field(default_factory=dict)  # S3 bucket ARN -> its Region
    external_keys: tuple[KeySetup, ...] = ()  # declared, not described: no rule judges them

    def find_key(self, ref: str) -> KeySetup | None:
        """Resolve a key reference as AWS would: key id, key ARN, alias name or alias ARN."""
        return _resolve(self.keys, ref)

    def is_external(self, ref: str) -> bool:
        """The reference names a key the setup declares external (``"external": true``)."""
        return _resolve(self.external_keys, ref) is not None


def _resolve(keys: tuple[KeySetup, ...], ref: str) -> KeySetup | None:
    """The key of ``keys`` a reference names (key id, key ARN, alias name or alias ARN), or None."""
    for key in keys:
        if ref in (key.arn, key.key_id):
            return key
        for alias in key.aliases:
            if ref in (alias, alias_arn(key.partition, key.region, key.account, alias)):
                return key
    return None


def load_document(path: str | Path) -> Any:
    """Read a JSON or YAML file; a syntax error names the file and the line."""
    return inputs.load_document(path)


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
    parsed = parse_key_arn(arn)
    if parsed is None:
        raise InputError(f"not a KMS key ARN: {arn!r} (arn:aws:kms:REGION:ACCOUNT:key/KEY_ID, KEY_ID a UUID "
                         "or mrk- and 32 hex digits)", source=source, path=f"{path}.arn")
    spec = raw.get("keySpec", "SYMMETRIC_DEFAULT")
    if spec not in KEY_SPECS:
        raise InputError(f"unknown KeySpec {spec!r}", source=source, path=f"{path}.keySpec")
    usage = raw.get("keyUsage", "ENCRYPT_DECRYPT")
    if usage not in KEY_USAGES:
        raise InputError(f"unknown KeyUsage {usage!r}", source=source, path=f"{path}.keyUsage")
    state = raw.get("keyState", "Enabled")
    if state not in KEY_STATES:
        raise InputError(f"unknown KeyState {state!r}", source=source, path=f"{path}.keyState")
    multi = raw.get("multiRegion", parsed.resource_id.startswith("mrk-"))
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
        arn=arn, partition=parsed.partition, region=parsed.region, account=parsed.account,
        key_id=parsed.resource_id,
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
    if not is_account_id(account):
        raise InputError(f"an account id is 12 digits, got {account!r}", source=source, path="account")
    region = _expect(raw.get("region", "us-east-1"), str, source, "region", "a region name")
    caller = _expect(raw.get("caller", role_arn("aws", account, "Admin")), str, source, "caller", "a principal ARN")
    keys_raw = _expect(raw.get("keys", []), list, source, "keys", "a list of keys")
    parsed_keys = [(parse_key(k, source=source, path=f"keys[{i}]"), _external(k, source, f"keys[{i}]"))
                   for i, k in enumerate(keys_raw)]
    keys = tuple(k for k, external in parsed_keys if not external)
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
                 identity_policies=identity, grants=tuple(grants), request=request, raw=raw,
                 buckets=_buckets(raw.get("buckets", []), source),
                 external_keys=tuple(k for k, external in parsed_keys if external))


_DESCRIBED = ("keySpec", "keyUsage", "keyState", "origin", "multiRegion", "keyRotationEnabled", "policy")


def _external(raw: Any, source: str, path: str) -> bool:
    """``"external": true``: a key the setup declares without describing it (arn and aliases only)."""
    external = raw.get("external", False) if isinstance(raw, dict) else False
    _expect(external, bool, source, f"{path}.external", "true or false")
    described = [m for m in _DESCRIBED if m in raw] if external else []
    if described:
        raise InputError(f"an external key is not described here: drop {described[0]} or \"external\"",
                         source=source, path=f"{path}.{described[0]}")
    return bool(external)


def _buckets(raw: Any, source: str) -> dict[str, str]:
    """``buckets``: a list of ``{"arn": S3 bucket ARN, "region": its Region}``."""
    _expect(raw, list, source, "buckets", "a list of buckets")
    out: dict[str, str] = {}
    for i, entry in enumerate(raw):
        _expect(entry, dict, source, f"buckets[{i}]", "an object")
        arn = _expect(entry.get("arn"), str, source, f"buckets[{i}].arn", "an S3 bucket ARN string")
        if parse_bucket_arn(arn) is None:
            raise InputError(f"not an S3 bucket ARN: {arn!r} (arn:aws:s3:::BUCKET)", source=source,
                             path=f"buckets[{i}].arn")
        out[arn] = _expect(entry.get("region"), str, source, f"buckets[{i}].region", "a region name")
    return out


def load_setup(path: str | Path, *, service: str | None = None) -> Setup:
    """Read and parse a setup file."""
    return parse_setup(load_document(path), source=str(path), service=service)
