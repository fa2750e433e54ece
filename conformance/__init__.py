"""kms-conformance: executable specifications of the AWS documentation pages on customer managed
KMS keys with Amazon Forecast, SageMaker Feature Store, OpenSearch Serverless and Amazon MWAA.

See DESIGN.md for the architecture: strategies -> specs (rules) -> runner -> target -> verdicts -> report.
"""

__version__ = "0.1.0"
