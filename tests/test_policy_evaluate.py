"""Decisions: one policy ("Policy evaluation logic": explicit deny, allow, implicit deny), the
general rule across resource and identity policies (same account vs cross account), and the
sample statements of the source documents."""

from __future__ import annotations

from typing import Any

import pytest
from kms_conformance.policy import Decision, Match, evaluate, evaluate_policy, make_request, parse_policy

from benchmarks import bench_evaluator

A = "111122223333"
B = "444455556666"
KEY = f"arn:aws:kms:us-east-1:{A}:key/1234abcd-12ab-34cd-56ef-1234567890ab"
ROLE = f"arn:aws:iam::{A}:role/ROLE_PASSED_TO_FORECAST"
USER_A = f"arn:aws:iam::{A}:user/alice"
USER_B = f"arn:aws:iam::{B}:user/bob"


def key_policy(*stmts: dict[str, Any]) -> Any:
    return parse_policy({"Version": "2012-10-17", "Statement": list(stmts)}, origin="key policy")


def identity(*stmts: dict[str, Any], name: str = "identity") -> Any:
    return parse_policy({"Version": "2012-10-17", "Statement": list(stmts)}, origin=name)


ALLOW_DECRYPT = {"Effect": "Allow", "Action": "kms:Decrypt", "Resource": "*"}


def test_one_policy_deny_beats_allow_and_explains() -> None:
    policy = key_policy(
        {"Sid": "Admin", "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{A}:root"}, "Action": "kms:*",
         "Resource": "*"},
        {"Sid": "NoDecryptOutside", "Effect": "Deny", "Principal": "*", "Action": "kms:Decrypt", "Resource": "*",
         "Condition": {"StringNotEquals": {"kms:ViaService": "forecast.us-east-1.amazonaws.com"}}},
    )
    denied = evaluate_policy(policy, make_request("kms:Decrypt", KEY, USER_A), check_principal=True)
    assert denied.decision is Decision.EXPLICITLY_DENIED and not denied.allowed
    assert denied.matched == (Match("key policy", 1, "NoDecryptOutside", "Deny"),)
    assert "Statement[1] Sid 'NoDecryptOutside': Deny" in denied.explain()
    via = make_request("kms:Decrypt", KEY, USER_A, {"kms:ViaService": "forecast.us-east-1.amazonaws.com"})
    ok = evaluate_policy(policy, via, check_principal=True)
    assert ok.allowed and ok.matched == (Match("key policy", 0, "Admin", "Allow"),)
    other = evaluate_policy(policy, make_request("kms:Encrypt", KEY, USER_B), check_principal=True)
    assert other.decision is Decision.IMPLICITLY_DENIED and other.matched == ()


def test_same_account_identity_or_resource_policy_allows() -> None:
    """"Policy evaluation logic": within one account an Allow in an identity-based policy or in
    the resource-based policy suffices."""
    empty = key_policy({"Effect": "Allow", "Principal": {"AWS": USER_B}, "Action": "kms:Encrypt", "Resource": "*"})
    req = make_request("kms:Decrypt", KEY, USER_A)
    assert evaluate(req, resource_policy=empty, identity_policies=[identity(ALLOW_DECRYPT)]).allowed
    names_user = key_policy({"Effect": "Allow", "Principal": {"AWS": USER_A}, "Action": "kms:Decrypt",
                             "Resource": "*"})
    assert evaluate(req, resource_policy=names_user).allowed
    assert evaluate(req, resource_policy=empty).decision is Decision.IMPLICITLY_DENIED
    assert evaluate(req, identity_policies=[identity(ALLOW_DECRYPT)]).allowed


BUCKET_OBJECT = "arn:aws:s3:::amzn-s3-demo-bucket/report.csv"
GET_OBJECT = {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::amzn-s3-demo-bucket/*"}


def bucket_policy(principal: str) -> Any:
    return key_policy({**GET_OBJECT, "Principal": {"AWS": principal}})


@pytest.mark.parametrize("account_principal", [f"arn:aws:iam::{A}:root", A])
def test_same_account_resource_policy_naming_the_account_delegates(account_principal: str) -> None:
    """"AWS JSON policy elements: Principal" (AWS account principals): a resource policy naming
    the account delegates to the account; its users and roles still need an identity policy.
    ("Key policies in AWS KMS" says the same of KMS keys; the general rule agrees.)"""
    for who in (USER_A, f"arn:aws:sts::{A}:assumed-role/Reader/s1"):
        req = make_request("s3:GetObject", BUCKET_OBJECT, who, resource_account=A)
        alone = evaluate(req, resource_policy=bucket_policy(account_principal))
        assert alone.decision is Decision.IMPLICITLY_DENIED and "delegates" in alone.reason
        with_identity = evaluate(req, resource_policy=bucket_policy(account_principal),
                                 identity_policies=[identity(GET_OBJECT)])
        assert with_identity.allowed


def test_same_account_resource_policy_naming_the_principal_allows_alone() -> None:
    """"Policy evaluation logic": within one account a resource-policy Allow for the user or role
    itself suffices, without an identity policy."""
    req = make_request("s3:GetObject", BUCKET_OBJECT, USER_A, resource_account=A)
    assert evaluate(req, resource_policy=bucket_policy(USER_A)).allowed
    session = make_request("s3:GetObject", BUCKET_OBJECT, f"arn:aws:sts::{A}:assumed-role/Reader/s1",
                           resource_account=A)
    assert evaluate(session, resource_policy=bucket_policy(f"arn:aws:iam::{A}:role/Reader")).allowed
    everyone = key_policy({**GET_OBJECT, "Principal": "*"})
    assert evaluate(req, resource_policy=everyone).allowed


@pytest.mark.parametrize("root", [f"arn:aws:iam::{A}:root", A])
def test_root_user_of_the_resources_account_is_allowed_unless_denied(root: str) -> None:
    """"How AWS enforcement code logic evaluates requests to allow or deny access": requests are
    implicitly denied "with the exception of the AWS account root user, which has full access";
    only an explicit Deny stops it."""
    req = make_request("s3:GetObject", BUCKET_OBJECT, root, resource_account=A)
    assert evaluate(req).allowed
    assert evaluate(req, resource_policy=bucket_policy(USER_B)).allowed
    deny = key_policy({**GET_OBJECT, "Effect": "Deny", "Principal": "*"})
    assert evaluate(req, resource_policy=deny).decision is Decision.EXPLICITLY_DENIED


def test_other_accounts_root_needs_only_the_resource_policy() -> None:
    """"Cross-account policy evaluation logic": the resource policy must allow the other account;
    that account's root user has full access in its own account, so no identity policy is needed."""
    other_root = f"arn:aws:iam::{B}:root"
    req = make_request("s3:GetObject", BUCKET_OBJECT, other_root, resource_account=A)
    assert evaluate(req).decision is Decision.IMPLICITLY_DENIED
    assert evaluate(req, resource_policy=bucket_policy(B)).allowed
    assert evaluate(req, resource_policy=bucket_policy(USER_A)).decision is Decision.IMPLICITLY_DENIED


def test_cross_account_needs_both() -> None:
    """"Cross-account policy evaluation logic": the resource policy must allow the other
    account's principal and that principal's identity policy must allow too."""
    trusting = key_policy({"Effect": "Allow", "Principal": {"AWS": B}, "Action": "kms:Decrypt", "Resource": "*"})
    req = make_request("kms:Decrypt", KEY, USER_B)
    assert evaluate(req, resource_policy=trusting).decision is Decision.IMPLICITLY_DENIED
    assert evaluate(req, identity_policies=[identity(ALLOW_DECRYPT)]).decision is Decision.IMPLICITLY_DENIED
    both = evaluate(req, resource_policy=trusting, identity_policies=[identity(ALLOW_DECRYPT)])
    assert both.allowed and len(both.matched) == 2
    # resource_account overrides the ARN's account: same account again
    same = make_request("kms:Decrypt", "*", USER_B, resource_account=B)
    assert evaluate(same, identity_policies=[identity(ALLOW_DECRYPT)]).allowed


def test_explicit_deny_anywhere_wins() -> None:
    allow_all = key_policy({"Effect": "Allow", "Principal": "*", "Action": "kms:*", "Resource": "*"})
    deny = identity({"Effect": "Deny", "Action": "kms:Decrypt", "Resource": "*"}, name="guardrail")
    req = make_request("kms:Decrypt", KEY, USER_A)
    result = evaluate(req, resource_policy=allow_all, identity_policies=[identity(ALLOW_DECRYPT), deny])
    assert result.decision is Decision.EXPLICITLY_DENIED
    assert result.matched == (Match("guardrail", 0, None, "Deny"),)


def test_service_principals_are_decided_by_the_resource_policy_alone() -> None:
    svc = "logs.us-west-2.amazonaws.com"
    req = make_request("kms:Decrypt", KEY, svc)
    assert evaluate(req, identity_policies=[identity(ALLOW_DECRYPT)]).decision is Decision.IMPLICITLY_DENIED
    ident_deny = identity({"Effect": "Deny", "Action": "*", "Resource": "*"})
    for_service = key_policy({"Effect": "Allow", "Principal": {"Service": svc}, "Action": "kms:Decrypt",
                              "Resource": "*"})
    assert evaluate(req, resource_policy=for_service, identity_policies=[ident_deny]).allowed
    root_only = key_policy({"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{A}:root"}, "Action": "kms:*",
                            "Resource": "*"})
    assert evaluate(req, resource_policy=root_only).decision is Decision.IMPLICITLY_DENIED


def test_identity_policies_given_for_a_service_principal_are_not_read_and_the_reason_says_so() -> None:
    svc = "logs.us-west-2.amazonaws.com"
    req = make_request("kms:Decrypt", KEY, svc)
    for_service = key_policy({"Effect": "Allow", "Principal": {"Service": svc}, "Action": "kms:Decrypt",
                              "Resource": "*"})
    ident_deny = identity({"Effect": "Deny", "Action": "*", "Resource": "*"})
    alone = evaluate(req, resource_policy=for_service)
    assert alone.reason == "the resource policy allows the service principal"
    assert evaluate(req, resource_policy=for_service, identity_policies=[ident_deny]).reason == (
        alone.reason + " (a service principal has no identity policies: the 1 given was not read)")
    denied = evaluate(req, identity_policies=[identity(ALLOW_DECRYPT), ident_deny])
    assert denied.decision is Decision.IMPLICITLY_DENIED and denied.reason.endswith("the 2 given were not read)")


# --- the source documents' sample statements ------------------------------------------------------

FORECAST_VIA = "forecast.us-east-1.amazonaws.com"


def forecast_statement() -> dict[str, Any]:
    """004 "Data Protection in Amazon Forecast", "Create a customer managed key": the minimal
    statement (the page's curly quotes and unbalanced brace repaired; "region" made us-east-1)."""
    return {"Sid": "Allow access to principals authorized to use Amazon Forecast", "Effect": "Allow",
            "Principal": {"AWS": ROLE}, "Action": ["kms:DescribeKey", "kms:CreateGrant", "kms:RetireGrant"],
            "Resource": "*",
            "Condition": {"StringEquals": {"kms:ViaService": FORECAST_VIA, "kms:CallerAccount": A}}}


def test_forecast_statement_allows_only_through_forecast() -> None:
    """004 "Data Protection in Amazon Forecast": the role passed to Forecast may use the key
    through Forecast (kms:ViaService) from its own account (kms:CallerAccount), not directly."""
    policy = key_policy(forecast_statement())
    session = f"arn:aws:sts::{A}:assumed-role/ROLE_PASSED_TO_FORECAST/forecast"
    for who in (ROLE, session):
        via = make_request("kms:CreateGrant", KEY, who, {"kms:ViaService": FORECAST_VIA, "kms:CallerAccount": A})
        assert evaluate_policy(policy, via, check_principal=True).allowed
        direct = make_request("kms:CreateGrant", KEY, who, {"kms:CallerAccount": A})
        assert evaluate_policy(policy, direct, check_principal=True).decision is Decision.IMPLICITLY_DENIED
    other_region = make_request("kms:DescribeKey", KEY, ROLE, {"kms:ViaService": "forecast.eu-west-1.amazonaws.com",
                                                              "kms:CallerAccount": A})
    assert not evaluate_policy(policy, other_region, check_principal=True).allowed
    not_listed = make_request("kms:Decrypt", KEY, ROLE, {"kms:ViaService": FORECAST_VIA, "kms:CallerAccount": A})
    assert not evaluate_policy(policy, not_listed, check_principal=True).allowed
    other_role = make_request("kms:DescribeKey", KEY, f"arn:aws:iam::{A}:role/Other",
                              {"kms:ViaService": FORECAST_VIA, "kms:CallerAccount": A})
    assert not evaluate_policy(policy, other_role, check_principal=True).allowed


def test_forecast_admin_statement_is_scoped_to_its_key() -> None:
    """004's second statement gives the account kms:* on the key ARN it names."""
    admin = {"Sid": "Allow access for key administrators", "Effect": "Allow",
             "Principal": {"AWS": f"arn:aws:iam::{A}:root"}, "Action": ["kms:*"], "Resource": KEY}
    policy = key_policy(forecast_statement(), admin)
    assert evaluate_policy(policy, make_request("kms:ScheduleKeyDeletion", KEY, USER_A), check_principal=True).allowed
    other_key = KEY.replace("1234abcd", "9999abcd")
    assert not evaluate_policy(policy, make_request("kms:Decrypt", other_key, USER_A), check_principal=True).allowed


def aoss_statement() -> dict[str, Any]:
    """002 "Encryption in Amazon OpenSearch Serverless", "Key policy for a customer managed key":
    the minimal permissions (no Principal: the page says they may be granted by the key policy or
    by an IAM policy)."""
    return {"Effect": "Allow", "Action": ["kms:DescribeKey", "kms:CreateGrant"], "Resource": "*",
            "Condition": {"StringEquals": {"kms:ViaService": "aoss.us-east-1.amazonaws.com"},
                          "Bool": {"kms:GrantIsForAWSResource": "true"}}}


def test_aoss_sample_requires_grant_is_for_aws_resource() -> None:
    """002: the statement requires kms:ViaService aoss.<region> and kms:GrantIsForAWSResource."""
    policy = identity(aoss_statement(), name="aoss")
    via = {"kms:ViaService": "aoss.us-east-1.amazonaws.com"}

    def decide(action: str, **ctx: Any) -> Decision:
        req = make_request(action, KEY, USER_A, ctx)
        return evaluate_policy(policy, req, check_principal=False).decision

    assert decide("kms:CreateGrant", **via, **{"kms:GrantIsForAWSResource": "true"}) is Decision.ALLOWED
    assert decide("kms:CreateGrant", **via, **{"kms:GrantIsForAWSResource": True}) is Decision.ALLOWED
    assert decide("kms:CreateGrant", **via) is Decision.IMPLICITLY_DENIED
    assert decide("kms:CreateGrant", **via, **{"kms:GrantIsForAWSResource": "false"}) is Decision.IMPLICITLY_DENIED
    assert decide("kms:CreateGrant", **{"kms:ViaService": "aoss.eu-west-1.amazonaws.com",
                                        "kms:GrantIsForAWSResource": "true"}) is Decision.IMPLICITLY_DENIED
    assert decide("kms:Decrypt", **via, **{"kms:GrantIsForAWSResource": "true"}) is Decision.IMPLICITLY_DENIED


def test_aoss_identity_policy_sample() -> None:
    """002 "Encryption policies": the sample identity policy scoped by aoss:collection."""
    policy = parse_policy(
        '{ "Version":"2012-10-17", "Statement":[ { "Effect":"Allow", "Action":[ "aoss:CreateSecurityPolicy", '
        '"aoss:UpdateSecurityPolicy", "aoss:DeleteSecurityPolicy", "aoss:GetSecurityPolicy" ], "Resource":"*", '
        '"Condition":{ "StringEquals":{ "aoss:collection":"application-logs" } } }, { "Effect":"Allow", '
        '"Action":[ "aoss:ListSecurityPolicies" ], "Resource":"*" } ] }')
    ok = make_request("aoss:CreateSecurityPolicy", "*", USER_A, {"aoss:collection": "application-logs"})
    assert evaluate_policy(policy, ok, check_principal=False).allowed
    bad = make_request("aoss:CreateSecurityPolicy", "*", USER_A, {"aoss:collection": "other"})
    assert not evaluate_policy(policy, bad, check_principal=False).allowed
    listing = make_request("aoss:ListSecurityPolicies", "*", USER_A)
    assert evaluate_policy(policy, listing, check_principal=False).allowed


def test_mwaa_logs_statement_matches_only_its_region_log_groups() -> None:
    """003 "Using customer managed keys for encryption" (Amazon MWAA): CloudWatch Logs may use the
    key for log groups of us-west-2 (kms:EncryptionContext:aws:logs:arn ArnLike)."""
    svc = "logs.us-west-2.amazonaws.com"
    policy = key_policy({
        "Effect": "Allow", "Principal": {"Service": svc},
        "Action": ["kms:Encrypt*", "kms:Decrypt*", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:Describe*"],
        "Resource": "*",
        "Condition": {"ArnLike": {"kms:EncryptionContext:aws:logs:arn": "arn:aws:logs:us-west-2:*:*"}}})

    def decide(action: str, arn: str | None, who: str = svc) -> bool:
        ctx = {} if arn is None else {"kms:EncryptionContext:aws:logs:arn": arn}
        return evaluate_policy(policy, make_request(action, KEY, who, ctx), check_principal=True).allowed

    group = f"arn:aws:logs:us-west-2:{A}:log-group:airflow-MyEnv-Task"
    assert decide("kms:GenerateDataKey", group)
    assert decide("kms:ReEncryptFrom", group) and decide("kms:DescribeKey", group)
    assert not decide("kms:GenerateDataKey", group.replace("us-west-2", "us-east-1"))
    assert not decide("kms:GenerateDataKey", None)
    assert not decide("kms:CreateGrant", group)
    assert not decide("kms:GenerateDataKey", group, who="logs.us-east-1.amazonaws.com")
    assert not decide("kms:GenerateDataKey", group, who=f"arn:aws:iam::{A}:root")


def test_feature_store_like_via_service() -> None:
    """001 (SageMaker Feature Store key policy sample): StringLike on kms:ViaService with a
    Region wildcard."""
    policy = key_policy({
        "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{A}:user/featurestore-user"},
        "Action": ["kms:Encrypt", "kms:Decrypt", "kms:DescribeKey", "kms:CreateGrant"], "Resource": "*",
        "Condition": {"StringLike": {"kms:ViaService": "sagemaker.*.amazonaws.com"}}})
    user = f"arn:aws:iam::{A}:user/featurestore-user"
    ok = make_request("kms:Decrypt", KEY, user, {"kms:ViaService": "sagemaker.eu-west-1.amazonaws.com"})
    assert evaluate_policy(policy, ok, check_principal=True).allowed
    no = make_request("kms:Decrypt", KEY, user, {"kms:ViaService": "s3.eu-west-1.amazonaws.com"})
    assert not evaluate_policy(policy, no, check_principal=True).allowed


def test_benchmark_runs_on_a_tiny_corpus(capsys: Any) -> None:
    assert bench_evaluator.main(["--policies", "3", "--requests", "20", "--repeats", "1"]) == 0
    out = capsys.readouterr().out
    assert "20 requests" in out and "decisions/s" in out
    first = bench_evaluator.corpus(3, 20)
    second = bench_evaluator.corpus(3, 20)
    assert [(c[0], c[1], c[2]) for c in first] == [(c[0], c[1], c[2]) for c in second]
    assert all(3 <= len(kp.statements) <= 8 for kp, _, _ in first)


def test_resource_without_account_is_taken_as_same_account() -> None:
    req = make_request("s3:GetObject", "arn:aws:s3:::bucket/key", USER_B)
    allow = identity({"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::bucket/*"})
    assert evaluate(req, identity_policies=[allow]).allowed
    assert not evaluate(req, identity_policies=[allow], resource_policy=key_policy(
        {"Effect": "Deny", "Principal": {"AWS": B}, "Action": "s3:*", "Resource": "*"})).allowed


def test_role_with_path_names_the_role_without_path() -> None:
    policy = key_policy({"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{A}:role/service-role/R"},
                         "Action": "kms:Decrypt", "Resource": "*"})
    for who in (f"arn:aws:iam::{A}:role/R", f"arn:aws:sts::{A}:assumed-role/R/s1"):
        assert evaluate_policy(policy, make_request("kms:Decrypt", KEY, who), check_principal=True).allowed
    assert not evaluate_policy(policy, make_request("kms:Decrypt", KEY, f"arn:aws:iam::{A}:role/S"),
                               check_principal=True).allowed


def test_a_changed_copy_of_a_policy_does_not_share_its_decision_cache() -> None:
    """``dataclasses.replace`` on a Policy (rules evaluate reduced copies of a key policy) must not
    hand the copy the original's memo: the copy's decisions would then answer for the original."""
    import dataclasses

    from kms_conformance.policy import evaluate_policy, make_request, parse_policy

    policy = parse_policy({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::111122223333:root"}, "Action": "kms:*",
         "Resource": "*"},
        {"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::111122223333:role/R"}, "Action": "kms:Decrypt",
         "Resource": "*"}]})
    request = make_request("kms:PutKeyPolicy", "arn:aws:kms:us-east-1:111122223333:key/k",
                           "arn:aws:iam::111122223333:root")
    reduced = dataclasses.replace(policy, statements=policy.statements[1:])
    assert not evaluate_policy(reduced, request, check_principal=True).allowed
    assert evaluate_policy(policy, request, check_principal=True).allowed


def test_new_evaluation_is_the_same_value_as_the_constructor() -> None:
    import dataclasses

    from kms_conformance.policy import Evaluation
    from kms_conformance.policy.evaluate import new_evaluation

    matched = (Match("key policy", 1, "S", "Allow"),)
    built = new_evaluation(Decision.ALLOWED, matched, "why")
    assert built == Evaluation(Decision.ALLOWED, matched, "why") and built.allowed
    assert repr(built) == repr(Evaluation(Decision.ALLOWED, matched, "why"))
    assert hash(built) == hash(Evaluation(Decision.ALLOWED, matched, "why"))
    with pytest.raises(dataclasses.FrozenInstanceError):
        built.reason = "changed"  # type: ignore[misc]


def test_statement_sets_reuse_by_resource_only_what_does_not_read_the_context() -> None:
    """A plan's answers are kept per resource only when no candidate reads the context: a
    policy variable in ``Resource`` is resolved for each request."""
    from kms_conformance.policy.evaluate import statement_sets

    p = identity({"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/${aws:username}/*"},
                 {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/shared/*"})
    alice = {"aws:username": ("alice",)}
    bob = {"aws:username": ("bob",)}
    for _ in range(2):
        assert [m.index for m in statement_sets(p, "s3:GetObject", "arn:aws:s3:::b/alice/x", None, alice)[0]] == [0]
        assert statement_sets(p, "s3:GetObject", "arn:aws:s3:::b/alice/x", None, bob)[0] == ()
        assert [m.index for m in statement_sets(p, "s3:GetObject", "arn:aws:s3:::b/shared/x", None, bob)[0]] == [1]
    fixed = identity({"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/shared/*"})
    for _ in range(2):
        assert len(statement_sets(fixed, "s3:GetObject", "arn:aws:s3:::b/shared/x", None, {})[0]) == 1
        assert statement_sets(fixed, "s3:GetObject", "arn:aws:s3:::other", None, {})[0] == ()


def test_names_directly_is_principal_matches_without_account_values() -> None:
    """A resource-policy statement names the caller directly when its Principal, without the
    "AWS" values that name an account, still matches the caller (the account's root user: when
    the Principal matches it at all); checked against that definition on principal blocks and
    callers of every kind."""
    from dataclasses import replace

    from kms_conformance.policy.match import (
        is_account_value,
        names_principal_directly,
        principal_info,
        principal_matches,
    )

    account, other = "111122223333", "444455556666"
    values = ["*", account, f"arn:aws:iam::{account}:root", f"arn:aws:iam::{other}:root",
              f"arn:aws:iam::{account}:role/App", f"arn:aws:iam::{account}:role/path/App",
              f"arn:aws:iam::{account}:user/U", f"arn:aws:sts::{account}:assumed-role/App/s1",
              f"arn:aws-cn:iam::{account}:role/App", f"arn:aws:iam::{other}:role/App"]
    callers = [account, f"arn:aws:iam::{account}:root", f"arn:aws:iam::{account}:role/App",
               f"arn:aws:sts::{account}:assumed-role/App/s1", f"arn:aws:sts::{other}:assumed-role/App/s1",
               f"arn:aws:iam::{account}:user/U", "forecast.amazonaws.com", "cognito-identity.amazonaws.com",
               f"arn:aws-cn:sts::{account}:assumed-role/App/s1", "odd"]
    docs: list[Any] = ["*", {"Service": "forecast.amazonaws.com"},
                       {"Federated": "cognito-identity.amazonaws.com", "AWS": account}]
    docs += [{"AWS": v} for v in values] + [{"AWS": [a, b]} for a in values for b in values[::3] if a != b]
    named = 0
    for doc in docs:
        stmt = parse_policy({"Statement": {"Effect": "Allow", "Principal": doc, "Action": "kms:*",
                                           "Resource": "*"}}, origin="p").statements[0]
        block = stmt.principal
        assert block is not None
        for caller in callers:
            if block.everyone:
                want = True
            elif principal_info(caller).kind == "Account":
                want = principal_matches(block, caller)
            else:
                want = principal_matches(replace(block, aws=tuple(v for v in block.aws if not is_account_value(v))),
                                         caller)
            assert names_principal_directly(block, caller) is want, (doc, caller)
            named += want
    assert named > 20


ARN_PATTERNS = ["*", "arn:aws:s3:::bucket-1-ab12/*", "arn:aws:s3:::bucket-1-*", "arn:aws:s3:::*/data/*.csv",
                "arn:aws:iam::111122223333:role/App", "arn:aws:iam::*:role/App*", "arn:*:kms:*:111122223333:key/*",
                "arn:aws:kms:us-east-1:111122223333:key/a:b:c", "arn:aws", "arn:aws:iam::111122223333",
                "arn:aws:s3:::b?cket/*", "arn:aws:*", "*:*", "arn:aws:s3:::bucket/**/x", "", "arn::::::",
                "arn:aws:iam::111122223333:*", "arn:aws:s3:::*/1.csv", "arn:aws:s3:::bucket-1-ab12*", "arn:aws*ws",
                "*/x", "arn:aws:iam::111122223333:role/App*", "arn:aws:kms:us-east-1:111122223333:key/*:c"]
ARN_VALUES = ["arn:aws:s3:::bucket-1-ab12/data/1.csv", "arn:aws:s3:::bucket-1-ab12", "arn:aws:s3:::bucket/a/b/x",
              "arn:aws:iam::111122223333:role/App", "arn:aws:iam::444455556666:role/Apple",
              "arn:aws:kms:us-east-1:111122223333:key/a:b:c", "arn:aws-cn:kms:cn-north-1:111122223333:key/k",
              "arn:aws", "arn:aws:iam::111122223333", "arn:aws:s3:::bucket/x", "arn:aws:s3:::bac\nket/x",
              "", ":", "a:b", "arn:aws:iam::111122223333:user/U:x", "arn::::::"]


def test_arn_matcher_of_a_plain_value_matches_as_its_tokens_do() -> None:
    """``ArnLike``'s matcher of a value without policy variables and without ``?`` is built from
    the shared compiled globs of its components; it answers as the matcher built from the value's
    tokens does, on every pair of these patterns and values (and on each value as a pattern)."""
    from kms_conformance.policy import conditions

    for pattern in [*ARN_PATTERNS, *ARN_VALUES]:
        fast = conditions.arn_matcher(((pattern, True),))
        slow = conditions._arn_matcher_of_tokens(conditions._piece_tokens(((pattern, True),)))
        for value in [*ARN_VALUES, *ARN_PATTERNS]:
            assert fast(value) is slow(value), (pattern, value)


def test_first_resource_test_answers_as_the_compiled_matcher() -> None:
    """A statement's first resource test compares its patterns without compiling its matcher; on
    statements of these patterns (one or two each, with and without policy variables) and these
    resources it answers as ``resource_test`` does, before and after the matcher is compiled."""
    from kms_conformance.policy.evaluate import resource_first_test

    patterns = [*ARN_PATTERNS[1:], "arn:aws:s3:::${aws:username}/*", "arn:aws:iam::111122223333:user/${aws:username}"]
    context = {"aws:username": ("U",)}
    checked = 0
    for i, first in enumerate(patterns):
        for resource in ([first], [first, patterns[(i * 7 + 3) % len(patterns)]]):
            for version in ("2012-10-17", "2008-10-17"):
                doc = {"Version": version, "Statement": {"Effect": "Allow", "Action": "s3:*", "Resource": resource}}
                stmt = parse_policy(doc, origin="p").statements[0]
                firsts = [resource_first_test(stmt, v, context) for v in ARN_VALUES]
                assert "resource_test" not in vars(stmt) or any("${" in p for p in resource)
                compiled = [stmt.resource_test(v, context) for v in ARN_VALUES]
                assert firsts == compiled == [resource_first_test(stmt, v, context) for v in ARN_VALUES], resource
                checked += sum(compiled)
    assert checked > 20
