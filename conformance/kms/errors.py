"""AWS errors the reference model raises, named exactly as AWS names them.

A model handler raises :class:`AwsError` with the error code of the AWS API reference of the
operation (``AccessDeniedException``, ``NotFoundException``, ...); the model target turns it into
an ``Outcome`` with that code, so a scenario compares the same strings on the model and on boto3.
"""

from __future__ import annotations


class AwsError(Exception):
    """One AWS error: ``code`` as the API returns it, and a human message."""

    def __init__(self, code: str, message: str = "") -> None:
        super().__init__(f"{code}: {message}" if message else code)
        self.code = code
        self.message = message


def access_denied(caller: str, action: str, resource: str, why: str = "") -> AwsError:
    """The AccessDeniedException KMS returns, in the shape of AWS's message."""
    text = f"User: {caller} is not authorized to perform: {action} on resource: {resource}"
    return AwsError("AccessDeniedException", text + (f" ({why})" if why else ""))


def validation(message: str) -> AwsError:
    return AwsError("ValidationException", message)


def not_found(message: str) -> AwsError:
    return AwsError("NotFoundException", message)
