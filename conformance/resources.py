"""What the kit creates in an account, how it marks it, and how it is found and removed again.

DESIGN.md principle 5: every resource the kit creates carries the tags ``kms-conformance:run-id``
and ``kms-conformance:created`` (ISO 8601 UTC), or, where a resource takes no tags at creation
(OpenSearch Serverless security policies), a name that starts with :data:`NAME_PREFIX`. Keys are
scheduled for deletion with the shortest window KMS allows.

:data:`KINDS` is the one table of the kinds of resource: for each, the create operations that make
one, how such a call carries the run's tags, where its identifiers are in the call, how
``kms-conformance sweep`` finds leftovers of that kind (:mod:`kms_conformance.sweep`), and the calls
that remove one. The boto3 target (:mod:`kms_conformance.targets.boto`) tags and cleans up with it,
the sweep plans with it, and both remove through :func:`remove`. Sources: each operation's page of
the service's API Reference ("ScheduleKeyDeletion", "DeleteRole", "DeleteSecurityPolicy",
"DeleteResourceTree", ...).
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

RUN_TAG = "kms-conformance:run-id"
CREATED_TAG = "kms-conformance:created"
#: Name prefix of resources that cannot be tagged at creation. Lowercase, short: AOSS collection
#: names are 3-32 characters of [a-z0-9-].
NAME_PREFIX = "kmsc-"
#: Forecast names take no hyphen (``^[a-zA-Z][a-zA-Z0-9_]*``): the kit's start ``kmsc_``.
FORECAST_PREFIX = NAME_PREFIX.replace("-", "_")
#: The shortest pending window ScheduleKeyDeletion accepts ("ScheduleKeyDeletion", PendingWindowInDays
#: 7-30): every key the kit, its fixtures or the sweep remove is scheduled with it.
KEY_DELETION_WINDOW_DAYS = 7

_STAMP = "%Y-%m-%dT%H:%M:%SZ"
_RUN_ID_STAMP = "%Y%m%dT%H%M%SZ"
_RUN_ID = re.compile(r"(?P<stamp>\d{8}T\d{6}Z)-(?P<kind>[a-z][a-z0-9]*(?:-[a-z0-9]+)*)-(?P<token>[0-9a-f]{6})",
                     re.ASCII)


# -- run ids --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RunId:
    """A parsed run id: when the run started, what started it (``run``, ``pytest``, ...), a random token."""

    started: datetime
    kind: str
    token: str


def new_run_id(kind: str, now: datetime | None = None) -> str:
    """The id of one run, tagged on everything it creates: ``<start, UTC>-<kind>-<6 random hex>``.
    The token keeps apart runs that start in the same second (xdist workers each have their own).

    >>> new_run_id("pytest", datetime(2026, 11, 24, 2, 17, 54, tzinfo=UTC))[:-6]
    '20261124T021754Z-pytest-'
    """
    if not _RUN_ID.fullmatch(f"20000101T000000Z-{kind}-000000"):
        raise ValueError(f"a run id kind is lower-case letters, digits and single hyphens, got {kind!r}")
    return f"{(now or datetime.now(UTC)).strftime(_RUN_ID_STAMP)}-{kind}-{os.urandom(3).hex()}"


def parse_run_id(text: object) -> RunId | None:
    """The parts of a run id :func:`new_run_id` made, or None for anything else.

    >>> parse_run_id("20261124T021754Z-run-3f9a1c").started.isoformat()
    '2026-11-24T02:17:54+00:00'
    >>> parse_run_id("local") is None
    True
    """
    m = _RUN_ID.fullmatch(text) if isinstance(text, str) else None
    if m is None:
        return None
    started = datetime.strptime(m["stamp"], _RUN_ID_STAMP).replace(tzinfo=UTC)
    return RunId(started, m["kind"], m["token"])


def session_name(run_id: str) -> str:
    """The role session name of the run's ``sts:AssumeRole`` calls: :data:`NAME_PREFIX` and the run
    id, cut to the 64 characters AssumeRole takes."""
    return f"{NAME_PREFIX}{run_id}"[:64]


# -- tags -----------------------------------------------------------------------------------------


def creation_tags(run_id: str, now: datetime | None = None) -> dict[str, str]:
    """The two tags, as a ``{key: value}`` mapping."""
    return {RUN_TAG: run_id, CREATED_TAG: (now or datetime.now(UTC)).strftime(_STAMP)}


def created_at(tags: Mapping[str, str]) -> datetime | None:
    """When the kit created a resource: its ``created`` tag, else the start of the run its run id
    names; None when neither says."""
    raw = tags.get(CREATED_TAG)
    if raw:
        try:
            return datetime.strptime(raw, _STAMP).replace(tzinfo=UTC)
        except ValueError:
            pass
    run = parse_run_id(tags.get(RUN_TAG))
    return run.started if run is not None else None


@dataclass(frozen=True)
class TagShape:
    """How a service writes tags: a list of ``{key: K, value: V}`` objects under the field names
    ``key``/``value``, or (both None) a plain map."""

    key: str | None = None
    value: str | None = None

    def write(self, tags: Mapping[str, str]) -> list[dict[str, str]] | dict[str, str]:
        return self.items(tags) if self.key is not None else dict(tags)

    def items(self, tags: Mapping[str, str]) -> list[dict[str, str]]:
        return [{self.key or "Key": k, self.value or "Value": v} for k, v in tags.items()]

    def read(self, raw: Any) -> dict[str, str]:
        if isinstance(raw, Mapping):
            return {str(k): str(v) for k, v in raw.items()}
        return {str(t[self.key]): str(t[self.value]) for t in raw or () if self.key in t and self.value in t}


KMS_TAGS = TagShape("TagKey", "TagValue")
IAM_TAGS = TagShape("Key", "Value")  # also SageMaker's
AOSS_TAGS = TagShape("key", "value")
MAP_TAGS = TagShape()


def kms_tags(tags: Mapping[str, str]) -> list[dict[str, str]]:
    """KMS's tag shape (``TagKey``/``TagValue``)."""
    return KMS_TAGS.items(tags)


def iam_tags(tags: Mapping[str, str]) -> list[dict[str, str]]:
    """IAM's tag shape (``Key``/``Value``)."""
    return IAM_TAGS.items(tags)


# -- the table of kinds ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Each:
    """A list call whose items each feed one removal call: ``operation`` (parameters from the
    resource's identifiers), the items under ``items``, each item (or its ``field``) passed as ``parameter``."""

    operation: str
    params: Mapping[str, str]
    items: str
    parameter: str
    field: str = ""


@dataclass(frozen=True)
class Step:
    """One removal call: ``operation`` with ``params`` (API parameter -> identifier field) and
    ``fixed`` parameters; with ``each``, once per item of that list. ``otherwise``: when the call
    fails, the call (operation, parameters) that removes the resource alone, made from its
    identifiers; if that fails too, the first error stands. ``going``: when the call fails, whether
    the resource is already on its way out (client, identifiers, the error): then the call's work
    is done and the failure is none."""

    operation: str
    params: Mapping[str, str]
    fixed: Mapping[str, Any] = field(default_factory=dict)
    each: Each | None = None
    otherwise: Callable[[Mapping[str, str]], tuple[str, dict[str, Any]]] | None = None
    going: Callable[[Any, Mapping[str, str], Exception], bool] | None = None


def key_pending_deletion(client: Any, ident: Mapping[str, str], error: Exception) -> bool:
    """Whether a key whose ScheduleKeyDeletion failed is already pending deletion: DescribeKey says
    ``KeyState: PendingDeletion``, or, when DescribeKey is denied too, the failure is the
    ``KMSInvalidStateException`` KMS answers for a key pending deletion ("ScheduleKeyDeletion",
    Errors; "Key states of AWS KMS keys", AWS KMS Developer Guide)."""
    try:
        return bool(client.describe_key(KeyId=ident["id"])["KeyMetadata"]["KeyState"] == "PendingDeletion")
    except Exception:
        response = getattr(error, "response", None) or {}
        err = response.get("Error", {}) if isinstance(response, Mapping) else {}
        return err.get("Code") == "KMSInvalidStateException" and "pending deletion" in str(err.get("Message", ""))


def forecast_delete_alone(ident: Mapping[str, str]) -> tuple[str, dict[str, Any]]:
    """The call that deletes one Forecast resource without its children, named after the resource
    type of its ARN: ``dataset-group/x`` -> ``DeleteDatasetGroup(DatasetGroupArn=...)``,
    ``dataset/x`` -> ``DeleteDataset(DatasetArn=...)`` (Amazon Forecast API Reference,
    "DeleteDatasetGroup", "DeleteDataset"). Endpoints that lack DeleteResourceTree (moto) have these.

    >>> forecast_delete_alone({"id": "arn:aws:forecast:us-east-1:111122223333:dataset-group/kmsc_g"})[0]
    'DeleteDatasetGroup'
    """
    from kms_conformance.arns import parse_arn

    arn = parse_arn(ident["id"])
    if arn is None or arn.service != "forecast":
        raise ValueError(f"not a Forecast ARN: {ident['id']!r}")
    name = "".join(part.capitalize() for part in arn.resource.split("/")[0].split("-"))
    return f"Delete{name}", {f"{name}Arn": ident["id"]}


@dataclass(frozen=True)
class TagRead:
    """Where a found item's tags are: the response of ``operation`` (parameters from the item's
    fields) under ``key``, or, without an operation, the item's own field ``key``."""

    key: str
    shape: TagShape
    operation: str | None = None
    params: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Finder:
    """How ``sweep`` finds leftovers of a kind. ``operation`` lists them (``params`` fixed; for a kind
    found through another kind, ``within``, ``parent`` maps parameters to its identifiers); the items are
    under ``items``, paged by botocore's paginator or, for AOSS, by ``nextToken``. ``ident`` maps
    the kind's identifier fields to an item field (``""``: the item itself, ``"=x"``: the constant
    x, ``"parent.f"``: the parent's identifier). ``detail`` (operation, parameters from identifiers,
    response key) reads the item in full. An item is the kit's when its tags (``tags``) carry the run
    tag, or, for what takes no tags, when its ``name`` starts with one of ``prefixes`` (its age from
    ``created``). Items whose ``skip`` fields hold a listed value are already going; items without a
    ``require`` field are not removable. ``optional``: the endpoint may lack the service or the
    call, and then the finder finds nothing. ``label`` names the kind in the plan (default: the kind).
    ``service``: the client the finder lists with, when not the kind's own (the Resource Groups
    Tagging API); an ``ident`` source ``"arn:F"`` is the last ``/`` part of the item's ARN field F.
    When ``detail`` cannot be read (a key policy that denies DescribeKey), the item is judged by its
    tags alone; when it can, ``from_detail`` names identifier fields taken from the full record
    (a feature group's name as SageMaker spells it, not as its ARN does). A ``detail`` response key
    ``""`` is the whole response."""

    operation: str
    items: str
    ident: Mapping[str, str]
    params: Mapping[str, Any] = field(default_factory=dict)
    within: str = ""
    parent: Mapping[str, str] = field(default_factory=dict)
    next_token: bool = False
    detail: tuple[str, Mapping[str, str], str] | None = None
    tags: TagRead | None = None
    prefixes: tuple[str, ...] = ()
    name: str = ""
    created: str = ""
    skip: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    require: tuple[str, ...] = ()
    optional: bool = False
    label: str = ""
    service: str = ""
    from_detail: Mapping[str, str] = field(default_factory=dict)


#: The Resource Groups Tagging API's client name (it is no service of its own in :data:`KINDS`).
TAGGING_API = "resourcegroupstaggingapi"


def by_run_tag(resource_type: str, ident: Mapping[str, str], **more: Any) -> Finder:
    """A finder of the resources of ``resource_type`` (``service:type`` as the Resource Groups Tagging
    API names them) that carry the run tag: "GetResources" with ``TagFilters`` on
    :data:`RUN_TAG` (Resource Groups Tagging API Reference). It finds them without reading each
    resource, so a resource whose own read calls are denied is found all the same; an endpoint
    without the API, or one that does not cover the service, finds nothing this way (``optional``)
    and the kind's own list call finds them. ``ident`` reads ``ResourceARN``; ``more``: the
    :class:`Finder` fields that judge an item (``detail``, ``skip``, ``from_detail``, ``label``)."""
    return Finder("GetResources", "ResourceTagMappingList", ident,
                  params={"TagFilters": [{"Key": RUN_TAG}], "ResourceTypeFilters": [resource_type]},
                  service=TAGGING_API, tags=TagRead("Tags", IAM_TAGS), optional=True, **more)


@dataclass(frozen=True)
class Kind:
    """One kind of resource the kit creates. ``creates``: the create operations (``"Create"`` alone:
    every operation starting with it); ``ident``: its identifier fields and where a create call has
    them (``params.X``, ``response.A.B``, ``response.*Arn``: the first response field ending in
    ``Arn``); ``tags``: the create call's tag parameter and shape (None: no tags at creation);
    ``find``: how ``sweep`` finds leftovers; ``remove``: the calls that remove one, in order;
    ``shown``: the identifier fields that name it in messages (joined by ``/``)."""

    service: str
    name: str
    creates: tuple[str, ...]
    ident: Mapping[str, str]
    remove: tuple[Step, ...]
    tags: tuple[str, TagShape] | None = None
    find: tuple[Finder, ...] = ()
    shown: tuple[str, ...] = ("id",)

    def makes(self, service: str, operation: str) -> bool:
        return service == self.service and any(
            operation == op or (op == "Create" and operation.startswith(op)) for op in self.creates)

    def show(self, ident: Mapping[str, str]) -> str:
        return "/".join(ident.get(f, "") for f in self.shown)


#: Every kind, in removal order: the services' resources first (they hold grants on, and name, the
#: keys and roles; a collection before the security policies that match it, as DeleteSecurityPolicy
#: refuses a policy a collection still uses), then KMS aliases and grants before their key, then IAM
#: roles (inline policies deleted and managed policies detached before DeleteRole).
KINDS: tuple[Kind, ...] = (
    Kind("opensearchserverless", "collection", ("CreateCollection",), {"id": "response.createCollectionDetail.id"},
         (Step("DeleteCollection", {"id": "id"}),), tags=("tags", AOSS_TAGS),
         find=(by_run_tag("aoss:collection", {"id": "arn:ResourceARN"}),
               Finder("ListCollections", "collectionSummaries", {"id": "id"}, next_token=True,
                      tags=TagRead("tags", AOSS_TAGS, "ListTagsForResource", {"resourceArn": "arn"}),
                      skip={"status": ("DELETING",)}, require=("arn",), optional=True),)),
    Kind("opensearchserverless", "security-policy", ("CreateSecurityPolicy",),
         {"id": "params.name", "type": "params.type"}, (Step("DeleteSecurityPolicy", {"name": "id", "type": "type"}),),
         # the kit's policies (kmsc-...) and those AOSS made for its collections (auto-kmsc-..., AOSS-11)
         find=tuple(Finder("ListSecurityPolicies", "securityPolicySummaries", {"id": "name", "type": f"={kind}"},
                           params={"type": kind}, next_token=True, prefixes=(NAME_PREFIX, f"auto-{NAME_PREFIX}"),
                           name="name", created="createdDate", optional=True, label=f"{kind}-policy")
                    for kind in ("encryption", "network"))),
    Kind("sagemaker", "feature-group", ("CreateFeatureGroup",), {"id": "params.FeatureGroupName"},
         (Step("DeleteFeatureGroup", {"FeatureGroupName": "id"}),), tags=("Tags", IAM_TAGS),
         find=(by_run_tag("sagemaker:feature-group", {"id": "arn:ResourceARN"},
                          detail=("DescribeFeatureGroup", {"FeatureGroupName": "id"}, ""),
                          from_detail={"id": "FeatureGroupName"}, skip={"FeatureGroupStatus": ("Deleting",)}),
               Finder("ListFeatureGroups", "FeatureGroupSummaries", {"id": "FeatureGroupName"},
                      tags=TagRead("Tags", IAM_TAGS, "ListTags", {"ResourceArn": "FeatureGroupArn"}),
                      skip={"FeatureGroupStatus": ("Deleting",)}, optional=True),)),
    Kind("mwaa", "environment", ("CreateEnvironment",), {"id": "params.Name"},
         (Step("DeleteEnvironment", {"Name": "id"}),), tags=("Tags", MAP_TAGS),
         find=(by_run_tag("airflow:environment", {"id": "arn:ResourceARN"},
                          detail=("GetEnvironment", {"Name": "id"}, "Environment"), skip={"Status": ("DELETING",)}),
               Finder("ListEnvironments", "Environments", {"id": ""}, detail=("GetEnvironment", {"Name": "id"},
                                                                              "Environment"),
                      tags=TagRead("Tags", MAP_TAGS), skip={"Status": ("DELETING",)}, optional=True),)),
    # DeleteResourceTree on a dataset group removes its predictors, forecasts, explainabilities and
    # export jobs, on a dataset its import jobs ("DeleteResourceTree", Amazon Forecast API Reference).
    # Every Forecast Create call takes Tags ({Key, Value}): the boto target tags them, and the sweep
    # finds them by tag, or by name and CreationTime (untagged: made before the kit tagged them).
    Kind("forecast", "resource-tree", ("Create",), {"id": "response.*Arn"},
         (Step("DeleteResourceTree", {"ResourceArn": "id"}, otherwise=forecast_delete_alone),),
         tags=("Tags", IAM_TAGS),
         find=(by_run_tag("forecast:dataset-group", {"id": "ResourceARN"}, label="dataset-group"),
               by_run_tag("forecast:dataset", {"id": "ResourceARN"}, label="dataset"),
               Finder("ListDatasetGroups", "DatasetGroups", {"id": "DatasetGroupArn"}, prefixes=(FORECAST_PREFIX,),
                      name="DatasetGroupName", created="CreationTime", optional=True, label="dataset-group"),
               Finder("ListDatasets", "Datasets", {"id": "DatasetArn"}, prefixes=(FORECAST_PREFIX,),
                      name="DatasetName", created="CreationTime", optional=True, label="dataset"))),
    Kind("kms", "alias", ("CreateAlias",), {"id": "params.AliasName"}, (Step("DeleteAlias", {"AliasName": "id"}),),
         find=(Finder("ListAliases", "Aliases", {"id": "AliasName"}, within="key", parent={"KeyId": "id"}),)),
    Kind("kms", "grant", ("CreateGrant",), {"key": "params.KeyId", "id": "response.GrantId"},
         (Step("RevokeGrant", {"KeyId": "key", "GrantId": "id"}),),
         find=(Finder("ListGrants", "Grants", {"key": "parent.id", "id": "GrantId"}, within="key",
                      parent={"KeyId": "id"}),),
         shown=("key", "id")),
    Kind("kms", "key", ("CreateKey",), {"id": "response.KeyMetadata.KeyId"},
         (Step("ScheduleKeyDeletion", {"KeyId": "id"}, {"PendingWindowInDays": KEY_DELETION_WINDOW_DAYS},
               going=key_pending_deletion),),
         tags=("Tags", KMS_TAGS),
         # by run tag first: found even when the key's policy denies the sweep ListResourceTags and DescribeKey
         find=(by_run_tag("kms:key", {"id": "arn:ResourceARN"}, detail=("DescribeKey", {"KeyId": "id"}, "KeyMetadata"),
                          skip={"KeyManager": ("AWS",), "KeyState": ("PendingDeletion",)}),
               Finder("ListKeys", "Keys", {"id": "KeyId"}, detail=("DescribeKey", {"KeyId": "id"}, "KeyMetadata"),
                      tags=TagRead("Tags", KMS_TAGS, "ListResourceTags", {"KeyId": "KeyId"}),
                      skip={"KeyManager": ("AWS",), "KeyState": ("PendingDeletion",)}))),
    Kind("iam", "role", ("CreateRole",), {"id": "params.RoleName"},
         (Step("DeleteRolePolicy", {"RoleName": "id"},
               each=Each("ListRolePolicies", {"RoleName": "id"}, "PolicyNames", "PolicyName")),
          Step("DetachRolePolicy", {"RoleName": "id"},
               each=Each("ListAttachedRolePolicies", {"RoleName": "id"}, "AttachedPolicies", "PolicyArn", "PolicyArn")),
          Step("DeleteRole", {"RoleName": "id"})),
         tags=("Tags", IAM_TAGS),
         # IAM is not in the Resource Groups Tagging API: its own ListRoles and ListRoleTags
         find=(Finder("ListRoles", "Roles", {"id": "RoleName"},
                      tags=TagRead("Tags", IAM_TAGS, "ListRoleTags", {"RoleName": "RoleName"})),)),
)

def kind_named(service: str, name: str) -> Kind:
    """The row of :data:`KINDS` for ``service``'s kind ``name`` (KeyError when there is none)."""
    for kind in KINDS:
        if (kind.service, kind.name) == (service, name):
            return kind
    raise KeyError(f"{service} {name}")


def kind_made_by(service: str, operation: str) -> Kind | None:
    """The kind a create call makes, or None (not a create call of a kind the kit tracks)."""
    return next((k for k in KINDS if k.makes(service, operation)), None)


def with_tags(service: str, operation: str, params: Mapping[str, Any], tags: Mapping[str, str]) -> dict[str, Any]:
    """The create call's parameters with the run's tags added where the call takes tags, unless the
    scenario passed its own (a scenario's tags may be what a rule is about, e.g. an ``aws:TagKeys``
    condition)."""
    kind = kind_made_by(service, operation)
    if kind is None or kind.tags is None or kind.tags[0] in params:
        return dict(params)
    parameter, shape = kind.tags
    return {**params, parameter: shape.write(tags)}


def _dig(value: Any, path: str) -> Any:
    for part in path.split("."):
        if part == "*Arn" and isinstance(value, Mapping):
            value = next((v for k, v in value.items() if k.endswith("Arn") and isinstance(v, str)), None)
        else:
            value = value.get(part) if isinstance(value, Mapping) else None
    return value


def created_ident(kind: Kind, params: Mapping[str, Any], response: Mapping[str, Any]) -> dict[str, str] | None:
    """The identifiers of what a successful create call made (None when the call does not say them)."""
    sources = {"params": params, "response": response}
    ident: dict[str, str] = {}
    for name, where in kind.ident.items():
        origin, _, path = where.partition(".")
        value = _dig(sources[origin], path)
        if not isinstance(value, str) or not value:
            return None
        ident[name] = value
    return ident


# -- removal ----------------------------------------------------------------------------------------


def leftovers_outlive_run(target: str, endpoint_url: str | None) -> bool:
    """Whether what a run's cleanup could not remove stays after the run: on the ``aws`` target at
    AWS's own endpoints or any endpoint off this machine's loopback (a real account), yes; moto
    in-process and a loopback emulator (a moto server, LocalStack started for the run) keep their
    state no longer than the process or the container, so leftovers there are reported, not failed."""
    from kms_conformance.safety import is_loopback

    return target == "aws" and not (endpoint_url and is_loopback(endpoint_url))


ClientFactory = Callable[[str], Any]


def call_operation(client: Any, operation: str, params: Mapping[str, Any]) -> Any:
    """``client.<operation in snake case>(**params)``: the tables name operations as AWS does."""
    from botocore import xform_name

    return getattr(client, xform_name(operation))(**params)


def remove(clients: ClientFactory, kind: Kind, ident: Mapping[str, str]) -> None:
    """Remove one resource with the calls of its kind (``clients(service)`` gives a boto3 client)."""
    client = clients(kind.service)
    for step in kind.remove:
        params = {**{p: ident[f] for p, f in step.params.items()}, **step.fixed}
        if step.each is None:
            try:
                call_operation(client, step.operation, params)
            except Exception as first:
                if step.going is not None and step.going(client, ident, first):
                    continue
                if step.otherwise is None or not _removed_alone(client, step, ident):
                    raise first
            continue
        listed = call_operation(client, step.each.operation, {p: ident[f] for p, f in step.each.params.items()})
        for item in listed.get(step.each.items, []):
            value = item[step.each.field] if step.each.field else item
            call_operation(client, step.operation, {**params, step.each.parameter: value})


def _removed_alone(client: Any, step: Step, ident: Mapping[str, str]) -> bool:
    """Whether the step's ``otherwise`` call removed the resource."""
    assert step.otherwise is not None
    try:
        operation, params = step.otherwise(ident)
        call_operation(client, operation, params)
    except Exception:
        return False
    return True
