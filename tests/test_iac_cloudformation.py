"""``check --from cloudformation``: templates read as setups (kms_conformance.iac.cloudformation)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from iac_support import EXAMPLES, failures, run_check, setup_failures
from kms_conformance.errors import InputError
from kms_conformance.iac import from_cloudformation, sniff
from kms_conformance.iac.cloudformation import load_template
from kms_conformance.iac.translate import Context, placeholder_key_arn

CFN = EXAMPLES / "cloudformation"

#: (template, the setup file it is derived from). Forecast: CloudFormation has no predictor type, so
#: the setup's CreatePredictor is left out of the comparison.
PAIRS = [
    ("feature-store.yaml", "feature-store/setup.json"),
    ("feature-store-broken-shared-key.yaml", "feature-store/broken-shared-key.json"),
    ("forecast.yaml", "forecast/setup.json"),
    ("forecast-broken-no-creategrant.yaml", "forecast/broken-no-creategrant.json"),
    ("mwaa.yaml", "mwaa/setup.json"),
    ("mwaa-broken-alias.yaml", "mwaa/broken-alias.json"),
    ("opensearch-serverless.yaml", "opensearch-serverless/setup.json"),
    ("opensearch-serverless-broken-no-create-grant.yaml", "opensearch-serverless/broken-no-create-grant.json"),
]


@pytest.mark.parametrize(("template", "setup_file"), PAIRS, ids=[p[0] for p in PAIRS])
def test_template_finds_what_the_setup_finds(capsys: pytest.CaptureFixture[str], tmp_path: Path, template: str,
                                             setup_file: str) -> None:
    want_status, want, raw = setup_failures(capsys, EXAMPLES / setup_file, tmp_path, drop=("CreatePredictor",))
    status, report, err = run_check(capsys, "--from", "cloudformation", str(CFN / template),
                                    "--region", raw["region"], "--caller", raw["caller"])
    assert report is not None, err
    assert failures(report) == want
    assert status == want_status
    if "broken" in template:
        assert status == 1 and any(s == "violated" for _, s in want)
    else:
        assert status == 0 and report["ok"] is True


def test_every_shipped_template_is_compared() -> None:
    assert sorted(p.name for p in CFN.glob("*.yaml")) == sorted(p[0] for p in PAIRS)


def write(tmp_path: Path, text: str, name: str = "t.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


KEY = """
  Key:
    Type: AWS::KMS::Key
    Properties:
      KeyPolicy:
        Version: 2012-10-17
        Statement:
          - Effect: Allow
            Principal: {AWS: !Sub "arn:${AWS::Partition}:iam::${AWS::AccountId}:root"}
            Action: kms:*
            Resource: "*"
"""

ENV = """
  Env:
    Type: AWS::MWAA::Environment
    Properties:
      Name: !Sub "${Prefix}-env"
      KmsKey: %s
      ExecutionRoleArn: !GetAtt Exec.Arn
      SourceBucketArn: arn:aws:s3:::dags
      DagS3Path: dags
      NetworkConfiguration: {SubnetIds: !Split [",", "subnet-1,subnet-2"], SecurityGroupIds: [sg-1]}
  Exec:
    Type: AWS::IAM::Role
    Properties:
      Path: /service-role/
      AssumeRolePolicyDocument: {}
"""


def mwaa_template(kms_key: str, extra: str = "", params: str = "  Prefix: {Type: String, Default: dev}\n") -> str:
    return "Parameters:\n" + params + "Resources:" + KEY + ENV % kms_key + extra


def request(t: object) -> dict:
    return dict(t.setup.request["CreateEnvironment"])  # type: ignore[attr-defined]


def test_short_forms_and_dates_load() -> None:
    doc = load_template(Path(__file__).parent.parent / "examples/cloudformation/mwaa.yaml")
    key = doc["Resources"]["EnvironmentKey"]["Properties"]
    assert key["KeyPolicy"]["Version"] == "2012-10-17"  # no timestamp
    assert key["KeyPolicy"]["Statement"][1]["Principal"]["AWS"] == {
        "Fn::Sub": "arn:${AWS::Partition}:iam::${AWS::AccountId}:role/${AdminRoleName}"}
    assert doc["Resources"]["Environment"]["Properties"]["KmsKey"] == {"Fn::GetAtt": ["EnvironmentKey", "Arn"]}
    assert sniff(doc) == "cloudformation"


def test_getatt_arn_and_ref_keep_the_key_link(tmp_path: Path) -> None:
    t = from_cloudformation(write(tmp_path, mwaa_template("!GetAtt Key.Arn")), region="eu-west-1",
                            account="444455556666")
    arn = placeholder_key_arn(Context("444455556666", "eu-west-1"), "Key")
    assert request(t)["KmsKey"] == arn and [k.arn for k in t.setup.keys] == [arn]
    assert request(t)["Name"] == "dev-env"
    assert request(t)["ExecutionRoleArn"] == "arn:aws:iam::444455556666:role/service-role/Exec"
    assert request(t)["NetworkConfiguration"]["SubnetIds"] == ["subnet-1", "subnet-2"]
    assert t.setup.keys[0].policy.statements[0].principal is not None
    assert t.assumptions and all("assumed" in a for a in t.assumptions if "caller" in a)
    ref = from_cloudformation(write(tmp_path, mwaa_template("!Ref Key")), region="eu-west-1", account="444455556666")
    assert request(ref)["KmsKey"] == arn.rsplit("/", 1)[1]


def test_multi_region_key_gets_an_mrk_id(tmp_path: Path) -> None:
    text = mwaa_template("!GetAtt Key.Arn").replace("      KeyPolicy:", "      MultiRegion: true\n      KeyPolicy:", 1)
    t = from_cloudformation(write(tmp_path, text))
    assert t.setup.keys[0].key_id.startswith("mrk-") and t.setup.keys[0].multi_region


def test_parameters_given_default_and_missing(tmp_path: Path) -> None:
    path = write(tmp_path, mwaa_template("!GetAtt Key.Arn"))
    assert request(from_cloudformation(path, parameters={"Prefix": "prod"}))["Name"] == "prod-env"
    no_default = write(tmp_path, mwaa_template("!GetAtt Key.Arn", params="  Prefix: {Type: String}\n"), "n.yaml")
    with pytest.raises(InputError, match="Prefix has no Default: pass --parameter Prefix=VALUE"):
        from_cloudformation(no_default)
    with pytest.raises(InputError, match="no such parameter"):
        from_cloudformation(path, parameters={"Nope": "x"})


def test_sub_list_form_join_select_findinmap_and_escapes(tmp_path: Path) -> None:
    text = mwaa_template('!Join ["", ["arn:", !Ref AWS::Partition, ":kms:", !Select [1, [a, !Ref AWS::Region]], '
                         '":", !FindInMap [Accounts, Prod, Id], ":key/", !Ref Key]]')
    text = text.replace("      DagS3Path: dags", '      DagS3Path: !Sub ["${Dir}/${!Literal}", {Dir: !Ref Prefix}]')
    text = "Mappings:\n  Accounts:\n    Prod: {Id: '111122223333'}\n" + text
    t = from_cloudformation(write(tmp_path, text))
    assert request(t)["KmsKey"] == t.setup.keys[0].arn
    assert request(t)["DagS3Path"] == "dev/${Literal}"


def test_if_with_given_and_evaluated_conditions(tmp_path: Path) -> None:
    cond = "Conditions:\n  Prod: !Equals [!Ref Prefix, prod]\n  NotProd: !Not [!Condition Prod]\n"
    text = cond + mwaa_template("!If [Prod, !GetAtt Key.Arn, alias/dev]")
    path = write(tmp_path, text)
    assert request(from_cloudformation(path))["KmsKey"] == "alias/dev"
    assert request(from_cloudformation(path, parameters={"Prefix": "prod"}))["KmsKey"].startswith("arn:aws:kms:")
    assert request(from_cloudformation(path, conditions={"Prod": True}))["KmsKey"].startswith("arn:aws:kms:")
    with pytest.raises(InputError, match="no such condition"):
        from_cloudformation(path, conditions={"Staging": True})


def test_not_checked_lists_types_properties_and_unresolved_values(tmp_path: Path) -> None:
    extra = """
  Topic:
    Type: AWS::SNS::Topic
  Maybe:
    Type: AWS::KMS::Key
    Condition: Never
"""
    text = "Conditions:\n  Never: !Equals [a, b]\n" + mwaa_template("!GetAtt Key.Arn", extra)
    text = text.replace("      DagS3Path: dags", "      DagS3Path: dags\n      AirflowVersion: '2.10.3'\n"
                        "      WebserverUrl: !ImportValue shared-url\n      Tags: {a: b}")
    lines = [str(n) for n in from_cloudformation(write(tmp_path, text)).not_checked]
    assert "not checked: AWS::SNS::Topic Topic (no mapping for this resource type)" in lines
    assert "not checked: AWS::MWAA::Environment Env.AirflowVersion (no rule of the kit reads it)" in lines
    assert "not checked: AWS::MWAA::Environment Env.Tags (tags; no rule reads them)" in lines
    assert any(line.startswith("not checked: AWS::MWAA::Environment Env.WebserverUrl (Fn::ImportValue")
               for line in lines)
    assert "not checked: AWS::KMS::Key Maybe (condition Never is false: not created)" in lines
    assert any("Exec.AssumeRolePolicyDocument (a trust policy" in line for line in lines)


def test_not_checked_is_printed_and_in_json(capsys: pytest.CaptureFixture[str]) -> None:
    status, report, _ = run_check(capsys, "--from", "cloudformation", str(CFN / "mwaa.yaml"), "--region", "us-west-2",
                                  "--caller", "arn:aws:iam::111122223333:role/MwaaAdmin")
    assert status == 0 and report["from"] == "cloudformation"
    assert "not checked: AWS::S3::Bucket DagsBucket (no mapping for this resource type)" in report["notChecked"]
    assert any(a.startswith("account 111122223333 assumed") for a in report["assumptions"])
    from kms_conformance.cli import main

    main(["check", "--from", "cloudformation", str(CFN / "mwaa.yaml"), "--region", "us-west-2"])
    out = capsys.readouterr().out
    assert "  not checked: AWS::MWAA::Environment Environment.AirflowVersion (no rule of the kit reads it)" in out
    assert "caller arn:aws:iam::111122223333:role/Admin assumed" in out


def test_creation_order_follows_depends_on_and_references(tmp_path: Path) -> None:
    text = """Resources:
  Coll:
    Type: AWS::OpenSearchServerless::Collection
    DependsOn: Pol
    Properties: {Name: logs, Type: SEARCH}
  Pol:
    Type: AWS::OpenSearchServerless::SecurityPolicy
    Properties:
      Name: logs
      Type: encryption
      Policy: !Sub >-
        {"Rules":[{"ResourceType":"collection","Resource":["collection/logs"]}],
        "AWSOwnedKey":false,"KmsARN":"${Key.Arn}"}
""" + KEY
    t = from_cloudformation(write(tmp_path, text))
    assert t.resources == ("Key", "Pol", "Coll")
    assert list(t.setup.request) == ["CreateSecurityPolicy", "CreateCollection"]
    assert json.loads(t.setup.request["CreateSecurityPolicy"][0]["policy"])["KmsARN"] == t.setup.keys[0].arn
    loop = text.replace("    Properties: {Name: logs, Type: SEARCH}", "    Properties: {Name: logs, Type: SEARCH}", 1)
    loop = loop.replace("  Pol:\n    Type: AWS::OpenSearchServerless::SecurityPolicy\n",
                        "  Pol:\n    Type: AWS::OpenSearchServerless::SecurityPolicy\n    DependsOn: Coll\n")
    with pytest.raises(InputError, match="circular dependency"):
        from_cloudformation(write(tmp_path, loop, "loop.yaml"))


def test_several_services_need_service(tmp_path: Path) -> None:
    text = mwaa_template("!GetAtt Key.Arn") + """
  Coll:
    Type: AWS::OpenSearchServerless::Collection
    Properties: {Name: logs, Type: SEARCH}
"""
    path = write(tmp_path, text)
    with pytest.raises(InputError, match=r"several services \(mwaa, opensearch-serverless\).*--service"):
        from_cloudformation(path)
    t = from_cloudformation(path, service="mwaa")
    assert t.setup.service == "mwaa"
    assert ("not checked: AWS::OpenSearchServerless::Collection Coll (a opensearch-serverless resource; "
            "this check is of mwaa)") in [str(n) for n in t.not_checked]


def test_iam_policies_attach_to_roles(tmp_path: Path) -> None:
    text = mwaa_template("!GetAtt Key.Arn") + """
  Inline:
    Type: AWS::IAM::RolePolicy
    Properties:
      RoleName: !Ref Exec
      PolicyName: p
      PolicyDocument: {Version: 2012-10-17, Statement: [{Effect: Allow, Action: kms:Decrypt, Resource: "*"}]}
  Managed:
    Type: AWS::IAM::ManagedPolicy
    Properties:
      PolicyDocument: {Version: 2012-10-17, Statement: [{Effect: Allow, Action: kms:Encrypt, Resource: "*"}]}
  Other:
    Type: AWS::IAM::Role
    Properties:
      RoleName: other
      ManagedPolicyArns: [!Ref Managed, arn:aws:iam::aws:policy/ReadOnlyAccess]
      Policies:
        - PolicyName: q
          PolicyDocument: {Version: 2012-10-17, Statement: [{Effect: Allow, Action: s3:*, Resource: "*"}]}
"""
    t = from_cloudformation(write(tmp_path, text))
    ids = t.setup.identity_policies
    assert len(ids["arn:aws:iam::111122223333:role/service-role/Exec"]) == 1
    assert len(ids["arn:aws:iam::111122223333:role/other"]) == 2
    assert any("ManagedPolicyArns (arn:aws:iam::aws:policy/ReadOnlyAccess: a policy the template does not" in str(n)
               for n in t.not_checked)


def test_plain_check_on_a_template_names_the_flag(capsys: pytest.CaptureFixture[str]) -> None:
    status, report, err = run_check(capsys, str(CFN / "mwaa.yaml"))
    assert status == 2 and report is None
    assert "this is a CloudFormation template, not a setup file: use check --from cloudformation" in err
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1


def test_bad_input_is_one_line(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    for text, message in (("Resources: [\n", "not valid YAML"),
                          ("Resources:\n  K: {Type: 3}\n", "a resource needs a Type"),
                          ("Resources:\n  K: {Type: AWS::SNS::Topic}\n", "no resource of forecast")):
        status, _, err = run_check(capsys, "--from", "cloudformation", str(write(tmp_path, text)))
        assert status == 2 and message in err and len(err.strip().splitlines()) == 1, err
    status, _, err = run_check(capsys, "--from", "cloudformation", str(CFN / "mwaa.yaml"), "--condition", "X=maybe")
    assert status == 2 and "--condition X takes true or false" in err
    status, _, err = run_check(capsys, str(EXAMPLES / "mwaa/setup.json"), "--region", "us-east-1")
    assert status == 2 and "--region: for --from cloudformation or terraform-plan" in err


def test_json_template(tmp_path: Path) -> None:
    doc = {"AWSTemplateFormatVersion": "2010-09-09", "Resources": {
        "Key": {"Type": "AWS::KMS::Key", "Properties": {"Enabled": False}},
        "Env": {"Type": "AWS::MWAA::Environment", "Properties": {
            "Name": "e", "KmsKey": {"Fn::GetAtt": ["Key", "Arn"]},
            "ExecutionRoleArn": "arn:aws:iam::111122223333:role/x",
            "SourceBucketArn": "arn:aws:s3:::b", "DagS3Path": "d",
            "NetworkConfiguration": {"SubnetIds": [], "SecurityGroupIds": []},
            "LoggingConfiguration": {"TaskLogs": {"Enabled": True, "LogLevel": "INFO",
                                                  "CloudWatchLogGroupArn": "x"}}}}}}
    t = from_cloudformation(write(tmp_path, json.dumps(doc), "t.json"))
    key = t.setup.keys[0]
    assert key.key_state == "Disabled"
    assert key.policy.statements[0].sid == "Enable IAM User Permissions"  # the default key policy
    assert request(t)["LoggingConfiguration"] == {"TaskLogs": {"Enabled": True, "LogLevel": "INFO"}}
    assert any(str(n).endswith("Env.LoggingConfiguration.TaskLogs.CloudWatchLogGroupArn (no rule of the kit reads it)")
               for n in t.not_checked)


@pytest.mark.parametrize("text", ["[" * 1500 + "]" * 1500, "".join("  " * i + "a:\n" for i in range(200)) + "b: 1\n"],
                         ids=["flow", "block"])
def test_a_template_nested_too_deep_is_refused_before_it_is_composed(text: str, tmp_path: Path,
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    """PyYAML's pure-Python loader takes time quadratic in the depth of a flow sequence (half a second
    at 1,000 levels) before the depth check could refuse the result: the template is refused first."""
    import yaml

    def composed(*_args: object, **_kwargs: object) -> None:
        raise AssertionError("the template was handed to the YAML loader")

    monkeypatch.setattr(yaml, "load", composed)
    path = tmp_path / "deep.yaml"
    path.write_text(text)
    with pytest.raises(InputError, match="nested deeper than 64 levels"):
        load_template(path)
