"""A Terraform plan (the JSON of ``terraform show -json PLANFILE``) read as a setup.

The plan's format is Terraform's "JSON Output Format" (``planned_values``, ``resource_changes``,
``configuration``). Each managed resource's planned values are read from
``resource_changes[].change.after``; a value known only after apply (``after_unknown``) becomes a
placeholder that keeps its link when the configuration's expression refers to another resource of
the plan (``configuration...expressions.<attr>.references``), and is listed as not checked otherwise.
Resource types and arguments follow the AWS provider's documentation (``aws_kms_key``,
``aws_kms_alias``, ``aws_iam_role``, ``aws_iam_role_policy``, ``aws_iam_policy`` with
``aws_iam_role_policy_attachment``, ``aws_sagemaker_feature_group``,
``aws_opensearchserverless_security_policy``, ``aws_opensearchserverless_collection``,
``aws_mwaa_environment``); the provider has no Forecast resource types.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from kms_conformance import inputs
from kms_conformance.arns import alias_arn, role_arn
from kms_conformance.errors import InputError
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
    topological,
)

#: The arguments each mapped type's translation reads; every other argument the configuration
#: sets is listed as not checked.
READ: Mapping[str, frozenset[str]] = {
    "aws_kms_key": frozenset({"policy", "customer_master_key_spec", "key_spec", "key_usage", "multi_region",
                              "is_enabled", "enable_key_rotation"}),
    "aws_kms_alias": frozenset({"name", "target_key_id"}),
    "aws_iam_role": frozenset({"name", "path", "inline_policy", "managed_policy_arns"}),
    "aws_iam_role_policy": frozenset({"name", "role", "policy"}),
    "aws_iam_policy": frozenset({"name", "path", "policy"}),
    "aws_iam_role_policy_attachment": frozenset({"role", "policy_arn"}),
    "aws_sagemaker_feature_group": frozenset({
        "feature_group_name", "record_identifier_feature_name", "event_time_feature_name", "role_arn",
        "description", "feature_definition", "online_store_config", "offline_store_config"}),
    "aws_opensearchserverless_security_policy": frozenset({"name", "type", "policy", "description"}),
    "aws_opensearchserverless_collection": frozenset({"name", "type", "description"}),
    "aws_mwaa_environment": frozenset({"name", "kms_key", "execution_role_arn", "source_bucket_arn", "dag_s3_path",
                                       "network_configuration", "logging_configuration"}),
}
_WHY = {"assume_role_policy": "a trust policy; a setup holds identity and key policies only",
        "deletion_window_in_days": "deletion settings; no rule reads them", "tags": "tags; no rule reads them"}
_DOCUMENTS = {"policy", "assume_role_policy"}
_LOG_MODULES = {"dag_processing_logs": "DagProcessingLogs", "scheduler_logs": "SchedulerLogs",
                "task_logs": "TaskLogs", "webserver_logs": "WebserverLogs", "worker_logs": "WorkerLogs"}


def is_plan(doc: Any) -> bool:
    """A Terraform plan: ``format_version`` with ``planned_values`` or ``resource_changes``."""
    return isinstance(doc, dict) and "format_version" in doc and (
        "planned_values" in doc or "resource_changes" in doc)


def load_plan(path: str | Path) -> Any:
    """The plan's JSON document."""
    return inputs.load_json(path, hint="; a plan is the output of terraform show -json PLANFILE")


def provider_region(plan: Any) -> str | None:
    """The region the configuration gives the default ``aws`` provider, when it is a constant."""
    try:
        value = plan["configuration"]["provider_config"]["aws"]["expressions"]["region"]["constant_value"]
    except (KeyError, TypeError):
        return None
    return value if isinstance(value, str) and value else None


def _unindexed(address: str) -> str:
    return re.sub(r"\[[^\]]*\]", "", address)


def _module_of(address: str) -> str:
    """``module.a.module.b.aws_kms_key.k`` -> ``module.a.module.b.`` (the prefix of relative references)."""
    parts = address.split(".")
    prefix = []
    while len(parts) > 2 and parts[0] == "module":
        prefix += parts[:2]
        parts = parts[2:]
    return ".".join(prefix) + "." if prefix else ""


def _config_resources(module: Mapping[str, Any], prefix: str = "") -> Iterator[tuple[str, Mapping[str, Any]]]:
    for res in module.get("resources", []) or []:
        yield f"{prefix}{res.get('address')}", res
    for name, call in (module.get("module_calls") or {}).items():
        yield from _config_resources(call.get("module") or {}, f"{prefix}module.{_unindexed(name)}.")


class _Plan:
    """The plan's managed resources, their values and the placeholders of what apply will know."""

    def __init__(self, plan: Mapping[str, Any], ctx: Context, source: str) -> None:
        self.ctx = ctx
        self.source = source
        changes = plan.get("resource_changes")
        if not isinstance(changes, list):
            raise InputError("a plan has resource_changes (a list); is this the output of terraform show -json?",
                             source=source, path="resource_changes")
        self.resources: dict[str, dict[str, Any]] = {}
        for i, rc in enumerate(changes):
            if not isinstance(rc, dict) or not isinstance(rc.get("change"), dict):
                raise InputError("expected {address, type, change}", source=source, path=f"resource_changes[{i}]")
            if rc.get("mode", "managed") != "managed" or rc["change"].get("actions") == ["delete"]:
                continue
            self.resources[str(rc.get("address"))] = rc
        config = (plan.get("configuration") or {}).get("root_module") or {}
        self.config = dict(_config_resources(config))

    def type_of(self, address: str) -> str:
        return str(self.resources[address].get("type"))

    def after(self, address: str) -> Mapping[str, Any]:
        return self.resources[address]["change"].get("after") or {}

    def unknown(self, address: str) -> Any:
        return self.resources[address]["change"].get("after_unknown") or {}

    def expressions(self, address: str) -> Mapping[str, Any]:
        return (self.config.get(_unindexed(address)) or {}).get("expressions") or {}

    def configured(self, address: str) -> list[str]:
        """The arguments the configuration sets (the planned non-null values without a configuration)."""
        if _unindexed(address) in self.config:
            return list(self.expressions(address))
        return [k for k, v in self.after(address).items()
                if v not in (None, [], {}) and k not in ("id", "arn", "tags_all")]

    def target(self, reference: str, module: str) -> tuple[str, str | None] | None:
        """``aws_kms_key.k.arn`` (relative to ``module``) -> (address, attribute) of a planned resource."""
        full = f"{module}{reference}"
        for address in self.resources:
            for form in (address, _unindexed(address)):
                if full == form:
                    return address, None
                if full.startswith(form + "."):
                    return address, full[len(form) + 1:]
        return None

    def name(self, address: str, attr: str, default: str) -> str:
        value = self.after(address).get(attr)
        return value if isinstance(value, str) and value else default

    def key_arn(self, address: str) -> str:
        known = self.after(address).get("arn")
        return known if isinstance(known, str) else placeholder_key_arn(
            self.ctx, address, multi_region=self.after(address).get("multi_region") is True)

    def role_arn(self, address: str) -> str:
        known = self.after(address).get("arn")
        if isinstance(known, str):
            return known
        return role_arn(self.ctx.partition, self.ctx.account, self.name(address, "name", address.split(".")[-1]),
                        self.name(address, "path", "/"))

    def policy_arn(self, address: str) -> str:
        known = self.after(address).get("arn")
        return known if isinstance(known, str) else (
            f"arn:{self.ctx.partition}:iam::{self.ctx.account}:policy{self.name(address, 'path', '/')}"
            f"{self.name(address, 'name', address.split('.')[-1])}")

    def placeholder(self, address: str, attr: str | None) -> Any:
        """What ``address.attr`` will be after apply, as far as the kit assumes."""
        type_ = self.type_of(address)
        if type_ == "aws_kms_key":
            if attr == "arn":
                return self.key_arn(address)
            if attr in ("key_id", "id"):
                return self.key_arn(address).rsplit("/", 1)[-1]
        if type_ == "aws_kms_alias" and attr in ("arn", "name", "id"):
            name = self.name(address, "name", "alias/" + address.split(".")[-1])
            return alias_arn(self.ctx.partition, self.ctx.region, self.ctx.account, name) if attr == "arn" else name
        if type_ == "aws_iam_role":
            if attr == "arn":
                return self.role_arn(address)
            if attr in ("name", "id"):
                return self.name(address, "name", address.split(".")[-1])
        if type_ == "aws_iam_policy" and attr in ("arn", "id"):
            return self.policy_arn(address)
        if type_ == "aws_s3_bucket" and attr in ("arn", "bucket", "id"):
            bucket = self.name(address, "bucket", address.split(".")[-1].replace("_", "-"))
            return f"arn:{self.ctx.partition}:s3:::{bucket}" if attr == "arn" else bucket
        return f"{address}.{attr}" if attr else address

    def resolve(self, address: str, value: Any, unknown: Any, expr: Any, path: str,
                skipped: list[NotChecked]) -> Any:
        """``value`` with its unknown parts replaced by the placeholders their references give."""
        if unknown is True:
            top = path.split(".")[0].split("[")[0]
            if _unindexed(address) in self.config and top not in self.expressions(address):
                return None  # computed by the provider, not written in the configuration
            refs = expr.get("references", []) if isinstance(expr, dict) else []
            targets = [t for t in (self.target(r, _module_of(address)) for r in refs) if t is not None]
            if top not in _DOCUMENTS and targets and all(t[0] == targets[0][0] for t in targets):
                attrs = [t[1] for t in targets if t[1] is not None]
                return self.placeholder(targets[0][0], attrs[0] if attrs else None)
            why = "known only after apply" + (f" (it refers to {', '.join(refs)})" if refs else "")
            if path == "policy" and self.type_of(address) == "aws_kms_key":
                why += "; the default key policy is assumed in its place"
            skipped.append(NotChecked(self.type_of(address), address, path, why))
            return None
        if isinstance(unknown, dict) or isinstance(value, dict):
            value = dict(value or {})
            u = unknown if isinstance(unknown, dict) else {}
            e = expr if isinstance(expr, dict) else {}
            for k in {*value, *u}:
                value[k] = self.resolve(address, value.get(k), u.get(k), e.get(k), f"{path}.{k}".lstrip("."), skipped)
            return value
        if isinstance(unknown, list) or isinstance(value, list):
            items = list(value or [])
            u_list = unknown if isinstance(unknown, list) else []
            e_list = expr if isinstance(expr, list) else []
            while len(items) < len(u_list):
                items.append(None)
            return [self.resolve(address, v, u_list[i] if i < len(u_list) else None,
                                 e_list[i] if i < len(e_list) else (e_list[0] if e_list else None),
                                 f"{path}[{i}]", skipped) for i, v in enumerate(items)]
        return value

    def values(self, address: str, skipped: list[NotChecked]) -> dict[str, Any]:
        out = self.resolve(address, self.after(address), self.unknown(address), self.expressions(address), "", skipped)
        return {k: v for k, v in out.items() if v is not None}

    def edges(self, address: str) -> list[str]:
        config = self.config.get(_unindexed(address)) or {}
        refs = list(config.get("depends_on", []) or [])

        def walk(node: Any) -> None:
            if isinstance(node, dict):
                refs.extend(node.get("references", []) if isinstance(node.get("references"), list) else [])
                for k, v in node.items():
                    if k != "references":
                        walk(v)
            elif isinstance(node, list):
                for v in node:
                    walk(v)

        walk(config.get("expressions") or {})
        found = (self.target(r, _module_of(address)) for r in refs)
        return [t[0] for t in found if t is not None]


def _one(block: Any) -> dict[str, Any]:
    """A nested block of at most one item (planned as a list) -> that item, or {}."""
    return block[0] if isinstance(block, list) and block and isinstance(block[0], dict) else {}


def _decl(plan: _Plan, address: str, type_: str, v: Mapping[str, Any]) -> Decl | None:
    if type_ == "aws_kms_key":
        policy = v.get("policy")
        return KeyDecl(address, plan.key_arn(address), json.loads(policy) if isinstance(policy, str) else policy,
                       str(v.get("customer_master_key_spec") or v.get("key_spec") or "SYMMETRIC_DEFAULT"),
                       str(v.get("key_usage") or "ENCRYPT_DECRYPT"), v.get("multi_region") is True,
                       v.get("is_enabled", True) is not False, v.get("enable_key_rotation") is True)
    if type_ == "aws_kms_alias":
        return AliasDecl(address, str(v.get("name")), str(v.get("target_key_id")))
    if type_ == "aws_iam_role":
        docs = tuple(json.loads(p["policy"]) for p in v.get("inline_policy", []) or []
                     if isinstance(p, dict) and isinstance(p.get("policy"), str) and p["policy"])
        return RoleDecl(address, plan.role_arn(address), plan.name(address, "name", address.split(".")[-1]), docs)
    if type_ == "aws_iam_role_policy" and isinstance(v.get("policy"), str):
        return PolicyAttachment(address, json.loads(v["policy"]), (str(v.get("role")),))
    if type_ == "aws_sagemaker_feature_group":
        body: dict[str, Any] = {
            "FeatureGroupName": v.get("feature_group_name"),
            "RecordIdentifierFeatureName": v.get("record_identifier_feature_name"),
            "EventTimeFeatureName": v.get("event_time_feature_name"),
            "FeatureDefinitions": [{"FeatureName": d.get("feature_name"), "FeatureType": d.get("feature_type")}
                                   for d in v.get("feature_definition", []) or [] if isinstance(d, dict)]}
        if v.get("role_arn"):
            body["RoleArn"] = v["role_arn"]
        online = _one(v.get("online_store_config"))
        if online:
            body["OnlineStoreConfig"] = {"EnableOnlineStore": online.get("enable_online_store") is True}
            key = _one(online.get("security_config")).get("kms_key_id")
            if key:
                body["OnlineStoreConfig"]["SecurityConfig"] = {"KmsKeyId": key}
        s3 = _one(_one(v.get("offline_store_config")).get("s3_storage_config"))
        if s3:
            body["OfflineStoreConfig"] = {"S3StorageConfig": {k: val for k, val in (
                ("S3Uri", s3.get("s3_uri")), ("KmsKeyId", s3.get("kms_key_id"))) if val}}
        return ServiceCall(address, type_, "feature-store", "CreateFeatureGroup", body)
    if type_ in ("aws_opensearchserverless_security_policy", "aws_opensearchserverless_collection"):
        op = "CreateSecurityPolicy" if type_.endswith("security_policy") else "CreateCollection"
        members = ("name", "type", "policy", "description") if op == "CreateSecurityPolicy" else (
            "name", "type", "description")
        return ServiceCall(address, type_, "opensearch-serverless", op,
                           {m: v[m] for m in members if v.get(m) is not None}, many=True)
    if type_ == "aws_mwaa_environment":
        net = _one(v.get("network_configuration"))
        env: dict[str, Any] = {k: v.get(tf) for k, tf in (
            ("Name", "name"), ("KmsKey", "kms_key"), ("ExecutionRoleArn", "execution_role_arn"),
            ("SourceBucketArn", "source_bucket_arn"), ("DagS3Path", "dag_s3_path")) if v.get(tf) is not None}
        env["NetworkConfiguration"] = {"SubnetIds": list(net.get("subnet_ids") or []),
                                       "SecurityGroupIds": list(net.get("security_group_ids") or [])}
        logging = _one(v.get("logging_configuration"))
        env["LoggingConfiguration"] = {
            _LOG_MODULES[m]: {"Enabled": _one(logging[m]).get("enabled") is True,
                              "LogLevel": _one(logging[m]).get("log_level")}
            for m in _LOG_MODULES if _one(logging.get(m))}
        return ServiceCall(address, type_, "mwaa", "CreateEnvironment", env)
    return None


def translate_plan(plan: Any, ctx: Context, *, source: str) -> tuple[Any, tuple[NotChecked, ...], list[str]]:
    """The setup a parsed plan describes, what was not checked, and the creation order."""
    if not is_plan(plan):
        raise InputError("not a Terraform plan: expected format_version and resource_changes (the output of "
                         "terraform show -json PLANFILE)", source=source, path="$")
    p = _Plan(plan, ctx, source)
    order = topological(list(p.resources), {a: p.edges(a) for a in p.resources}, source=source)
    decls: list[Decl] = []
    skipped: list[NotChecked] = []
    policies: dict[str, Any] = {}
    attachments: list[tuple[str, str, str]] = []
    for address in order:
        type_ = p.type_of(address)
        if type_ not in READ:
            skipped.append(NotChecked(type_, address, None, "no mapping for this resource type"))
            continue
        values = p.values(address, skipped)
        for arg in p.configured(address):
            if arg not in READ[type_]:
                skipped.append(NotChecked(type_, address, arg, _WHY.get(arg, "no rule of the kit reads it")))
        try:
            if type_ == "aws_iam_policy" and isinstance(values.get("policy"), str):
                policies[p.policy_arn(address)] = json.loads(values["policy"])
            elif type_ == "aws_iam_role_policy_attachment":
                attachments.append((address, str(values.get("role")), str(values.get("policy_arn"))))
            elif type_ == "aws_iam_role":
                for arn in values.get("managed_policy_arns", []) or []:
                    attachments.append((address, p.role_arn(address), str(arn)))
            decl = _decl(p, address, type_, values)
        except json.JSONDecodeError as exc:
            raise InputError(f"a policy argument is not valid JSON: {exc.msg}", source=source,
                             path=f"resource_changes[{address}].change.after") from None
        if decl is not None:
            decls.append(decl)
    for address, role, arn in attachments:
        if arn in policies:
            decls.append(PolicyAttachment(address, policies[arn], (role,)))
        else:
            skipped.append(NotChecked(p.type_of(address), address, "policy_arn" if "attachment" in address else
                                      "managed_policy_arns",
                                      f"{arn}: a policy the plan does not hold, its document unknown"))
    setup, more = build_setup(decls, ctx, source=source)
    return setup, (*skipped, *more), order
