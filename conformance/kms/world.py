"""The mutable state of one simulated AWS account: IAM roles, KMS keys, aliases and grants.

The model target owns one :class:`World`; every model handler gets it. Values inside are frozen
(``Key``, ``Grant``, ``Role``) and replaced on change, so a handler never half-updates one.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from kms_conformance.kms.errors import AwsError
from kms_conformance.kms.grants import Grant
from kms_conformance.kms.keys import Key, parse_alias_arn, parse_key_arn
from kms_conformance.policy import Policy, parse_policy

ADMIN_ROLE = "kms-conformance-admin"
SESSION_NAME = "kms-conformance"
_ADMIN_POLICY = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}


@dataclass(frozen=True)
class Role:
    """An IAM role: its trust policy and inline identity policies (parsed, and as written)."""

    arn: str
    name: str
    trust: Policy
    inline: Mapping[str, Policy] = field(default_factory=dict)
    tags: tuple[tuple[str, str], ...] = ()
    trust_text: str = ""
    inline_text: Mapping[str, str] = field(default_factory=dict)
    path: str = "/"
    role_id: str = ""
    description: str = ""
    create_date: float = 0.0


class GroupIndex:
    """The values of a dict grouped by one of their attributes, in the dict's order: what a walk over
    the dict finds (``[v for v in table.values() if v.attr == value]``), without the walk.

    Kept in step by :meth:`put` and :meth:`pop`; a value replaced under its own key must keep the
    attribute (a role keeps its name, a grant its key). Any other change to the dict (an entry added
    or removed directly) changes its shape (size, newest key), and the index is then rebuilt; every hit
    is checked against the dict."""

    def __init__(self, attribute: str) -> None:
        self.attribute = attribute
        self._keys: dict[Any, list[str]] = {}
        self._shape: tuple[int, Any] = (-1, None)

    @staticmethod
    def _shape_of(table: dict[str, Any]) -> tuple[int, Any]:
        return len(table), next(reversed(table), None)

    def _index(self, table: dict[str, Any]) -> dict[Any, list[str]]:
        if self._shape != self._shape_of(table):
            keys: dict[Any, list[str]] = {}
            for key, value in table.items():
                keys.setdefault(getattr(value, self.attribute), []).append(key)
            self._keys, self._shape = keys, self._shape_of(table)
        return self._keys

    def find(self, table: dict[str, Any], value: Any) -> list[Any]:
        """The values whose attribute is ``value``, in the dict's order."""
        found = (table.get(key) for key in self._index(table).get(value, ()))
        return [item for item in found if item is not None and getattr(item, self.attribute) == value]

    def put(self, table: dict[str, Any], key: str, item: Any) -> None:
        """``table[key] = item``, indexed."""
        keys = self._index(table)
        table[key] = item
        group = keys.setdefault(getattr(item, self.attribute), [])
        if key not in group:
            group.append(key)
        self._shape = self._shape_of(table)

    def pop(self, table: dict[str, Any], key: str) -> Any:
        """``table.pop(key)``, indexed."""
        keys = self._index(table)
        item = table.pop(key)
        group = keys.get(getattr(item, self.attribute), [])
        if key in group:
            group.remove(key)
        self._shape = self._shape_of(table)
        return item


@dataclass
class World:
    """One account in one Region. ``admin`` is the caller when a target call has no principal:
    a role with an inline policy allowing ``*`` on ``*``."""

    account: str = "111122223333"
    region: str = "us-east-1"
    partition: str = "aws"
    roles: dict[str, Role] = field(default_factory=dict)
    keys: dict[str, Key] = field(default_factory=dict)
    aliases: dict[str, str] = field(default_factory=dict)
    grants: dict[str, Grant] = field(default_factory=dict)
    grant_tokens: dict[str, str] = field(default_factory=dict)
    services: dict[str, Any] = field(default_factory=dict)
    admin: str = ""
    clock: float = 1_700_000_000.0
    _counter: int = 0
    _roles_by_name: GroupIndex = field(default_factory=lambda: GroupIndex("name"), repr=False, compare=False)
    _grants_by_key: GroupIndex = field(default_factory=lambda: GroupIndex("key_arn"), repr=False, compare=False)

    def __post_init__(self) -> None:
        if self.partition == "aws" and self.region.startswith(("cn-", "us-gov-")):
            self.partition = "aws-cn" if self.region.startswith("cn-") else "aws-us-gov"
        if not self.admin:
            self.admin = f"arn:{self.partition}:iam::{self.account}:role/{ADMIN_ROLE}"
        if self.admin not in self.roles and ":role/" in self.admin:
            name = self.admin.rsplit("/", 1)[1]
            trust = {"Version": "2012-10-17", "Statement": [{
                "Effect": "Allow", "Principal": {"AWS": f"arn:{self.partition}:iam::{self.account}:root"},
                "Action": "sts:AssumeRole"}]}
            self.roles[self.admin] = Role(
                arn=self.admin, name=name, trust=parse_policy(trust, origin=f"{name} trust policy"),
                inline={"admin": parse_policy(_ADMIN_POLICY, origin=f"{name}/admin")},
                trust_text=json.dumps(trust), inline_text={"admin": json.dumps(_ADMIN_POLICY)},
                role_id=self.new_id("role"), create_date=self.clock)

    def roles_named(self, name: str) -> list[Role]:
        """The roles called ``name``, oldest first (a name is unique in an account; the world may hold
        other accounts' roles): what a walk over ``roles`` finds, from an index."""
        return self._roles_by_name.find(self.roles, name)

    def add_role(self, role: Role) -> None:
        """Add a role (or replace the one with its ARN), keeping the name index in step."""
        self._roles_by_name.put(self.roles, role.arn, role)

    def remove_role(self, arn: str) -> None:
        """Remove the role with that ARN, keeping the name index in step."""
        self._roles_by_name.pop(self.roles, arn)

    def add_grant(self, grant: Grant) -> None:
        """Add a grant, keeping the key index in step."""
        self._grants_by_key.put(self.grants, grant.grant_id, grant)

    def remove_grant(self, grant_id: str) -> None:
        """Remove the grant with that id, keeping the key index in step."""
        self._grants_by_key.pop(self.grants, grant_id)

    def now(self) -> float:
        """A monotonically increasing clock (seconds), so creation dates order events."""
        self.clock += 1.0
        return self.clock

    def new_id(self, kind: str) -> str:
        """A fresh, deterministic identifier: ``key`` (UUID form), ``mrk`` (``mrk-`` + 32 hex),
        ``grant`` (64 hex), ``token`` (a grant token), ``role`` (``AROA`` + 17 characters)."""
        self._counter += 1
        digest = hashlib.sha256(f"{self.account}:{self.region}:{kind}:{self._counter}".encode()).hexdigest()
        if kind == "key":
            return f"{digest[:8]}-{digest[8:12]}-{digest[12:16]}-{digest[16:20]}-{digest[20:32]}"
        if kind == "mrk":
            return "mrk-" + digest[:32]
        if kind == "grant":
            return digest
        if kind == "token":
            return "AQpAM" + hashlib.sha256(digest.encode()).hexdigest() + digest
        if kind == "role":
            return "AROA" + digest[:17].upper()
        return digest[:32]

    def session_arn(self, role_arn: str) -> str:
        """The assumed-role session ARN of a role: ``arn:aws:sts::A:assumed-role/NAME/kms-conformance``."""
        name = role_arn.rsplit("/", 1)[1]
        account = role_arn.split(":")[4]
        return f"arn:{self.partition}:sts::{account}:assumed-role/{name}/{SESSION_NAME}"

    def role_of(self, principal: str) -> Role | None:
        """The role of a role ARN or of one of its sessions (None when unknown)."""
        if principal in self.roles:
            return self.roles[principal]
        parts = principal.split(":", 5)
        if len(parts) == 6 and parts[2] == "sts" and parts[5].startswith("assumed-role/"):
            name = parts[5].split("/")[1]
            for role in self.roles_named(name):
                if role.arn.split(":")[4] == parts[4]:
                    return role
        return None

    def identity_policies(self, principal: str) -> tuple[Policy, ...]:
        """The identity policies of a principal: a role's (or its session's) inline policies."""
        role = self.role_of(principal)
        return tuple(role.inline.values()) if role is not None else ()

    def key_arn(self, key_id: str) -> str:
        return f"arn:{self.partition}:kms:{self.region}:{self.account}:key/{key_id}"

    def resolve_key(self, key_ref: str, *, allow_alias: bool = True) -> Key:
        """The key named by a key id, key ARN, alias name or alias ARN ("Key identifiers
        (KeyId)"); NotFoundException when there is none (or an alias where ``allow_alias`` is
        False: operations such as CreateGrant take only a key id or key ARN)."""
        if not isinstance(key_ref, str) or not key_ref:
            raise AwsError("ValidationException", "KeyId must be a non-empty string")
        key_id: str | None = None
        if key_ref.startswith("alias/") or parse_alias_arn(key_ref):
            if not allow_alias:
                raise AwsError("NotFoundException", f"Invalid keyId {key_ref}: this operation takes no alias")
            alias = key_ref
            parsed = parse_alias_arn(key_ref)
            if parsed is not None:
                partition, region, account, alias = parsed
                if (partition, region, account) != (self.partition, self.region, self.account):
                    raise AwsError("NotFoundException", f"Alias {key_ref} is not found.")
            key_id = self.aliases.get(alias)
            if key_id is None:
                raise AwsError("NotFoundException", f"Alias {key_ref} is not found.")
        elif key_ref.startswith("arn:"):
            parsed_key = parse_key_arn(key_ref)
            if parsed_key is None:
                raise AwsError("NotFoundException", f"Invalid arn {key_ref}")
            partition, region, account, key_id = parsed_key
            if (partition, region, account) != (self.partition, self.region, self.account):
                raise AwsError("NotFoundException", f"Key '{key_ref}' does not exist")
        else:
            key_id = key_ref
        key = self.keys.get(key_id)
        if key is None:
            raise AwsError("NotFoundException", f"Key '{self.key_arn(key_id)}' does not exist")
        return key

    def grants_of(self, key: Key) -> tuple[Grant, ...]:
        """The key's grants, oldest first."""
        return tuple(self._grants_by_key.find(self.grants, key.arn))
