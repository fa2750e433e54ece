import json, os
os.environ.update(AWS_ACCESS_KEY_ID="testing", AWS_SECRET_ACCESS_KEY="testing", AWS_DEFAULT_REGION="us-east-1")
import boto3
from botocore.exceptions import ClientError
from moto import mock_aws

def code(fn, **kw):
    try:
        fn(**kw); return "OK"
    except ClientError as e:
        return e.response["Error"]["Code"]
    except Exception as e:
        return f"{type(e).__name__}: {e}"[:120]

with mock_aws():
    iam, kms, sts = boto3.client("iam"), boto3.client("kms"), boto3.client("sts")
    acct = sts.get_caller_identity()["Account"]
    trust = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{acct}:root"}, "Action": "sts:AssumeRole"}]}
    role = iam.create_role(RoleName="r", AssumeRolePolicyDocument=json.dumps(trust))["Role"]["Arn"]
    policy = {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{acct}:root"}, "Action": "kms:*", "Resource": "*"}]}
    key = kms.create_key(Policy=json.dumps(policy))["KeyMetadata"]["KeyId"]
    blob = kms.encrypt(KeyId=key, Plaintext=b"x")["CiphertextBlob"]
    c = sts.assume_role(RoleArn=role, RoleSessionName="byhand")["Credentials"]
    as_role = boto3.client("kms", aws_access_key_id=c["AccessKeyId"], aws_secret_access_key=c["SecretAccessKey"], aws_session_token=c["SessionToken"])
    print("1 Decrypt as a role with no key-policy statement and no IAM policy:", code(as_role.decrypt, CiphertextBlob=blob))
    kms.disable_key(KeyId=key)
    print("2 Encrypt with a disabled key:", code(kms.encrypt, KeyId=key, Plaintext=b"x"))
    aoss = boto3.client("opensearchserverless")
    pol = {"Rules": [{"ResourceType": "collection", "Resource": ["collection/sales*"]}], "AWSOwnedKey": True}
    print("3a CreateSecurityPolicy collection/sales*:", code(aoss.create_security_policy, name="pol-one", type="encryption", policy=json.dumps(pol)))
    print("3b CreateCollection sales-2024:", code(aoss.create_collection, name="sales-2024"))
    print("3c second policy with the same pattern:", code(aoss.create_security_policy, name="pol-two", type="encryption", policy=json.dumps(pol)))
    sm = boto3.client("sagemaker")
    k2 = kms.create_key()["KeyMetadata"]["KeyId"]
    print("4 CreateFeatureGroup online store only, with a KMS key:", code(sm.create_feature_group, FeatureGroupName="fg", RecordIdentifierFeatureName="id", EventTimeFeatureName="t",
        FeatureDefinitions=[{"FeatureName": "id", "FeatureType": "String"}, {"FeatureName": "t", "FeatureType": "String"}],
        OnlineStoreConfig={"EnableOnlineStore": True, "SecurityConfig": {"KmsKeyId": k2}}))
    g = kms.create_grant(KeyId=k2, GranteePrincipal=role, Operations=["Encrypt"])
    print("5 Decrypt as a grantee holding only Encrypt:", code(as_role.decrypt, CiphertextBlob=kms.encrypt(KeyId=k2, Plaintext=b"x")["CiphertextBlob"]))
