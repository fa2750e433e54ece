"""A CloudFormation template (YAML or JSON) read as a setup.

Resource types and properties follow the "AWS resource and property types reference" (AWS
CloudFormation Template Reference): ``AWS::KMS::Key``, ``AWS::KMS::Alias``, ``AWS::IAM::Role``,
``AWS::IAM::Policy``, ``AWS::IAM::RolePolicy``, ``AWS::IAM::ManagedPolicy``,
``AWS::SageMaker::FeatureGroup``, ``AWS::OpenSearchServerless::SecurityPolicy``,
``AWS::OpenSearchServerless::Collection``, ``AWS::MWAA::Environment`` and ``AWS::Forecast::Dataset``
(whose ``EncryptionConfig`` is CreateDataset's; CloudFormation has no Forecast predictor type).
Physical ids are placeholders that keep their links (see :mod:`kms_conformance.iac.translate`);
``Ref``/``Fn::GetAtt`` return them as "Return values" of each type's page describes.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from kms_conformance import inputs
from kms_conformance.arns import role_arn
from kms_conformance.errors import InputError
from kms_conformance.iac.intrinsics import Resolver, Unresolved, load_yaml
from kms_conformance.iac.translate import (
    AliasDecl,
    Context,
    Decl,
    KeyDecl,
    NotChecked,
    PolicyAttachment,
    RoleDecl,
    ServiceCall,
    build_setup,
    placeholder_key_arn,
    placeholder_key_id,
    topological,
)

#: What each mapped type's translation reads: a property name -> True (read whole) or the members
#: read under it. Every other property is listed as not checked.
READ: Mapping[str, Mapping[str, Any]] = {
    "AWS::KMS::Key": {"KeyPolicy": True, "KeySpec": True, "KeyUsage": True, "MultiRegion": True, "Enabled": True,
                      "EnableKeyRotation": True, "Origin": True},
    "AWS::KMS::Alias": {"AliasName": True, "TargetKeyId": True},
    "AWS::IAM::Role": {"RoleName": True, "Path": True, "Policies": True, "ManagedPolicyArns": True},
    "AWS::IAM::Policy": {"PolicyName": True, "PolicyDocument": True, "Roles": True},
    "AWS::IAM::RolePolicy": {"PolicyName": True, "PolicyDocument": True, "RoleName": True},
    "AWS::IAM::ManagedPolicy": {"ManagedPolicyName": True, "Path": True, "PolicyDocument": True, "Roles": True},
    "AWS::SageMaker::FeatureGroup": {
        "FeatureGroupName": True, "RecordIdentifierFeatureName": True, "EventTimeFeatureName": True,
        "FeatureDefinitions": True, "RoleArn": True,
        "OnlineStoreConfig": {"EnableOnlineStore": True, "SecurityConfig": {"KmsKeyId": True}},
        "OfflineStoreConfig": {"S3StorageConfig": {"S3Uri": True, "KmsKeyId": True}}},
    "AWS::OpenSearchServerless::SecurityPolicy": {"Name": True, "Type": True, "Policy": True, "Description": True},
    "AWS::OpenSearchServerless::Collection": {"Name": True, "Type": True, "Description": True,
                                              "EncryptionConfig": True},
    "AWS::MWAA::Environment": {
        "Name": True, "KmsKey": True, "ExecutionRoleArn": True, "SourceBucketArn": True, "DagS3Path": True,
        "NetworkConfiguration": {"SubnetIds": True, "SecurityGroupIds": True},
        "LoggingConfiguration": {m: {"Enabled": True, "LogLevel": True} for m in (
            "DagProcessingLogs", "SchedulerLogs", "TaskLogs", "WebserverLogs", "WorkerLogs")}},
    "AWS::Forecast::Dataset": {"DatasetName": True, "DatasetType": True, "Domain": True, "DataFrequency": True,
                               "Schema": True, "EncryptionConfig": {"KmsKeyArn": True, "RoleArn": True}},
}

_WHY_UNREAD = "no rule of the kit reads it"
_WHY = {"AssumeRolePolicyDocument": "a trust policy; a setup holds identity and key policies only",
        "PendingWindowInDays": "deletion settings; no rule reads them",
        "Tags": "tags; no rule reads them"}


def is_template(doc: Any) -> bool:
    """A CloudFormation template: ``AWSTemplateFormatVersion``, or ``Resources`` of typed entries."""
    if not isinstance(doc, dict):
        return False
    resources = doc.get("Resources")
    return "AWSTemplateFormatVersion" in doc or (isinstance(resources, dict) and bool(resources) and all(
        isinstance(r, dict) and isinstance(r.get("Type"), str) for r in resources.values()))


def load_template(path: str | Path) -> Any:
    """The template's document, YAML (with the short forms) or JSON."""
    text = inputs.read_text(path)
    if text.lstrip().startswith("{"):
        return inputs.parse_json(text, str(path))
    return inputs.check_depth(load_yaml(text, source=str(path)), str(path), string_keys=True)


def unread(type_: str, name: str, props: Mapping[str, Any], read: Mapping[str, Any],
           prefix: str = "") -> Iterator[NotChecked]:
    """The properties (down to the members ``read`` lists) the translation does not read."""
    for prop, value in props.items():
        path = f"{prefix}{prop}"
        if prop not in read:
            yield NotChecked(type_, name, path, _WHY.get(prop, _WHY_UNREAD))
        elif isinstance(read[prop], Mapping) and isinstance(value, Mapping):
            yield from unread(type_, name, value, read[prop], f"{path}.")


def references(value: Any) -> Iterator[str]:
    """The logical ids a raw (unresolved) value refers to: Ref, Fn::GetAtt, ${...} of Fn::Sub."""
    if isinstance(value, list):
        for v in value:
            yield from references(v)
    elif isinstance(value, dict):
        for k, v in value.items():
            if k == "Ref" and isinstance(v, str):
                yield v
            elif k == "Fn::GetAtt":
                yield (v.split(".", 1)[0] if isinstance(v, str) else str(v[0]) if isinstance(v, list) and v else "")
            elif k == "Fn::Sub":
                text = v if isinstance(v, str) else v[0] if isinstance(v, list) and v else ""
                for name in re.findall(r"\$\{([^!}][^}]*)\}", str(text)):
                    yield name.split(".", 1)[0]
                if isinstance(v, list) and len(v) > 1:
                    yield from references(v[1])
            else:
                yield from references(v)


def _parameters(template: Mapping[str, Any], given: Mapping[str, str], source: str) -> dict[str, Any]:
    declared = template.get("Parameters") or {}
    if not isinstance(declared, dict):
        raise InputError("Parameters must be an object", source=source, path="Parameters")
    for name in given:
        if name not in declared:
            raise InputError(f"--parameter {name}: the template declares no such parameter (declared: "
                             f"{', '.join(declared) or 'none'})", source=source, path="Parameters")
    values: dict[str, Any] = {}
    for name, spec in declared.items():
        spec = spec if isinstance(spec, dict) else {}
        if name in given:
            value: Any = given[name]
        elif "Default" in spec:
            value = spec["Default"]
        else:
            raise InputError(f"parameter {name} has no Default: pass --parameter {name}=VALUE", source=source,
                             path=f"Parameters.{name}")
        kind = str(spec.get("Type", "String"))
        if (kind.startswith("List<") or kind == "CommaDelimitedList") and isinstance(value, str):
            value = [v.strip() for v in value.split(",")]
        values[name] = value if isinstance(value, list) else str(value)
    return values


class _Template:
    """One template under one context: the resolver's answers about its resources."""

    def __init__(self, template: Mapping[str, Any], ctx: Context, parameters: Mapping[str, str],
                 conditions: Mapping[str, bool], source: str) -> None:
        self.source = source
        self.ctx = ctx
        resources = template.get("Resources")
        if not isinstance(resources, dict) or not resources:
            raise InputError("a template needs Resources (an object)", source=source, path="Resources")
        for name, res in resources.items():
            if not isinstance(res, dict) or not isinstance(res.get("Type"), str):
                raise InputError("a resource needs a Type", source=source, path=f"Resources.{name}.Type")
        self.resources: dict[str, dict[str, Any]] = resources
        self.condition_exprs = template.get("Conditions") or {}
        for name in conditions:
            if name not in self.condition_exprs:
                raise InputError(f"--condition {name}: the template declares no such condition (declared: "
                                 f"{', '.join(self.condition_exprs) or 'none'})", source=source, path="Conditions")
        self.conditions: dict[str, bool] = dict(conditions)
        self._evaluating: set[str] = set()
        self.resolver = Resolver(
            pseudo={"AWS::Region": ctx.region, "AWS::AccountId": ctx.account, "AWS::Partition": ctx.partition,
                    "AWS::URLSuffix": "amazonaws.com", "AWS::StackName": "stack",
                    "AWS::NotificationARNs": []},
            parameters=_parameters(template, parameters, source), mappings=template.get("Mappings") or {},
            resources=resources, ref=self.ref, get_att=self.get_att, condition=self.condition, source=source)

    def condition(self, name: str) -> bool:
        if name in self.conditions:
            return self.conditions[name]
        if name not in self.condition_exprs:
            raise InputError(f"no condition {name!r} in Conditions", source=self.source, path="Conditions")
        if name in self._evaluating:
            raise InputError(f"condition {name} refers to itself", source=self.source, path=f"Conditions.{name}")
        self._evaluating.add(name)
        try:
            value = self.resolver.resolve(self.condition_exprs[name])
        except Unresolved as exc:
            raise InputError(f"cannot evaluate: {exc}; pass --condition {name}=true|false", source=self.source,
                             path=f"Conditions.{name}") from None
        self._evaluating.discard(name)
        self.conditions[name] = bool(value)
        return bool(value)

    def prop(self, logical: str, name: str, default: Any = None) -> Any:
        """One property of a resource, resolved (used for names and ids other resources refer to)."""
        raw = (self.resources[logical].get("Properties") or {}).get(name)
        if raw is None:
            return default
        try:
            return self.resolver.resolve(raw)
        except Unresolved:
            return default

    def key_arn(self, logical: str) -> str:
        return placeholder_key_arn(self.ctx, logical, multi_region=self.prop(logical, "MultiRegion") is True)

    def role_arn(self, logical: str) -> str:
        path = str(self.prop(logical, "Path", "/"))
        return role_arn(self.ctx.partition, self.ctx.account, str(self.prop(logical, "RoleName", logical)), path)

    def ref(self, logical: str) -> Any:
        type_ = self.resources[logical]["Type"]
        if type_ == "AWS::KMS::Key":
            return placeholder_key_id(logical, multi_region=self.prop(logical, "MultiRegion") is True)
        if type_ == "AWS::KMS::Alias":
            return self.prop(logical, "AliasName", f"alias/{logical}")
        if type_ == "AWS::IAM::Role":
            return self.prop(logical, "RoleName", logical)
        if type_ == "AWS::IAM::ManagedPolicy":
            return (f"arn:{self.ctx.partition}:iam::{self.ctx.account}:policy{self.prop(logical, 'Path', '/')}"
                    f"{self.prop(logical, 'ManagedPolicyName', logical)}")
        if type_ == "AWS::S3::Bucket":
            return self.prop(logical, "BucketName", logical.lower())
        names = {"AWS::SageMaker::FeatureGroup": "FeatureGroupName", "AWS::MWAA::Environment": "Name",
                 "AWS::OpenSearchServerless::SecurityPolicy": "Name", "AWS::OpenSearchServerless::Collection": "Name"}
        if type_ in names:
            return self.prop(logical, names[type_], logical)
        return logical

    def get_att(self, logical: str, attr: str) -> Any:
        type_ = self.resources[logical]["Type"]
        if type_ == "AWS::KMS::Key" and attr in ("Arn", "KeyId"):
            return self.key_arn(logical) if attr == "Arn" else self.ref(logical)
        if type_ == "AWS::IAM::Role" and attr == "Arn":
            return self.role_arn(logical)
        if type_ == "AWS::IAM::ManagedPolicy" and attr == "PolicyArn":
            return self.ref(logical)
        if type_ == "AWS::S3::Bucket" and attr == "Arn":
            return f"arn:{self.ctx.partition}:s3:::{self.ref(logical)}"
        return f"{logical}.{attr}"  # a placeholder that keeps the link


def _decls(t: _Template, order: list[str]) -> tuple[list[Decl], list[NotChecked]]:
    decls: list[Decl] = []
    skipped: list[NotChecked] = []
    managed: dict[str, Any] = {}
    role_managed: list[tuple[RoleDecl, str]] = []
    for logical in order:
        res = t.resources[logical]
        type_ = res["Type"]
        if "Condition" in res and not t.condition(str(res["Condition"])):
            skipped.append(NotChecked(type_, logical, None, f"condition {res['Condition']} is false: not created"))
            continue
        if type_ not in READ:
            skipped.append(NotChecked(type_, logical, None, "no mapping for this resource type"))
            continue
        raw_props = res.get("Properties") or {}
        if not isinstance(raw_props, dict):
            raise InputError("Properties must be an object", source=t.source, path=f"Resources.{logical}.Properties")
        props: dict[str, Any] = {}
        for name, raw in raw_props.items():
            try:
                value = t.resolver.resolve({name: raw})
            except Unresolved as exc:
                skipped.append(NotChecked(type_, logical, name, str(exc)))
                continue
            props.update(value)
        skipped.extend(unread(type_, logical, props, READ[type_]))
        decl = _decl(t, logical, type_, props)
        if isinstance(decl, RoleDecl):
            for arn in props.get("ManagedPolicyArns", []) or []:
                role_managed.append((decl, str(arn)))
        if type_ == "AWS::IAM::ManagedPolicy":
            managed[t.ref(logical)] = props.get("PolicyDocument")
        if decl is not None:
            decls.append(decl)
    for role, arn in role_managed:
        if arn in managed:
            decls.append(PolicyAttachment(f"{role.name}.ManagedPolicyArns", managed[arn], (role.arn,)))
        else:
            skipped.append(NotChecked("AWS::IAM::Role", role.name, "ManagedPolicyArns",
                                      f"{arn}: a policy the template does not hold, its document unknown"))
    return decls, skipped


def _json(value: Any) -> Any:
    return json.loads(value) if isinstance(value, str) and value.lstrip().startswith("{") else value


def _decl(t: _Template, logical: str, type_: str, p: Mapping[str, Any]) -> Decl | None:
    if type_ == "AWS::KMS::Key":
        return KeyDecl(logical, t.key_arn(logical), _json(p.get("KeyPolicy")),
                       str(p.get("KeySpec", "SYMMETRIC_DEFAULT")), str(p.get("KeyUsage", "ENCRYPT_DECRYPT")),
                       p.get("MultiRegion") is True,
                       p.get("Enabled", True) is not False, p.get("EnableKeyRotation") is True,
                       str(p.get("Origin", "AWS_KMS")))
    if type_ == "AWS::KMS::Alias":
        return AliasDecl(logical, str(p.get("AliasName")), str(p.get("TargetKeyId")))
    if type_ == "AWS::IAM::Role":
        docs = tuple(_json(pol.get("PolicyDocument")) for pol in p.get("Policies", []) or [] if isinstance(pol, dict))
        return RoleDecl(logical, t.role_arn(logical), str(p.get("RoleName", logical)), docs)
    if type_ in ("AWS::IAM::Policy", "AWS::IAM::ManagedPolicy"):
        roles = tuple(str(r) for r in p.get("Roles", []) or [])
        return PolicyAttachment(logical, _json(p.get("PolicyDocument")), roles)
    if type_ == "AWS::IAM::RolePolicy":
        return PolicyAttachment(logical, _json(p.get("PolicyDocument")), (str(p.get("RoleName")),))
    if type_ == "AWS::SageMaker::FeatureGroup":
        body = {k: v for k, v in p.items() if k != "Tags"}
        return ServiceCall(logical, type_, "feature-store", "CreateFeatureGroup", body)
    if type_ == "AWS::OpenSearchServerless::SecurityPolicy":
        body = {"name": p.get("Name"), "type": p.get("Type"), "policy": p.get("Policy")}
        if "Description" in p:
            body["description"] = p["Description"]
        return ServiceCall(logical, type_, "opensearch-serverless", "CreateSecurityPolicy", body, many=True)
    if type_ == "AWS::OpenSearchServerless::Collection":
        body = {"name": p.get("Name"), "type": p.get("Type", "SEARCH")}
        if "Description" in p:
            body["description"] = p["Description"]
        enc = p.get("EncryptionConfig")
        if isinstance(enc, dict):
            body["encryptionConfig"] = {k[0].lower() + k[1:] if k != "AWSOwnedKey" else "aWSOwnedKey": v
                                        for k, v in enc.items()}
        return ServiceCall(logical, type_, "opensearch-serverless", "CreateCollection", body, many=True)
    if type_ == "AWS::MWAA::Environment":
        body = {k: v for k, v in p.items() if k in READ[type_]}
        logging = body.get("LoggingConfiguration")
        if isinstance(logging, dict):
            body["LoggingConfiguration"] = {m: {k: v for k, v in c.items() if k in ("Enabled", "LogLevel")}
                                            for m, c in logging.items() if isinstance(c, dict)}
        return ServiceCall(logical, type_, "mwaa", "CreateEnvironment", body)
    if type_ == "AWS::Forecast::Dataset":
        body = {k: v for k, v in p.items() if k in ("DatasetName", "DatasetType", "Domain", "DataFrequency", "Schema")}
        enc = p.get("EncryptionConfig")
        if isinstance(enc, dict):
            body["EncryptionConfig"] = {"RoleArn": enc.get("RoleArn"), "KMSKeyArn": enc.get("KmsKeyArn")}
        return ServiceCall(logical, type_, "forecast", "CreateDataset", body)
    return None


def translate_template(template: Any, ctx: Context, *, source: str, parameters: Mapping[str, str] | None = None,
                       conditions: Mapping[str, bool] | None = None) -> tuple[Any, tuple[NotChecked, ...], list[str]]:
    """The setup a parsed template describes, what was not checked, and the creation order."""
    if not isinstance(template, dict):
        raise InputError("a template is an object with Resources", source=source, path="$")
    t = _Template(template, ctx, parameters or {}, conditions or {}, source)
    edges: dict[str, list[str]] = {}
    for logical, res in t.resources.items():
        depends = res.get("DependsOn", [])
        depends = [depends] if isinstance(depends, str) else list(depends) if isinstance(depends, list) else []
        edges[logical] = [*depends, *references(res.get("Properties") or {})]
        for dep in depends:
            if dep not in t.resources:
                raise InputError(f"DependsOn {dep!r}, not a resource of the template", source=source,
                                 path=f"Resources.{logical}.DependsOn")
    order = topological(list(t.resources), edges, source=source)
    decls, skipped = _decls(t, order)
    setup, more = build_setup(decls, ctx, source=source)
    return setup, (*skipped, *more), order
