"""``kms-conformance simulate`` end to end through ``kms_conformance.cli.main``."""

from __future__ import annotations

import io
import json
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from kms_conformance.cli import main

ACCOUNT = "111122223333"
KEY = f"arn:aws:kms:us-east-1:{ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab"
ROLE = f"arn:aws:iam::{ACCOUNT}:role/ROLE_PASSED_TO_FORECAST"
SESSION = f"arn:aws:sts::{ACCOUNT}:assumed-role/ROLE_PASSED_TO_FORECAST/s"
FORECAST_POLICY = {"Version": "2012-10-17", "Statement": [
    {"Sid": "Allow access to principals authorized to use Amazon Forecast", "Effect": "Allow",
     "Principal": {"AWS": ROLE}, "Action": ["kms:DescribeKey", "kms:CreateGrant", "kms:RetireGrant"],
     "Resource": "*", "Condition": {"StringEquals": {"kms:ViaService": "forecast.us-east-1.amazonaws.com",
                                                     "kms:CallerAccount": ACCOUNT}}},
    {"Sid": "Allow access for key administrators", "Effect": "Allow",
     "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"}, "Action": ["kms:*"], "Resource": KEY}]}


def write(tmp: Path, name: str, value: Any) -> str:
    path = tmp / name
    path.write_text(value if isinstance(value, str) else json.dumps(value))
    return str(path)


def request(action: str = "kms:CreateGrant", principal: str = SESSION, **context: Any) -> dict[str, Any]:
    return {"action": action, "resource": KEY, "principal": principal, "context": context}


def run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    status = main(["simulate", *argv])
    out = capsys.readouterr()
    return status, out.out, out.err


def test_forecast_statement_via_service(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    kp = write(tmp_path, "kp.json", FORECAST_POLICY)
    via = write(tmp_path, "via.json", request(**{"kms:ViaService": "forecast.us-east-1.amazonaws.com"}))
    direct = write(tmp_path, "direct.json", request())
    status, out, _ = run(["--request", via, "--resource-policy", kp], capsys)
    assert status == 0 and out.startswith("Allowed:")
    assert "Allow access to principals authorized to use Amazon Forecast" in out
    status, out, _ = run(["--request", direct, "--resource-policy", kp, "--json"], capsys)
    result = json.loads(out)
    assert status == 0 and result["decision"] == "ImplicitlyDenied" and result["matched"] == []


def test_identity_policy_and_explicit_deny(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    default = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {
        "AWS": f"arn:aws:iam::{ACCOUNT}:root"}, "Action": "kms:*", "Resource": "*"}]}
    kp = write(tmp_path, "kp.json", default)
    req = write(tmp_path, "req.json", request("kms:Decrypt"))
    allow = write(tmp_path, "allow.json", {"Version": "2012-10-17", "Statement": [
        {"Sid": "UseKey", "Effect": "Allow", "Action": "kms:Decrypt", "Resource": KEY}]})
    deny = write(tmp_path, "deny.json", {"Version": "2012-10-17", "Statement": [
        {"Sid": "NoDecrypt", "Effect": "Deny", "Action": "kms:Decrypt", "Resource": "*"}]})
    _, out, _ = run(["--request", req, "--resource-policy", kp, "--identity-policy", allow, "--json"], capsys)
    assert json.loads(out)["decision"] == "Allowed"
    _, out, _ = run(["--request", req, "--resource-policy", kp, "--identity-policy", allow,
                     "--identity-policy", deny, "--json"], capsys)
    result = json.loads(out)
    assert result["decision"] == "ExplicitlyDenied" and result["matched"][0]["sid"] == "NoDecrypt"


def test_account_id_principal_is_the_account(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    kp = write(tmp_path, "kp.json", FORECAST_POLICY)
    req = write(tmp_path, "req.json", request("kms:PutKeyPolicy", principal=ACCOUNT))
    _, out, _ = run(["--request", req, "--resource-policy", kp, "--json"], capsys)
    assert json.loads(out)["matched"][0]["sid"] == "Allow access for key administrators"
    other = write(tmp_path, "other.json", request("kms:PutKeyPolicy", principal="444455556666"))
    _, out, _ = run(["--request", other, "--resource-policy", kp, "--json"], capsys)
    assert json.loads(out)["decision"] == "ImplicitlyDenied"


def test_grant_with_encryption_context(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    grant = write(tmp_path, "g.json", {"KeyId": KEY, "GranteePrincipal": ROLE, "Operations": ["Decrypt"],
                                       "Constraints": {"EncryptionContextEquals": {"Dept": "IT"}}})
    ok = write(tmp_path, "ok.json", request("kms:Decrypt", **{"kms:EncryptionContext:Dept": "IT"}))
    bad = write(tmp_path, "bad.json", request("kms:Decrypt", **{"kms:EncryptionContext:Dept": "it"}))
    _, out, _ = run(["--request", ok, "--grant", grant, "--json"], capsys)
    assert json.loads(out)["decision"] == "Allowed"
    _, out, _ = run(["--request", bad, "--grant", grant, "--json"], capsys)
    assert json.loads(out)["decision"] == "ImplicitlyDenied"


def test_non_kms_resource_uses_the_general_rule(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    req = write(tmp_path, "req.json", {"action": "aoss:CreateCollection", "resource": "*", "principal": SESSION})
    ident = write(tmp_path, "p.json", {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "aoss:CreateCollection", "Resource": "*"}]})
    _, out, _ = run(["--request", req, "--identity-policy", ident, "--json"], capsys)
    assert json.loads(out)["decision"] == "Allowed"
    _, out, _ = run(["--request", req, "--json"], capsys)
    assert json.loads(out)["decision"] == "ImplicitlyDenied"


def test_batch_with_a_malformed_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    kp = FORECAST_POLICY
    lines = [
        json.dumps({"request": request(**{"kms:ViaService": "forecast.us-east-1.amazonaws.com"}),
                    "resourcePolicy": kp}),
        "{not json",
        json.dumps({"request": request(), "resourcePolicy": kp}),
        "",
        json.dumps({"request": request(), "resourcePolicy": {"Statement": [{"Effect": "Maybe"}]}}),
        json.dumps({"request": {"action": "kms:Decrypt", "resource": KEY}}),
    ]
    batch = write(tmp_path, "cases.jsonl", "\n".join(lines) + "\n")
    status, out, err = run(["--batch", batch], capsys)
    results = [json.loads(x) for x in out.splitlines()]
    assert status == 2 and "3 malformed line(s)" in err
    assert [r["line"] for r in results] == [1, 2, 3, 5, 6]
    assert results[0]["decision"] == "Allowed" and results[2]["decision"] == "ImplicitlyDenied"
    assert "not valid JSON" in results[1]["error"]
    assert results[3]["error"].startswith("resourcePolicy.Statement[0].Effect:")
    assert results[4]["error"].startswith("request.principal:")


def test_batch_from_stdin_caches_policies(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    from kms_conformance.commands import simulate

    parses = []
    import kms_conformance.policy as policy_module
    real = policy_module.parse_policy

    def counting(doc: Any, **kw: Any) -> Any:
        parses.append(1)
        return real(doc, **kw)
    monkeypatch.setattr(policy_module, "parse_policy", counting)
    line = json.dumps({"request": request(), "resourcePolicy": FORECAST_POLICY})
    monkeypatch.setattr("sys.stdin", io.StringIO((line + "\n") * 5))
    status, out, _ = run(["--batch", "-"], capsys)
    assert status == 0 and len(out.splitlines()) == 5 and len(parses) == 2  # kept from its second sighting on
    assert simulate.run_batch([line], io.StringIO()) == 0


@pytest.mark.parametrize(("content", "message"), [
    ("{oops", "not valid JSON"),
    (json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": 5, "Resource": "*",
                                                         "Principal": "*"}]}), "Statement[0].Action"),
])
def test_bad_policy_file(tmp_path: Path, capsys: pytest.CaptureFixture[str], content: str, message: str) -> None:
    req = write(tmp_path, "req.json", request())
    kp = write(tmp_path, "kp.json", content)
    status, out, err = run(["--request", req, "--resource-policy", kp], capsys)
    assert status == 2 and out == ""
    assert err.count("\n") == 1 and "kp.json" in err and message in err and "Traceback" not in err


def test_bad_request_and_missing_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    req = write(tmp_path, "req.json", {"action": "kms:Decrypt", "resource": KEY, "principal": SESSION,
                                       "context": {"kms:ViaService": 3}})
    status, _, err = run(["--request", req], capsys)
    assert status == 2 and "req.json: context.kms:ViaService:" in err
    status, _, err = run(["--request", str(tmp_path / "missing.json")], capsys)
    assert status == 2 and "missing.json" in err and "cannot read" in err
    grant = write(tmp_path, "g.json", {"KeyId": KEY, "GranteePrincipal": ROLE, "Operations": ["ListGrants"]})
    ok_req = write(tmp_path, "ok.json", request())
    status, _, err = run(["--request", ok_req, "--grant", grant], capsys)
    assert status == 2 and "g.json" in err and "ListGrants" in err


def test_usage_errors(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    status, _, err = run([], capsys)
    assert status == 2 and "exactly one of --request" in err


ALLOW_ALIASES = {"Version": "2012-10-17", "Statement": [
    {"Sid": "Aliases", "Effect": "Allow", "Action": ["kms:CreateAlias", "kms:UpdateAlias", "kms:DeleteAlias"],
     "Resource": "*"}]}


@pytest.mark.parametrize("action", ["kms:CreateAlias", "kms:UpdateAlias", "kms:DeleteAlias"])
def test_reserved_alias_can_never_be_allowed(tmp_path: Path, capsys: pytest.CaptureFixture[str], action: str) -> None:
    """CreateAlias API Reference (AliasName): ``alias/aws/`` names belong to AWS managed keys;
    creating, repointing or deleting one fails whatever the policies say."""
    ident = write(tmp_path, "p.json", ALLOW_ALIASES)
    reserved = write(tmp_path, "r.json", {"action": action, "principal": SESSION,
                                          "resource": f"arn:aws:kms:us-east-1:{ACCOUNT}:alias/aws/s3"})
    status, out, _ = run(["--request", reserved, "--identity-policy", ident, "--json"], capsys)
    result = json.loads(out)
    assert status == 0 and result["decision"] == "ImplicitlyDenied" and result["matched"] == []
    assert "reserved for AWS managed keys" in result["reason"] and "NotAuthorizedException" in result["reason"]
    own = write(tmp_path, "o.json", {"action": action, "principal": SESSION,
                                     "resource": f"arn:aws:kms:us-east-1:{ACCOUNT}:alias/app"})
    _, out, _ = run(["--request", own, "--identity-policy", ident, "--json"], capsys)
    assert json.loads(out)["decision"] == "Allowed"
    deny = write(tmp_path, "d.json", {"Version": "2012-10-17", "Statement": [
        {"Sid": "No", "Effect": "Deny", "Action": "kms:*", "Resource": "*"}]})
    _, out, _ = run(["--request", reserved, "--identity-policy", ident, "--identity-policy", deny, "--json"], capsys)
    result = json.loads(out)
    assert result["decision"] == "ExplicitlyDenied" and "reserved" in result["reason"]


def test_account_principal_delegates_and_root_is_allowed(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """"AWS JSON policy elements: Principal": a bucket policy naming the account delegates to the
    account's identity policies; "How AWS enforcement code logic evaluates requests to allow or
    deny access": the account's root user has full access unless denied."""
    bucket = {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"}, "Action": "s3:GetObject",
         "Resource": "arn:aws:s3:::amzn-s3-demo-bucket/*"}]}
    rp = write(tmp_path, "bucket.json", bucket)
    obj = "arn:aws:s3:::amzn-s3-demo-bucket/report.csv"
    user = write(tmp_path, "u.json", {"action": "s3:GetObject", "resource": obj, "resourceAccount": ACCOUNT,
                                      "principal": f"arn:aws:iam::{ACCOUNT}:user/alice"})
    status, out, _ = run(["--request", user, "--resource-policy", rp], capsys)
    assert status == 0 and out.startswith("ImplicitlyDenied:") and "delegates" in out
    root = write(tmp_path, "root.json", {"action": "s3:GetObject", "resource": obj, "resourceAccount": ACCOUNT,
                                         "principal": ACCOUNT})
    _, out, _ = run(["--request", root, "--json"], capsys)
    assert json.loads(out)["decision"] == "Allowed"


def test_undocumented_behaviour_is_named_in_the_answer(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Where AWS documents nothing, the decision keeps the kit's behaviour and says so."""
    kp = write(tmp_path, "kp.json", {"Version": "2012-10-17", "Statement": [
        {"Sid": "Plain", "Effect": "Allow", "Principal": {"AWS": ROLE}, "Action": "kms:Decrypt", "Resource": "*",
         "Condition": {"StringEquals": {"kms:EncryptionContextKeys": "Dept"}}},
        {"Sid": "AnyIfExists", "Effect": "Allow", "Principal": {"AWS": ROLE}, "Action": "kms:Encrypt",
         "Resource": "*", "Condition": {"ForAnyValue:StringEqualsIfExists": {"aws:TagKeys": "team"}}}]})
    decrypt = write(tmp_path, "d.json", request("kms:Decrypt", **{"kms:EncryptionContext:Dept": "IT",
                                                                  "kms:EncryptionContext:Team": "a"}))
    status, out, _ = run(["--request", decrypt, "--resource-policy", kp], capsys)
    assert status == 0 and out.startswith("Allowed:")
    assert "note: " in out and "Statement[0].Condition.StringEquals.kms:EncryptionContextKeys" in out
    assert "AWS does not document" in out
    encrypt = write(tmp_path, "e.json", request("kms:Encrypt"))
    _, out, _ = run(["--request", encrypt, "--resource-policy", kp, "--json"], capsys)
    result = json.loads(out)
    assert result["decision"] == "Allowed" and len(result["notes"]) == 1
    assert "ForAnyValue:StringEqualsIfExists" in result["notes"][0]
    plain = write(tmp_path, "p.json", request("kms:Decrypt", **{"kms:ViaService": "x"}))
    _, out, _ = run(["--request", plain, "--resource-policy", write(tmp_path, "f.json", FORECAST_POLICY),
                     "--json"], capsys)
    assert "notes" not in json.loads(out)


def test_batch_cache_is_bounded_and_keyed_by_content() -> None:
    from kms_conformance.commands import simulate
    from kms_conformance.errors import InputError

    parsed = simulate.Parsed(size=2)
    docs = [{"Version": "2012-10-17", "Statement": [{"Sid": f"S{i}", "Effect": "Allow", "Principal": "*",
                                                     "Action": "kms:Decrypt", "Resource": "*"}]} for i in range(3)]
    once = parsed.policy(docs[0], source="b")  # met once: parsed, let go with its line
    assert parsed.parses == 1 and len(parsed) == 0
    first = parsed.policy(json.loads(json.dumps(docs[0])), source="b")  # the same content again: kept
    assert first == once and first is not once and parsed.parses == 2 and len(parsed) == 1
    assert parsed.policy(docs[0], source="b") is first and parsed.parses == 2  # from then on, no parse
    parsed.policy(docs[1], source="b")
    parsed.policy(docs[1], source="b")
    parsed.policy(docs[0], source="b")  # docs[0] is now the most recently used
    parsed.policy(docs[2], source="b")
    parsed.policy(docs[2], source="b")  # kept: evicts docs[1], the least recently used
    assert parsed.parses == 6 and len(parsed) == 2
    assert parsed.policy(docs[0], source="b") is first
    parsed.policy(docs[1], source="b")  # evicted, so met afresh: parsed, not kept
    assert parsed.parses == 7 and len(parsed) == 2
    # the keys of contents met once are bounded too (4 * size): the oldest is forgotten
    small = simulate.Parsed(size=1)
    for doc in [docs[0], *({**docs[1], "Id": str(i)} for i in range(4)), docs[0]]:
        small.policy(doc, source="b")
    assert len(small) == 0 and small.parses == 6
    # JSON text and a decoded value never share an entry; a malformed policy is never cached
    with pytest.raises(InputError):
        parsed.policy(repr(docs[1]), source="b")
    with pytest.raises(InputError, match="Effect"):
        parsed.policy({"Statement": {"Effect": "Maybe", "Action": "kms:Decrypt"}}, source="b")
    assert len(parsed) == 2


def test_batch_cache_stops_keying_fresh_contents_and_resumes_when_they_recur(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """After 4 x size new contents in a row the cache computes the key of one lookup in SAMPLE_EVERY
    only; the first sampled lookup whose content recurs turns keying back on, and the recurring
    policy is served from the cache again."""
    from kms_conformance.commands import simulate

    keys: list[int] = []
    real = simulate.content_key
    monkeypatch.setattr(simulate, "content_key", lambda value: keys.append(1) or real(value))

    def doc(i: int) -> dict[str, Any]:
        return {"Version": "2012-10-17", "Id": f"p{i}", "Statement": [
            {"Effect": "Allow", "Principal": "*", "Action": "kms:Decrypt", "Resource": "*"}]}

    parsed = simulate.Parsed(size=2)  # 8 new contents in a row: sampling starts
    for i in range(8):
        parsed.policy(doc(i), source="b")
    assert len(keys) == 8
    for i in range(8, 8 + 4 * simulate.SAMPLE_EVERY):
        parsed.policy(doc(i), source="b")
    assert len(keys) == 8 + 4  # one lookup in SAMPLE_EVERY computed its key
    assert parsed.parses == 8 + 4 * simulate.SAMPLE_EVERY and len(parsed) == 0
    # one policy on every line from now on: a sampled lookup notes it, the next finds it noted and keeps it
    for _ in range(3 * simulate.SAMPLE_EVERY):
        parsed.policy(doc(-1), source="b")
    parses, keyed = parsed.parses, len(keys)
    for _ in range(10):
        assert parsed.policy(doc(-1), source="b") == simulate._policy.parse_policy(doc(-1), origin="b")
    assert parsed.parses == parses and len(keys) == keyed + 10 and len(parsed) == 1  # keyed again, no parse


def test_batch_decisions_do_not_depend_on_the_cache_size() -> None:
    from kms_conformance.commands import simulate

    via = {"kms:ViaService": "forecast.us-east-1.amazonaws.com"}
    lines = [json.dumps({"request": request(principal=p, **via), "resourcePolicy": FORECAST_POLICY})
             for p in (ROLE, "arn:aws:iam::444455556666:role/Other", ROLE)]
    small, large = io.StringIO(), io.StringIO()
    assert simulate.run_batch(lines * 3, small, parsed=simulate.Parsed(size=1)) == 0
    assert simulate.run_batch(lines * 3, large) == 0
    assert small.getvalue() == large.getvalue()
    assert {json.loads(x)["decision"] for x in small.getvalue().splitlines()} == {"Allowed", "ImplicitlyDenied"}


def test_content_key_tells_types_and_order_apart() -> None:
    from collections import OrderedDict

    from kms_conformance.commands.simulate import content_key

    same = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Sid": "a"}]}
    assert content_key(same) == content_key(json.loads(json.dumps(same)))
    values = [{"k": 1}, {"k": 1.0}, {"k": True}, {"k": "1"}, {"k": [1]}, {"k": None}, {"a": 1, "b": 2},
              {"b": 2, "a": 1}, {"k": -0.0}, {"k": 0.0}]
    assert len({content_key(v) for v in values}) == len(values)
    # a mapping marshal cannot write is keyed by its repr, never equal to a dict's key
    assert content_key(OrderedDict(k=1)) == content_key(OrderedDict(k=1)) != content_key({"k": 1})


def test_batch_puts_the_collector_back_and_leaves_no_cycles() -> None:
    import gc

    from kms_conformance.commands import simulate

    good = json.dumps({"request": request(), "resourcePolicy": FORECAST_POLICY,
                       "grants": [{"KeyId": KEY, "GranteePrincipal": ROLE, "Operations": ["Decrypt"]}]})
    bad = json.dumps({"request": request(), "resourcePolicy": {"Statement": [{"Effect": "Maybe"}]}})
    thresholds = gc.get_threshold()
    frozen = gc.get_freeze_count()
    gc.unfreeze()  # what the process froze before (this suite's conftest does), collected here
    gc.collect()
    gc.disable()
    try:
        assert simulate.run_batch([good, bad, "{", good], io.StringIO()) == 2
        # deciding creates no reference cycles: the raised collector threshold loses nothing
        assert gc.collect() == 0
    finally:
        gc.enable()
    assert gc.get_threshold() == thresholds and gc.get_freeze_count() == 0
    if frozen:
        gc.freeze()  # the process as it was


def test_batch_leaves_what_its_caller_froze_frozen() -> None:
    """A program that froze its objects (``gc.freeze``) finds them frozen after a batch: Python can only
    unfreeze everything, so the batch does not unfreeze at its end then."""
    import gc

    from kms_conformance.commands import simulate

    line = json.dumps({"request": request(), "resourcePolicy": FORECAST_POLICY})
    held = [[] for _ in range(10)]  # containers of the caller's, alive and frozen
    gc.freeze()
    frozen = gc.get_freeze_count()
    try:
        assert simulate.run_batch([line], io.StringIO()) == 0
        assert gc.get_freeze_count() >= frozen > len(held)
    finally:
        gc.unfreeze()


def test_first_evaluation_of_a_policy_decides_as_its_memo_does() -> None:
    """A policy's first evaluation scans its statements directly; later ones use its memo
    (candidates, plans, answers by resource). On generated cases (KMS keys with grants, S3 with
    cross-account callers, conditions of every operator family) the first, second and third
    decisions on the same parsed policies are the same outcome."""
    from kms_conformance.commands import simulate

    from benchmarks import gen_batch

    parsed = simulate.Parsed(size=4096)
    decisions = set()
    for raw in gen_batch.cases(300, seed=7):
        req = simulate.parse_request(raw["request"], source="t")
        rp = parsed.policy(raw["resourcePolicy"], source="t")
        ids = [parsed.policy(p, source="t") for p in raw.get("identityPolicies", [])]
        grants = [parsed.grant(g, source="t") for g in raw.get("grants", [])]
        assert "cache" not in vars(rp)  # never evaluated: the first decision takes the direct scan
        first = simulate.decide(req, rp, ids, grants)
        assert simulate.decide(req, rp, ids, grants) == first == simulate.decide(req, rp, ids, grants)
        decisions.add(first.decision)
    assert decisions == {"Allowed", "ImplicitlyDenied", "ExplicitlyDenied"}


KEY_ARN_PROBES = [KEY, KEY.replace("us-east-1", "eu-central-1"), KEY.replace(":aws:", ":aws-cn:"),
                  KEY.replace(":aws:", ":aws-us-gov:"), KEY.replace(":aws:", ":aws-iso:"),
                  f"arn:aws:kms:us-east-1:{ACCOUNT}:key/mrk-1234abcd12ab34cd56ef1234567890ab",
                  f"arn:aws:kms:us-east-1:{ACCOUNT}:key/MRK-1234abcd12ab34cd56ef1234567890ab",
                  f"arn:aws:kms:us-east-1:{ACCOUNT}:key/mrk-1234abcd12ab34cd56ef1234567890a",
                  f"arn:aws:kms:us-east-1:{ACCOUNT}:alias/x",
                  f"arn:aws:kms::{ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab",
                  KEY.replace(ACCOUNT, "11112222333"), KEY.replace(ACCOUNT, ""), KEY + "\n", KEY + ":x", KEY + "/x",
                  KEY.replace(":kms:", ":KMS:"), KEY.replace("us-east-1", "US-east-1"),
                  KEY.replace("us-east-1", "us-1"),
                  KEY.replace("us-east-1", "us-east-\u0661"), KEY.replace(ACCOUNT, "\u0661" * 12),
                  KEY.replace("arn:", "ARN:"), KEY.replace("key/", "key//"), KEY.upper(), "", "*", "arn:", ACCOUNT,
                  "arn:aws:s3:::bucket", f"arn:aws:kms:us-east-1:{ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890AB"]


@pytest.mark.parametrize("resource", KEY_ARN_PROBES)
def test_key_arn_parts_agree_with_parse_key_arn(resource: str) -> None:
    """``decide`` reads a KMS key ARN with one regular expression: it accepts exactly what
    ``parse_key_arn`` accepts and gives the same Region, account and key id."""
    from kms_conformance.arns import key_arn_parts, parse_key_arn

    arn = parse_key_arn(resource)
    assert key_arn_parts(resource) == (None if arn is None else (arn.region, arn.account, arn.resource_id))


def test_key_arn_parts_agree_on_generated_resources() -> None:
    """The same on every resource of generated cases, and on each with one character changed."""
    import random

    from kms_conformance.arns import key_arn_parts, parse_key_arn

    from benchmarks import gen_batch

    rng = random.Random(3)
    accepted = 0
    for raw in gen_batch.cases(200, seed=11):
        resource = raw["request"]["resource"]
        i = rng.randrange(len(resource))
        for text in (resource, resource[:i] + rng.choice(":/-aZ0\u0661") + resource[i + 1:], resource[:i]):
            arn = parse_key_arn(text)
            accepted += arn is not None
            assert key_arn_parts(text) == (None if arn is None else (arn.region, arn.account, arn.resource_id)), text
    assert accepted > 50


def test_request_notes_read_each_key_as_the_set_of_several_did() -> None:
    """``request_notes`` reads each condition's key from the request (a plain operator gives a
    note when the request gives the key several values, or any value of a multivalued key); on
    generated cases, with list values added to the context, it gives the notes of the earlier
    definition, which collected the keys with several values first."""
    from kms_conformance.commands import simulate
    from kms_conformance.policy import make_request, request_notes
    from kms_conformance.policy.evaluate import principal_applies
    from kms_conformance.policy.undocumented import ANY_VALUE_IF_EXISTS, MULTIVALUED_KEYS, PLAIN_OPERATOR_MULTIVALUED

    from benchmarks import gen_batch

    def reference(policies: list[tuple[Any, bool]], request: Any) -> tuple[str, ...]:
        several = {k for k, v in request.context.items() if len(v) > 1}
        notes = []
        for policy, check_principal in policies:
            for stmt in policy.statements:
                found = []
                for cond in stmt.conditions:
                    if cond.qualifier:
                        if cond.qualifier == "ForAnyValue" and cond.if_exists and not request.get(cond.key):
                            found.append((cond, ANY_VALUE_IF_EXISTS))
                        continue
                    key = cond.key.lower()
                    if cond.base != "Null" and (bool(request.context.get(key)) if key in MULTIVALUED_KEYS
                                                else key in several):
                        found.append((cond, PLAIN_OPERATOR_MULTIVALUED))
                if found and stmt.action_test(request.action) and (
                        not check_principal or principal_applies(stmt, request.principal)) and \
                        stmt.resource_test(request.resource, request.context):
                    notes += [f"{policy.name} Statement[{stmt.index}].Condition.{c.operator}.{c.key}: {n}"
                              for c, n in found]
        return tuple(notes)

    parsed = simulate.Parsed(size=4096)
    noted = 0
    for n, raw in enumerate(gen_batch.cases(300, seed=13)):
        r = raw["request"]
        policies = [(parsed.policy(raw["resourcePolicy"], source="t"), True)]
        policies += [(parsed.policy(p, source="t"), False) for p in raw.get("identityPolicies", [])]
        context = dict(r.get("context", {}))
        keys = [c.key for p, _ in policies for s in p.statements for c in s.conditions]
        if keys and n % 2:  # several values (or none) for a key a condition reads
            context[keys[n % len(keys)]] = ["a", "b"] if n % 3 else []
        request = make_request(r["action"], r["resource"], r["principal"], context)
        got = request_notes(policies, request)
        assert got == reference(policies, request)
        noted += bool(got)
    assert noted > 10


def test_evaluation_context_holds_the_derived_keys_and_decides_as_the_request_does() -> None:
    """``evaluation_context`` is the context ``decide`` evaluates conditions against: the keys given
    and those derived (``kms:CallerAccount``, ``kms:EncryptionContextKeys``, ``aws:PrincipalAccount``...);
    a request that gives all of them is decided as the request that gave only its own."""
    from kms_conformance.commands import simulate

    from benchmarks import gen_batch

    req = simulate.parse_request(request("kms:Decrypt", SESSION, **{"kms:EncryptionContext:Dept": "IT"}), source="t")
    ctx = simulate.evaluation_context(req)
    assert ctx["kms:calleraccount"] == (ACCOUNT,) and ctx["kms:encryptioncontextkeys"] == ("Dept",)
    assert ctx["aws:principalarn"] == (ROLE,) and ctx["kms:encryptioncontext:dept"] == ("IT",)
    s3 = simulate.parse_request({"action": "s3:GetObject", "resource": "arn:aws:s3:::b/k", "principal": ACCOUNT},
                                source="t")
    assert simulate.evaluation_context(s3)["aws:principalaccount"] == (ACCOUNT,)
    parsed = simulate.Parsed(size=4096)
    for raw in gen_batch.cases(300, seed=21):
        req = simulate.parse_request(raw["request"], source="t")
        rp = raw.get("resourcePolicy")
        args = (parsed.policy(rp, source="t") if rp is not None else None,
                [parsed.policy(p, source="t") for p in raw.get("identityPolicies", [])],
                [parsed.grant(g, source="t") for g in raw.get("grants", [])])
        given = replace(req, context={k: v if len(v) != 1 else v[0]
                                      for k, v in simulate.evaluation_context(req).items()})
        assert simulate.decide(given, *args).decision == simulate.decide(req, *args).decision, raw


def test_principal_elements_fit_the_kind_of_policy(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A resource policy statement names a Principal; an identity policy statement names none (AWS
    refuses either otherwise, and read anyway the first applies to nobody and the second's Principal
    is ignored): such a line is an error line naming the statement, the other lines are decided."""
    from kms_conformance.policy import parse_policy, principal_element_problem

    allow = {"Effect": "Allow", "Action": "kms:Decrypt", "Resource": "*"}
    named = {**allow, "Principal": {"AWS": ROLE}}
    assert principal_element_problem(parse_policy({"Statement": [named]}), resource_based=True) is None
    assert principal_element_problem(parse_policy({"Statement": [allow]}), resource_based=False) is None
    assert principal_element_problem(parse_policy({"Statement": [named, allow]}), resource_based=True)[0] == \
        "Statement[1]"  # type: ignore[index]
    assert principal_element_problem(parse_policy({"Statement": allow}), resource_based=True)[0] == "Statement"  # type: ignore[index]
    assert principal_element_problem(parse_policy({"Statement": [allow, named]}), resource_based=False)[0] == \
        "Statement[1].Principal"  # type: ignore[index]
    lines = [
        json.dumps({"request": request("kms:Decrypt"), "resourcePolicy": FORECAST_POLICY}),
        json.dumps({"request": request("kms:Decrypt"), "resourcePolicy": FORECAST_POLICY,
                    "identityPolicies": [{"Statement": [allow]}, {"Statement": [named]}]}),
        json.dumps({"request": request("kms:Decrypt"), "resourcePolicy": {"Statement": [named, allow]}}),
    ]
    batch = write(tmp_path, "cases.jsonl", "\n".join(lines) + "\n")
    status, out, err = run(["--batch", batch], capsys)
    results = [json.loads(x) for x in out.splitlines()]
    assert status == 2 and "2 malformed line(s)" in err
    assert "decision" in results[0]
    assert results[1]["error"].startswith("identityPolicies[1].Statement[0].Principal: an identity-based policy "
                                          "cannot have Principal")
    assert results[2]["error"].startswith("resourcePolicy.Statement[1]: a statement of a resource-based policy "
                                          "needs a Principal")
    identity = write(tmp_path, "identity.json", {"Version": "2012-10-17", "Statement": [named]})
    status, out, err = run(["--request", write(tmp_path, "req.json", request("kms:Decrypt")),
                            "--resource-policy", write(tmp_path, "kp.json", FORECAST_POLICY),
                            "--identity-policy", identity], capsys)
    assert status == 2 and out == "" and f"{identity}: Statement[0].Principal: an identity-based policy" in err
