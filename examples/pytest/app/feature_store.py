"""Provision a customer managed key and a feature group that uses it (plain boto3)."""

from __future__ import annotations

import json
from typing import Any

import boto3


def key_policy(account: str, writer_role: str) -> dict[str, Any]:
    """The key policy: the account administers the key, the writer role uses it through SageMaker."""
    return {"Version": "2012-10-17", "Statement": [
        {"Sid": "Enable IAM User Permissions", "Effect": "Allow",
         "Principal": {"AWS": f"arn:aws:iam::{account}:root"}, "Action": "kms:*", "Resource": "*"},
        {"Sid": "Feature Store writes through SageMaker", "Effect": "Allow", "Principal": {"AWS": writer_role},
         "Action": ["kms:Encrypt", "kms:Decrypt", "kms:DescribeKey", "kms:CreateGrant", "kms:RetireGrant",
                    "kms:ReEncryptFrom", "kms:ReEncryptTo", "kms:GenerateDataKey", "kms:ListAliases",
                    "kms:ListGrants", "kms:RevokeGrant"],
         "Resource": "*", "Condition": {"StringLike": {"kms:ViaService": "sagemaker.*.amazonaws.com"}}},
    ]}


def provision(name: str, *, region: str = "us-east-1", key_spec: str = "SYMMETRIC_DEFAULT") -> str:
    """Create the writer role, the key and, as the writer role, the feature group; returns the key ARN."""
    account = boto3.client("sts", region_name=region).get_caller_identity()["Account"]
    iam = boto3.client("iam", region_name=region)
    trust = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole", "Principal": {
        "Service": "sagemaker.amazonaws.com", "AWS": f"arn:aws:iam::{account}:root"}}]}
    role = iam.create_role(RoleName=f"{name}-writer", AssumeRolePolicyDocument=json.dumps(trust))["Role"]["Arn"]
    iam.put_role_policy(RoleName=f"{name}-writer", PolicyName="feature-store", PolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sagemaker:*FeatureGroup*",
                                                "Resource": "*"}]}))
    kms = boto3.client("kms", region_name=region)
    usage = "ENCRYPT_DECRYPT" if key_spec == "SYMMETRIC_DEFAULT" or key_spec.startswith("RSA") else "SIGN_VERIFY"
    key = kms.create_key(Policy=json.dumps(key_policy(account, role)), KeySpec=key_spec, KeyUsage=usage,
                         Description=f"{name} online store")["KeyMetadata"]["Arn"]
    kms.create_alias(AliasName=f"alias/{name}", TargetKeyId=key)
    creds = boto3.client("sts", region_name=region).assume_role(RoleArn=role, RoleSessionName=name)["Credentials"]
    writer = boto3.session.Session(aws_access_key_id=creds["AccessKeyId"],
                                   aws_secret_access_key=creds["SecretAccessKey"],
                                   aws_session_token=creds["SessionToken"], region_name=region)
    writer.client("sagemaker").create_feature_group(
        FeatureGroupName=name, RecordIdentifierFeatureName="record_id", EventTimeFeatureName="event_time",
        FeatureDefinitions=[{"FeatureName": "record_id", "FeatureType": "String"},
                            {"FeatureName": "event_time", "FeatureType": "String"}],
        OnlineStoreConfig={"EnableOnlineStore": True, "SecurityConfig": {"KmsKeyId": key}},
        OfflineStoreConfig={"S3StorageConfig": {"S3Uri": f"s3://{name}-offline/"}}, RoleArn=role)
    return str(key)
