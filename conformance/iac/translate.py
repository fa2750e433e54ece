"""From the resources of a CloudFormation template or a Terraform plan to the kit's setup.

Both readers (:mod:`kms_conformance.iac.cloudformation`, :mod:`kms_conformance.iac.terraform`)
resolve their own language and hand over the same few declarations, already in creation order:
keys, aliases, roles, identity policies attached to roles, and service calls (one request member
each). :func:`build_setup` turns them into the setup document of ``kms_conformance.setup`` and
parses it; what a reader could not map it reports as :class:`NotChecked`, never silently.

Placeholders: a resource's physical id is not known before it is created, so a key created by the
template gets the ARN ``arn:PARTITION:kms:REGION:ACCOUNT:key/<UUID>``, the UUID derived from the
resource's logical id or address (:func:`placeholder_key_id`): the same name gives the same key, so
every reference to it keeps its link.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from kms_conformance.arns import key_arn, parse_role_arn, role_arn, root_arn
from kms_conformance.errors import InputError
from kms_conformance.setup import SERVICES, Setup, parse_setup

DEFAULT_ACCOUNT = "111122223333"
DEFAULT_REGION = "us-east-1"
_NAMESPACE = uuid.UUID("8d0c3f5e-2a7b-4c1e-9f6d-5b4a3c2d1e0f")


@dataclass(frozen=True)
class NotChecked:
    """A resource, or one property of it, the translation did not carry into the setup."""

    type: str
    name: str
    prop: str | None
    why: str

    def __str__(self) -> str:
        where = f"{self.name}.{self.prop}" if self.prop else self.name
        return f"not checked: {self.type} {where} ({self.why})"


@dataclass(frozen=True)
class Context:
    """Where the stack or plan is deployed, as the user said or the defaults assume."""

    account: str = DEFAULT_ACCOUNT
    region: str = DEFAULT_REGION
    partition: str = "aws"
    caller: str | None = None
    service: str | None = None

    def assumptions(self, *, account_given: bool, region_given: bool) -> tuple[str, ...]:
        """What the output says about values the file does not hold."""
        out = []
        if not account_given:
            out.append(f"account {self.account} assumed (pass --account to change it)")
        if not region_given:
            out.append(f"region {self.region} assumed (pass --region to change it)")
        if self.caller is None:
            out.append(f"caller {role_arn(self.partition, self.account, 'Admin')} assumed "
                       "(who sends the service request; pass --caller to change it)")
        return tuple(out)


@dataclass(frozen=True)
class KeyDecl:
    """``AWS::KMS::Key`` / ``aws_kms_key``. ``policy`` None is the default key policy."""

    name: str
    arn: str
    policy: Any = None
    key_spec: str = "SYMMETRIC_DEFAULT"
    key_usage: str = "ENCRYPT_DECRYPT"
    multi_region: bool = False
    enabled: bool = True
    rotation: bool | None = None
    origin: str = "AWS_KMS"


@dataclass(frozen=True)
class AliasDecl:
    """``AWS::KMS::Alias`` / ``aws_kms_alias``: ``target`` is a key id or key ARN."""

    name: str
    alias_name: str
    target: str


@dataclass(frozen=True)
class RoleDecl:
    """An IAM role of the template: its ARN and its inline policies."""

    name: str
    arn: str
    role_name: str
    policies: tuple[Any, ...] = ()


@dataclass(frozen=True)
class PolicyAttachment:
    """A policy document attached to roles (by role name or role ARN)."""

    name: str
    document: Any
    roles: tuple[str, ...]


@dataclass(frozen=True)
class ServiceCall:
    """One request of a service: ``request[operation]`` is ``body`` (or a list of such bodies)."""

    name: str
    type: str
    service: str
    operation: str
    body: Mapping[str, Any]
    many: bool = False


Decl = KeyDecl | AliasDecl | RoleDecl | PolicyAttachment | ServiceCall


@dataclass(frozen=True)
class Translation:
    """A template or plan read as a setup, with what was left out and what was assumed."""

    setup: Setup
    not_checked: tuple[NotChecked, ...] = ()
    assumptions: tuple[str, ...] = ()
    resources: tuple[str, ...] = field(default=())

    def to_dict(self) -> dict[str, Any]:
        """The ``--json`` form of what the translation reports."""
        return {"notChecked": [str(n) for n in self.not_checked], "assumptions": list(self.assumptions),
                "resources": list(self.resources)}


def placeholder_key_id(name: str, *, multi_region: bool = False) -> str:
    """A deterministic key id for a key the template creates: a UUID (or ``mrk-`` and 32 hex digits
    for a multi-Region key, "Key identifiers (KeyId)", AWS KMS Developer Guide).

    >>> placeholder_key_id("DataKey") == placeholder_key_id("DataKey")
    True
    >>> placeholder_key_id("DataKey", multi_region=True).startswith("mrk-")
    True
    """
    value = uuid.uuid5(_NAMESPACE, name)
    return f"mrk-{value.hex}" if multi_region else str(value)


def placeholder_key_arn(ctx: Context, name: str, *, multi_region: bool = False) -> str:
    """The ARN a template's key is assumed to get."""
    return key_arn(ctx.partition, ctx.region, ctx.account, placeholder_key_id(name, multi_region=multi_region))


def default_key_policy(ctx: Context) -> dict[str, Any]:
    """The key policy KMS attaches when CreateKey gets none: one statement letting the account's IAM
    policies allow every KMS operation ("Default key policy", AWS KMS Developer Guide)."""
    return {"Version": "2012-10-17", "Statement": [{
        "Sid": "Enable IAM User Permissions", "Effect": "Allow",
        "Principal": {"AWS": root_arn(ctx.partition, ctx.account)}, "Action": "kms:*", "Resource": "*"}]}


def topological(names: Sequence[str], edges: Mapping[str, Iterable[str]], *, source: str) -> list[str]:
    """``names`` ordered so that each comes after what it depends on (``edges[name]``), ties kept in
    file order; a dependency loop is an input error naming the resources.

    >>> topological(["Collection", "Policy"], {"Collection": ["Policy"]}, source="t")
    ['Policy', 'Collection']
    """
    order: list[str] = []
    state: dict[str, int] = {}
    known = set(names)

    def visit(name: str, trail: tuple[str, ...]) -> None:
        if state.get(name) == 2:
            return
        if state.get(name) == 1:
            loop = " -> ".join((*trail[trail.index(name):], name))
            raise InputError(f"circular dependency: {loop}", source=source, path="Resources")
        state[name] = 1
        for dep in edges.get(name, ()):
            if dep in known and dep != name:
                visit(dep, (*trail, name))
        state[name] = 2
        order.append(name)

    for name in names:
        visit(name, ())
    return order


def _role_arn_of(ref: str, roles: Sequence[RoleDecl], ctx: Context) -> str:
    """A role given by ARN or by name (``Roles: [name]``, ``role = "name"``) -> its ARN."""
    if parse_role_arn(ref) is not None:
        return ref
    for role in roles:
        if ref in (role.role_name, role.arn):
            return role.arn
    return role_arn(ctx.partition, ctx.account, ref)


def choose_service(calls: Sequence[ServiceCall], ctx: Context, *, source: str) -> str:
    """The one service the setup describes: the only one the file holds, or ``--service``."""
    found = list(dict.fromkeys(c.service for c in calls))
    if ctx.service is not None:
        if ctx.service not in found:
            raise InputError(f"no resource of the service {ctx.service!r} in the file (found: "
                             f"{', '.join(found) or 'none'})", source=source, path="$")
        return ctx.service
    if not found:
        raise InputError("no resource of forecast, feature-store, opensearch-serverless or mwaa in the file; "
                         "nothing to check", source=source, path="$")
    if len(found) > 1:
        raise InputError(f"the file holds resources of several services ({', '.join(found)}); a setup is one "
                         "service's: pass --service to check each in turn", source=source, path="$")
    return found[0]


def build_setup(decls: Sequence[Decl], ctx: Context, *, source: str) -> tuple[Setup, tuple[NotChecked, ...]]:
    """The setup document the declarations describe (in their order), parsed by ``parse_setup``."""
    service = choose_service([d for d in decls if isinstance(d, ServiceCall)], ctx, source=source)
    assert service in SERVICES
    roles = [d for d in decls if isinstance(d, RoleDecl)]
    keys: dict[str, dict[str, Any]] = {}
    by_id: dict[str, str] = {}
    for d in decls:
        if isinstance(d, KeyDecl):
            entry: dict[str, Any] = {
                "arn": d.arn, "keySpec": d.key_spec, "keyUsage": d.key_usage, "multiRegion": d.multi_region,
                "keyState": "Enabled" if d.enabled else "Disabled", "origin": d.origin, "aliases": [],
                "policy": d.policy if d.policy is not None else default_key_policy(ctx)}
            if d.rotation is not None:
                entry["keyRotationEnabled"] = d.rotation
            keys[d.arn] = entry
            by_id[d.arn.rsplit("/", 1)[-1]] = d.arn
    skipped: list[NotChecked] = []
    for d in decls:
        if isinstance(d, AliasDecl):
            target = by_id.get(d.target, d.target)
            if target in keys:
                keys[target]["aliases"].append(d.alias_name)
            else:
                skipped.append(NotChecked("alias", d.name, "TargetKeyId",
                                          f"targets {d.target!r}, a key the file does not create"))
    identity: dict[str, list[Any]] = {}
    for d in decls:
        if isinstance(d, RoleDecl) and d.policies:
            identity.setdefault(d.arn, []).extend(d.policies)
        elif isinstance(d, PolicyAttachment):
            for ref in d.roles:
                identity.setdefault(_role_arn_of(ref, roles, ctx), []).append(d.document)
    request: dict[str, Any] = {}
    for d in decls:
        if isinstance(d, ServiceCall) and d.service == service:
            if d.many:
                request.setdefault(d.operation, []).append(dict(d.body))
            elif d.operation in request:
                raise InputError(f"a {service} setup holds one {d.operation}; the file has several "
                                 f"({d.type} resources): check one at a time", source=source, path=d.name)
            else:
                request[d.operation] = dict(d.body)
        elif isinstance(d, ServiceCall):
            skipped.append(NotChecked(d.type, d.name, None, f"a {d.service} resource; this check is of {service}"))
    raw = {"service": service, "account": ctx.account, "region": ctx.region,
           "caller": ctx.caller or role_arn(ctx.partition, ctx.account, "Admin"),
           "keys": list(keys.values()), "identityPolicies": identity, "request": request}
    return parse_setup(raw, source=source), tuple(skipped)
