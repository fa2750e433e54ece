"""What ``kms-conformance check`` refuses before any rule runs: a setup it would misread.

A misspelt member is worse than a missing one: ``KMSKey`` for MWAA's ``KmsKey`` leaves the request
without a key, every key rule becomes *not applicable*, and the check would say OK about a request
AWS would reject. So a setup file is read in three passes, each failing with one
:class:`~kms_conformance.errors.InputError` (file, JSON path, what is wrong; exit status 2):

1. :func:`validate_document`: the common part against ``setup.schema.json`` (keys, their
   attributes, grants in the CreateGrant shape, buckets). An unknown member is an error with a
   "did you mean" among the members allowed at that place.
2. :func:`validate_request`: each operation under ``request`` against botocore's own model of the
   service (``forecast``, ``sagemaker``, ``opensearchserverless``, ``mwaa``), the model boto3
   validates a call with before sending it: unknown parameters (with a "did you mean" among the
   shape's members), wrong types, out-of-range values and missing required parameters.

   Missing required parameters are errors, all of them, not only those the pages' rules read:
   the setup is the request the user is about to send, and boto3 itself refuses a call that lacks
   one ("Missing required parameter in input"), so a setup without it describes no request AWS
   could answer. The kit's examples carry every required member; the error names the member and
   its JSON path, so a setup written for the KMS part alone is completed in one step.
   OpenSearch Serverless takes its security policy as a JSON string; a setup may write the decoded
   object instead (the service model reads both), so an object there is validated as its string.
3. :func:`validate_key_references`: every key a request names (``KmsKey``, ``KMSKeyArn``,
   ``KmsKeyId``, an encryption policy's ``KmsARN``, ``kmsKeyArn``) must be a key of the setup,
   described under ``keys`` or declared there as ``"external": true``; an AWS managed key
   (``alias/aws/...``) is external by nature. A reference that is not a key reference at all
   (``arn:aws:encryption:...``) is left to the pages' rules, which say which rule it breaks.

4. :func:`validate_identity_policies`: each principal under ``identityPolicies`` is the caller or a
   principal the setup names elsewhere; the rules read no other principal's identity policies. Every key
   policy statement has a Principal, and no identity policy statement has one
   (:func:`validate_key_policy_principals`, :func:`validate_identity_policy_principals`).

Setups translated from a CloudFormation template or a Terraform plan (``check --from``) are
built by the translator, not written by hand, and are not passed through these checks.
"""

from __future__ import annotations

import difflib
import json
from collections.abc import Callable, Iterator, Mapping, Sequence
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

from kms_conformance.arns import is_aws_managed_key_ref, is_key_id, parse_alias_arn, parse_key_arn
from kms_conformance.errors import InputError, json_path
from kms_conformance.setup import Setup, load_document, parse_setup

#: The kit's service name -> botocore's service name, and the operations a setup's ``request`` may hold.
BOTOCORE_SERVICES = {"forecast": "forecast", "feature-store": "sagemaker",
                     "opensearch-serverless": "opensearchserverless", "mwaa": "mwaa"}
OPERATIONS: Mapping[str, tuple[str, ...]] = {
    "forecast": ("CreateDataset", "CreatePredictor"),
    "feature-store": ("CreateFeatureGroup",),
    "opensearch-serverless": ("CreateSecurityPolicy", "UpdateSecurityPolicy", "CreateCollection"),
    "mwaa": ("CreateEnvironment",),
}
#: Members the API takes as a JSON string that a setup may write as the decoded object.
_JSON_STRING_MEMBERS = {("opensearch-serverless", "CreateSecurityPolicy"): ("policy",),
                        ("opensearch-serverless", "UpdateSecurityPolicy"): ("policy",)}
#: Members a page's rule judges itself (AOSS-18: UpdateSecurityPolicy's policyVersion, required and
#: 20-36 characters): their absence or length is that rule's finding, not an input error.
_RULE_JUDGED = {("opensearch-serverless", "UpdateSecurityPolicy"): frozenset({"policyVersion"})}
_TYPES = {"object": "an object", "array": "a list", "string": "a string", "boolean": "true or false",
          "integer": "an integer", "number": "a number", "null": "null"}


def hint(word: str, allowed: Sequence[str]) -> str:
    """``; did you mean 'X'?`` for the allowed word nearest ``word`` (case first), or ``''``."""
    folded = {a.lower(): a for a in allowed}
    if word.lower() in folded:
        return f"; did you mean {folded[word.lower()]!r}?"
    close = difflib.get_close_matches(word, list(allowed), n=1, cutoff=0.6)
    return f"; did you mean {close[0]!r}?" if close else ""


def _type_name(value: Any) -> str:
    return {dict: "object", list: "list", str: "string", bool: "boolean", int: "number", float: "number",
            type(None): "null"}.get(type(value), type(value).__name__)


# --- 1. the common part ----------------------------------------------------------------------------------

@cache
def schema() -> dict[str, Any]:
    """``setup.schema.json`` (shipped as package data)."""
    text = resources.files("kms_conformance").joinpath("setup.schema.json").read_text(encoding="utf-8")
    loaded: dict[str, Any] = json.loads(text)
    return loaded


def validate_document(raw: Any, *, source: str) -> None:
    """The common part of a setup against ``setup.schema.json``; the first error, as one line."""
    import jsonschema

    if not isinstance(raw, dict):
        raise InputError(f"expected a JSON object, got {_type_name(raw)}", source=source)
    validator = jsonschema.Draft202012Validator(schema())
    errors = sorted(validator.iter_errors(raw), key=lambda e: (_rank(e), list(map(str, e.absolute_path))))
    if errors:
        raise _schema_error(errors[0], source)


def _rank(error: Any) -> int:
    return {"additionalProperties": 0, "type": 1, "required": 2}.get(error.validator, 3)


def _schema_error(error: Any, source: str) -> InputError:
    path = list(error.absolute_path)
    if error.validator == "additionalProperties":
        allowed = sorted(error.schema.get("properties", {}))
        extra = sorted(k for k in error.instance if k not in allowed)[0]
        where = json_path([*path, extra])
        if not allowed:
            return InputError(f"unknown member {extra!r}", source=source, path=where)
        return InputError(f"unknown member {extra!r}{hint(extra, allowed)} (one of {', '.join(allowed)})",
                          source=source, path=where)
    if error.validator == "type":
        kinds = error.validator_value if isinstance(error.validator_value, list) else [error.validator_value]
        wanted = " or ".join(_TYPES.get(str(k), str(k)) for k in kinds)
        return InputError(f"expected {wanted}, got {_type_name(error.instance)}", source=source,
                          path=json_path(path))
    if error.validator == "required":
        missing = next(m for m in error.validator_value if m not in error.instance)
        return InputError(f"{missing!r} is required", source=source, path=json_path([*path, missing]))
    return InputError(error.message, source=source, path=json_path(path))


# --- 2. the service request against botocore's model ----------------------------------------------------

@cache
def _input_shape(service: str, operation: str) -> Any:
    import botocore.session

    model = botocore.session.get_session().get_service_model(BOTOCORE_SERVICES[service])
    return model.operation_model(operation).input_shape


def _requests(setup: Setup) -> Iterator[tuple[str, str, Any]]:
    """(operation, JSON path, parameters) for each request of the setup; one operation may be a list
    of requests (OpenSearch Serverless policies and collections)."""
    known = OPERATIONS[setup.service]
    for op, body in setup.request.items():
        if op not in known:
            raise InputError(f"unknown operation {op!r}{hint(op, known)} ({setup.service} setups hold "
                             f"{', '.join(known)})", source=setup.source, path=f"request.{op}")
        if isinstance(body, list):
            for i, entry in enumerate(body):
                yield op, f"request.{op}[{i}]", entry
        else:
            yield op, f"request.{op}", body


def validate_request(setup: Setup) -> None:
    """Every request of the setup against botocore's input shape of its operation."""
    from botocore.validate import ParamValidator

    if not setup.request:
        known = OPERATIONS[setup.service]
        raise InputError(f"no request: a setup of {setup.service} holds {' and/or '.join(known)} under request",
                         source=setup.source, path="request")
    for op, base, params in _requests(setup):
        if not isinstance(params, dict):
            raise InputError(f"expected an object (the {op} parameters), got {_type_name(params)}",
                             source=setup.source, path=base)
        params = dict(params)
        for member in _JSON_STRING_MEMBERS.get((setup.service, op), ()):
            if isinstance(params.get(member), dict):  # a policy document is an object, never a list
                params[member] = json.dumps(params[member])
        report = ParamValidator().validate(params, _input_shape(setup.service, op))
        judged = _RULE_JUDGED.get((setup.service, op), frozenset())
        errors = [e for e in report._errors  # botocore keeps them in _errors
                  if e[0] in ("unknown field", "invalid type") or _member(e) not in judged]
        if errors:
            raise _botocore_error(report, errors, op, base, setup)


_ORDER = {"unknown field": 0, "invalid type": 1, "missing required field": 2}


def _member(error: tuple[str, str, dict[str, Any]]) -> str:
    """The top-level member a botocore error is about."""
    kind, name, extra = error
    if kind == "missing required field" and not name:
        return str(extra["required_name"])
    return name.lstrip(".").split(".")[0].split("[")[0]


def _botocore_error(report: Any, errors: list[Any], op: str, base: str, setup: Setup) -> InputError:
    errors = sorted(errors, key=lambda e: _ORDER.get(e[0], 3))
    kind, name, extra = errors[0]
    where = f"{base}{name}"
    model = f"botocore's {BOTOCORE_SERVICES[setup.service]} model of {op}"
    if kind == "unknown field":
        unknown = extra["unknown_param"]
        return InputError(f"unknown parameter {unknown!r}{hint(unknown, extra['valid_names'])} ({model})",
                          source=setup.source, path=f"{where}.{unknown}")
    if kind == "missing required field":
        return InputError(f"missing required parameter {extra['required_name']!r} ({model})", source=setup.source,
                          path=f"{where}.{extra['required_name']}")
    if kind == "invalid type":
        wanted = " or ".join(sorted({t.split("'")[1] for t in extra["valid_types"] if "'" in t}))
        return InputError(f"expected {wanted}, got {_type_name(extra['param'])} ({model})", source=setup.source,
                          path=where)
    return InputError(f"{report._format_error(errors[0])} ({model})", source=setup.source, path=where)


# --- 3. the keys a request names ------------------------------------------------------------------------

def _policy_doc(value: Any) -> Any:
    if isinstance(value, str):
        try:
            return json.loads(value)
        except ValueError:
            return None
    return value


def _get(node: Any, *members: str) -> Any:
    for member in members:
        node = node.get(member) if isinstance(node, Mapping) else None
    return node


#: Where each service's requests name a key: operation -> (JSON path below the request, value) pairs.
_KEY_REFERENCES: Mapping[str, Callable[[str, Any], list[tuple[str, Any]]]] = {
    "forecast": lambda op, body: [(".EncryptionConfig.KMSKeyArn", _get(body, "EncryptionConfig", "KMSKeyArn"))],
    "feature-store": lambda op, body: [
        (".OnlineStoreConfig.SecurityConfig.KmsKeyId", _get(body, "OnlineStoreConfig", "SecurityConfig", "KmsKeyId")),
        (".OfflineStoreConfig.S3StorageConfig.KmsKeyId",
         _get(body, "OfflineStoreConfig", "S3StorageConfig", "KmsKeyId"))],
    "opensearch-serverless": lambda op, body: (
        [(".encryptionConfig.kmsKeyArn", _get(body, "encryptionConfig", "kmsKeyArn"))] if op == "CreateCollection"
        else [(".policy.KmsARN", _get(_policy_doc(_get(body, "policy")), "KmsARN"))]
        if _get(body, "type") == "encryption" else []),
    "mwaa": lambda op, body: [(".KmsKey", _get(body, "KmsKey"))],
}


def is_key_reference(ref: object) -> bool:
    """A key id, key ARN, alias name or alias ARN, as KMS takes them ("KeyId" in the AWS KMS API)."""
    return (is_key_id(ref) or parse_key_arn(ref) is not None or parse_alias_arn(ref) is not None
            or (isinstance(ref, str) and ref.startswith("alias/") and len(ref) > len("alias/")))


def validate_key_references(setup: Setup) -> None:
    """Each key a request names is a key of the setup (described or external) or an AWS managed key."""
    for op, base, body in _requests(setup):
        for suffix, ref in _KEY_REFERENCES[setup.service](op, body):
            if not is_key_reference(ref) or is_aws_managed_key_ref(ref):
                continue
            if setup.find_key(ref) is None and not setup.is_external(ref):
                raise InputError(f"the key {ref} is not a key of the setup: describe it under keys (with its "
                                 "policy), or add {\"arn\": ..., \"external\": true} there for a key the setup "
                                 "does not describe", source=setup.source, path=f"{base}{suffix}")


def validate_identity_policies(setup: Setup) -> None:
    """Each principal under ``identityPolicies`` is the caller or a principal the setup names elsewhere
    (a RoleArn, a key policy's principal; only the request's when no caller is given): the policies of
    any other principal (a misspelt caller ARN, or a caller left out and defaulted) would be read by
    nothing and the rules that need them would silently not apply."""
    given = "caller" in setup.raw
    if not given and setup.identity_policies and setup.caller not in setup.identity_policies:
        # Identity policies with the caller left out: the request would be judged as the default caller,
        # whose policies are not given, and a rule about the caller's permissions would silently stop
        # applying (the rules read the caller's identity policies, not the others').
        raise InputError(f"identityPolicies is given but caller is not: the request would be sent as the "
                         f"default caller {setup.caller}, which has no identity policies here; name the "
                         "caller the service request is sent as", source=setup.source, path="caller")
    # a principal a key policy or grant names may carry policies too (the warnings read them)
    named = json.dumps({k: v for k, v in setup.raw.items() if k not in ("identityPolicies", "caller")})
    for principal in setup.identity_policies:
        if principal == setup.caller or json.dumps(principal) in named:
            continue
        caller = "the caller" if given else "the caller (none given: the default)"
        raise InputError(f"identityPolicies names {principal}, which is not {caller} {setup.caller} nor a "
                         f"principal the setup names elsewhere: no rule would read its policies"
                         f"{hint(principal, [setup.caller])}", source=setup.source,
                         path=f"identityPolicies.{principal}")


def validate_key_policy_principals(setup: Setup) -> None:
    """Each statement of a key policy has a Principal (or NotPrincipal): a key policy is a resource
    policy, and AWS KMS refuses one whose statement names none (MalformedPolicyDocumentException;
    "Key policies in AWS KMS", AWS KMS Developer Guide: "Principal ... Required"). Every key is read,
    external ones too (:func:`~kms_conformance.policy.principal_element_problem`)."""
    from kms_conformance.policy import parse_policy, principal_element_problem

    for i, key in enumerate(setup.raw.get("keys") or []):
        policy = key.get("policy") if isinstance(key, Mapping) else None
        if policy is None:
            continue
        problem = principal_element_problem(parse_policy(policy), resource_based=True)  # parse_setup read it
        if problem is not None:
            raise InputError("a key policy statement needs a Principal (AWS KMS refuses the policy: "
                             "MalformedPolicyDocumentException)", source=setup.source,
                             path=f"keys[{i}].policy.{problem[0]}")


def validate_identity_policy_principals(setup: Setup) -> None:
    """No statement of an identity policy has a Principal or NotPrincipal: such a policy applies to
    the identity it is attached to, and IAM refuses one that names a principal
    (:func:`~kms_conformance.policy.principal_element_problem`); read anyway, the element would be
    ignored and the statement would apply to whoever the setup attaches it to."""
    from kms_conformance.policy import principal_element_problem

    for principal, policies in setup.identity_policies.items():
        for i, policy in enumerate(policies):
            problem = principal_element_problem(policy, resource_based=False)
            if problem is not None:
                raise InputError(problem[1], source=setup.source,
                                 path=f"identityPolicies.{principal}[{i}].{problem[0]}")


def load_checked_setup(path: str | Path, *, service: str | None = None) -> Setup:
    """Read a setup file for ``check``: schema, parse, botocore's request shapes, key references."""
    raw = load_document(path)
    validate_document(raw, source=str(path))
    setup = parse_setup(raw, source=str(path), service=service)
    validate_request(setup)
    validate_key_references(setup)
    validate_identity_policies(setup)
    validate_key_policy_principals(setup)
    validate_identity_policy_principals(setup)
    return setup
