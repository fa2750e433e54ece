"""What the kit found in moto, checked by hand with plain boto3 (no kit code): README, "What the kit
found in moto". Run: ``python examples/moto_findings.py``. Each line prints what moto answered; the
comment says what AWS documents.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from typing import Any

os.environ.update(AWS_ACCESS_KEY_ID="testing", AWS_SECRET_ACCESS_KEY="testing", AWS_DEFAULT_REGION="us-east-1")

import boto3
from botocore.exceptions import ClientError
from moto import mock_aws


def outcome(call: Callable[..., Any], **params: Any) -> str:
    """"OK", the AWS error code, or the exception moto raised inside."""
    try:
        call(**params)
    except ClientError as exc:
        return str(exc.response["Error"]["Code"])
    except Exception as exc:
        return f"{type(exc).__name__}: {exc}"[:120]
    return "OK"


def main() -> None:
    with mock_aws():
        iam, kms, sts = boto3.client("iam"), boto3.client("kms"), boto3.client("sts")
        account = sts.get_caller_identity()["Account"]
        root = f"arn:aws:iam::{account}:root"
        trust = {"Version": "2012-10-17",
                 "Statement": [{"Effect": "Allow", "Principal": {"AWS": root}, "Action": "sts:AssumeRole"}]}
        role = iam.create_role(RoleName="reader", AssumeRolePolicyDocument=json.dumps(trust))["Role"]["Arn"]
        # The default key policy: only the account root, which delegates to IAM policies. The role has none.
        policy = {"Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Principal": {"AWS": root}, "Action": "kms:*", "Resource": "*"}]}
        key = kms.create_key(Policy=json.dumps(policy))["KeyMetadata"]["KeyId"]
        blob = kms.encrypt(KeyId=key, Plaintext=b"x")["CiphertextBlob"]
        creds = sts.assume_role(RoleArn=role, RoleSessionName="byhand")["Credentials"]
        as_role = boto3.client("kms", aws_access_key_id=creds["AccessKeyId"],
                               aws_secret_access_key=creds["SecretAccessKey"], aws_session_token=creds["SessionToken"])
        # AWS: AccessDeniedException (nothing allows the role).
        print("1 Decrypt as a role no policy allows:", outcome(as_role.decrypt, CiphertextBlob=blob))
        kms.disable_key(KeyId=key)
        # AWS: DisabledException.
        print("2 Encrypt with a disabled key:", outcome(kms.encrypt, KeyId=key, Plaintext=b"x"))

        aoss = boto3.client("opensearchserverless")
        doc = json.dumps({"Rules": [{"ResourceType": "collection", "Resource": ["collection/sales*"]}],
                          "AWSOwnedKey": True})
        print("3a CreateSecurityPolicy collection/sales*:",
              outcome(aoss.create_security_policy, name="pol-one", type="encryption", policy=doc))
        # AWS: OK (the prefix pattern matches; the collection gets that policy's key).
        print("3b CreateCollection sales-2024:", outcome(aoss.create_collection, name="sales-2024"))
        # AWS: refused (a pattern already in another encryption policy).
        print("3c a second policy with the same pattern:",
              outcome(aoss.create_security_policy, name="pol-two", type="encryption", policy=doc))

        online_key = kms.create_key()["KeyMetadata"]["KeyId"]
        features = [{"FeatureName": "id", "FeatureType": "String"}, {"FeatureName": "t", "FeatureType": "String"}]
        # AWS: OK (an online-only feature group encrypted with a customer managed key).
        print("4 CreateFeatureGroup, online store only, with a KMS key:",
              outcome(boto3.client("sagemaker").create_feature_group, FeatureGroupName="fg",
                      RecordIdentifierFeatureName="id", EventTimeFeatureName="t", FeatureDefinitions=features,
                      OnlineStoreConfig={"EnableOnlineStore": True, "SecurityConfig": {"KmsKeyId": online_key}}))

        kms.create_grant(KeyId=online_key, GranteePrincipal=role, Operations=["Encrypt"])
        sealed = kms.encrypt(KeyId=online_key, Plaintext=b"x")["CiphertextBlob"]
        # AWS: AccessDeniedException (the grant gives Encrypt only).
        print("5 Decrypt as a grantee holding only Encrypt:", outcome(as_role.decrypt, CiphertextBlob=sealed))


if __name__ == "__main__":
    main()
