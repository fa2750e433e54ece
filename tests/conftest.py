"""Suite-wide settings: fake AWS credentials and region, so that no test reaches a real account by
accident and boto3 never reads a developer's ~/.aws profile. Kept minimal: every test file relies on it."""

from __future__ import annotations

import os

os.environ["AWS_ACCESS_KEY_ID"] = "testing"
os.environ["AWS_SECRET_ACCESS_KEY"] = "testing"
os.environ["AWS_DEFAULT_REGION"] = "us-east-1"
os.environ.pop("AWS_PROFILE", None)
