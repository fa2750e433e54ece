"""kms_conformance.record(): the calls a user's boto3 code sends, read as setups and checked, each
failure naming its call. The code under test is the example project's (examples/pytest/app)."""

from __future__ import annotations

import sys
from pathlib import Path

import boto3
import kms_conformance
import pytest
from kms_conformance.fixtures import assert_conformant
from kms_conformance.recording import check_recording, record
from moto import mock_aws

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "examples" / "pytest"))
from app.feature_store import provision


def test_a_compliant_feature_group_passes() -> None:
    with mock_aws(), kms_conformance.record() as calls:
        key = provision("customers")
    ops = [c.operation for c in calls.calls]
    assert ops.index("CreateKey") < ops.index("CreateFeatureGroup")
    (setup,) = calls.setups()
    assert setup.setup.service == "feature-store"
    assert [k.arn for k in setup.setup.keys] == [key]
    assert setup.setup.keys[0].aliases == ("alias/customers",)
    assert setup.setup.caller.endswith(":role/customers-writer")  # the AssumeRole that signed it
    findings = assert_conformant(calls)
    assert any(f.rule.id == "FS-03" and f.status == "holds" for f in findings)


def test_an_asymmetric_key_fails_naming_the_calls() -> None:
    with mock_aws(), record() as calls:
        provision("orders", key_spec="RSA_2048")
    create_key = next(c for c in calls.calls if c.operation == "CreateKey")
    create_group = next(c for c in calls.calls if c.operation == "CreateFeatureGroup")
    with pytest.raises(pytest.fail.Exception) as failed:
        assert_conformant(calls)
    text = str(failed.value)
    assert f"FS-03 fails: sagemaker:CreateFeatureGroup (call {create_group.index}): " in text
    assert f"KMS-15 fails: kms:CreateKey (call {create_key.index}): " in text


def test_put_key_policy_replaces_the_policy_checked() -> None:
    """A later PutKeyPolicy that drops the writer role's statement is what the rules judge."""
    with mock_aws(), record() as calls:
        key = provision("sessions")
        root_only = ('{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": '
                     '{"AWS": "arn:aws:iam::123456789012:root"}, "Action": "kms:*", "Resource": "*"}]}')
        boto3.client("kms", region_name="us-east-1").put_key_policy(KeyId=key.rsplit("/", 1)[-1],
                                                                      PolicyName="default", Policy=root_only)
    failing = {f.finding.rule.id: f for f in check_recording(calls) if f.finding.fails}
    assert "FS-04" in failing, failing


def test_a_recording_without_a_service_request_is_not_a_pass() -> None:
    with mock_aws(), record() as calls:
        boto3.client("kms", region_name="us-east-1").create_key()
    assert len(calls) == 1
    with pytest.raises(pytest.fail.Exception, match="nothing to check"):
        assert_conformant(calls)


def test_only_the_block_is_recorded_and_nothing_is_changed() -> None:
    with mock_aws():
        kms = boto3.client("kms", region_name="us-east-1")
        kms.create_key()
        with record() as calls:
            kms.list_keys()
        kms.list_keys()
    assert [c.label for c in calls.calls] == ["kms:ListKeys (call 1)"]
    assert calls.calls[0].ok


def test_the_kms_record_fixture(kms_record: kms_conformance.recording.Recording) -> None:
    with mock_aws():
        provision("fixture")
    assert_conformant(kms_record)
