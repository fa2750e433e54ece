"""AWS CloudTrail's event history as the reference model keeps it: the management events of the
AWS KMS requests a service model sends on a user's behalf, and LookupEvents over them.

Sources: page ``004_1f23ff3028fec3c5.txt`` ("Monitoring your encryption keys for Amazon Forecast
Service": the sample events of DescribeKey, CreateGrant and RetireGrant), "CloudTrail record
contents for management, data, and network activity events" (AWS CloudTrail User Guide: the fields
of an event record) and "LookupEvents" / "LookupAttribute" (AWS CloudTrail API Reference: at most
one lookup attribute, of EventId, EventName, ReadOnly, Username, ResourceType, ResourceName,
EventSource, AccessKeyId; at most 50 events a page, 50 by default; newest first).

Only the service models record events (a KMS request the user sends directly is not recorded by the
model: no rule observes those). A service model calls :func:`record` for each KMS request it sends,
as the page's samples show them: ``userIdentity`` is the assumed-role session the service acts as
(or the service principal, for the requests it sends under its grant), ``requestParameters`` the
request's parameters in CloudTrail's lower-camel-case spelling, ``resources`` the key.
State lives in ``world.services["cloudtrail"]``; the handler is registered in :data:`OPERATIONS`.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from kms_conformance.kms import World, identity_allows
from kms_conformance.kms.errors import AwsError
from kms_conformance.models.registry import Operations

#: The boto3 service name and the key of this service's state in ``World.services``.
SERVICE = "cloudtrail"
#: The ``eventSource`` of AWS KMS's events.
KMS_SOURCE = "kms.amazonaws.com"
#: LookupAttribute's AttributeKey values (CloudTrail API Reference, "LookupAttribute").
ATTRIBUTE_KEYS = ("EventId", "EventName", "ReadOnly", "Username", "ResourceType", "ResourceName", "EventSource",
                  "AccessKeyId")
_PAGE = 50


@dataclass
class CloudTrailState:
    """The event history of one simulated account and Region, oldest first."""

    events: list[dict[str, Any]] = field(default_factory=list)


def _state(world: World) -> CloudTrailState:
    state = world.services.setdefault(SERVICE, CloudTrailState())
    assert isinstance(state, CloudTrailState)
    return state


def _camel(name: str) -> str:
    return name[:1].lower() + name[1:]


def _identity(world: World, caller: str, invoked_by: str | None) -> dict[str, Any]:
    """``userIdentity``: an assumed-role session (``AssumedRole`` with its issuing role, as the page's
    samples), an IAM role, or an AWS service principal (``AWSService``)."""
    if caller.endswith(".amazonaws.com"):
        return {"type": "AWSService", "invokedBy": caller}
    out: dict[str, Any] = {"arn": caller, "accountId": world.account}
    if ":assumed-role/" in caller:
        role_name, _, session = caller.split(":assumed-role/", 1)[1].partition("/")
        role_arn = f"arn:{world.partition}:iam::{world.account}:role/{role_name}"
        out.update(type="AssumedRole", sessionContext={"sessionIssuer": {
            "type": "Role", "arn": role_arn, "accountId": world.account, "userName": role_name}})
        out["_username"] = session
    else:
        out.update(type="IAMUser" if ":user/" in caller else "AssumedRole")
        out["_username"] = caller.rsplit("/", 1)[-1]
    if invoked_by:
        out["invokedBy"] = invoked_by
    return out


def record(world: World, caller: str, operation: str, params: Mapping[str, Any], *, key_arn: str,
           response: Mapping[str, Any] | None = None, error: AwsError | None = None,
           invoked_by: str | None = None, read_only: bool = False) -> None:
    """Record one AWS KMS request (``operation`` with ``params`` as boto3 takes them) that ``caller``
    sent, on ``key_arn``: its answer (``response`` members kept only for ``GrantId``, as the page's
    CreateGrant sample) or its error (``errorCode``/``errorMessage``). RetireGrant carries its grant
    id in ``additionalEventData``, as the page's sample."""
    identity = _identity(world, caller, invoked_by)
    username = identity.pop("_username", None)
    request = None if operation == "RetireGrant" else {
        _camel(k): v for k, v in params.items() if k not in ("CiphertextBlob", "Plaintext", "GrantTokens")}
    event: dict[str, Any] = {
        "eventVersion": "1.08", "userIdentity": identity, "eventTime": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "eventSource": KMS_SOURCE, "eventName": operation, "awsRegion": world.region,
        "requestParameters": request, "responseElements": None,
        "eventID": world.new_id("key"), "readOnly": read_only,
        "resources": [{"accountId": world.account, "type": "AWS::KMS::Key", "ARN": key_arn}],
        "eventType": "AwsApiCall", "managementEvent": True, "recipientAccountId": world.account,
        "eventCategory": "Management",
    }
    if operation == "RetireGrant" and "GrantId" in params:
        event["additionalEventData"] = {"grantId": params["GrantId"]}
    if response is not None and "GrantId" in response:
        event["responseElements"] = {"grantId": response["GrantId"]}
    if error is not None:
        event["errorCode"], event["errorMessage"] = error.code, error.message
    _state(world).events.append({"event": event, "username": username})


def _lookup_value(entry: Mapping[str, Any], key: str) -> list[str]:
    event = entry["event"]
    values = {
        "EventId": [event["eventID"]], "EventName": [event["eventName"]],
        "ReadOnly": [str(event["readOnly"]).lower()], "Username": [entry["username"]] if entry["username"] else [],
        "ResourceType": [r["type"] for r in event["resources"]], "ResourceName": [r["ARN"] for r in event["resources"]],
        "EventSource": [event["eventSource"]], "AccessKeyId": [],
    }
    return values[key]


#: The reference model's CloudTrail operations.
OPERATIONS = Operations()


@OPERATIONS(SERVICE, "LookupEvents")
def _lookup_events(world: World, caller: str, params: Mapping[str, Any]) -> Mapping[str, Any]:
    """LookupEvents: the events matching the one lookup attribute (all without one), newest first, at
    most ``MaxResults`` (1-50, 50 by default) a page with a ``NextToken``."""
    if not identity_allows(world, caller, "cloudtrail:LookupEvents", "*"):
        raise AwsError("AccessDeniedException", f"User: {caller} is not authorized to perform: "
                                                "cloudtrail:LookupEvents")
    attributes: Sequence[Mapping[str, Any]] = params.get("LookupAttributes") or []
    if len(attributes) > 1:
        raise AwsError("InvalidLookupAttributesException", "Only one lookup attribute may be specified")
    wanted = None
    if attributes:
        key, value = attributes[0].get("AttributeKey"), attributes[0].get("AttributeValue")
        if key not in ATTRIBUTE_KEYS or not isinstance(value, str) or not value:
            raise AwsError("InvalidLookupAttributesException", f"invalid lookup attribute {key!r}")
        wanted = (key, value)
    limit = params.get("MaxResults", _PAGE)
    if not isinstance(limit, int) or not 1 <= limit <= _PAGE:
        raise AwsError("InvalidMaxResultsException", "MaxResults is 1 to 50")
    start = int(params["NextToken"]) if str(params.get("NextToken", "")).isdigit() else 0
    found = [e for e in reversed(_state(world).events)
             if wanted is None or wanted[1] in _lookup_value(e, wanted[0])]
    page = found[start:start + limit]
    out: dict[str, Any] = {"Events": [{
        "EventId": e["event"]["eventID"], "EventName": e["event"]["eventName"],
        "ReadOnly": str(e["event"]["readOnly"]).lower(),
        "EventTime": datetime.strptime(e["event"]["eventTime"], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC),
        "EventSource": e["event"]["eventSource"], **({"Username": e["username"]} if e["username"] else {}),
        "Resources": [{"ResourceType": r["type"], "ResourceName": r["ARN"]} for r in e["event"]["resources"]],
        "CloudTrailEvent": json.dumps(e["event"]),
    } for e in page]}
    if start + limit < len(found):
        out["NextToken"] = str(start + limit)
    return out


__all__ = ["ATTRIBUTE_KEYS", "KMS_SOURCE", "OPERATIONS", "SERVICE", "CloudTrailState", "record"]
