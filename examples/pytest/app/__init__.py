"""The code under test of the example project: it provisions a SageMaker feature group whose online
store is encrypted with a customer managed KMS key."""
