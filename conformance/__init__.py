"""kms-conformance: executable specifications of the AWS documentation pages on customer managed
KMS keys with Amazon Forecast, SageMaker Feature Store, OpenSearch Serverless and Amazon MWAA.

See DESIGN.md for the architecture: strategies -> specs (rules) -> runner -> target -> verdicts -> report.
"""

__version__ = "0.1.0"

__all__ = ["__version__", "enforce", "record"]


def __getattr__(name: str) -> object:
    """``kms_conformance.enforce()``: KMS authorization inside moto (:mod:`kms_conformance.enforcement`),
    loaded on first use so that importing the package stays as light as its values."""
    if name == "enforce":
        import importlib

        return importlib.import_module("kms_conformance.enforcement").enforce
    if name == "record":  # the AWS calls the process sends, recorded (kms_conformance.recording)
        import importlib

        return importlib.import_module("kms_conformance.recording").record
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
