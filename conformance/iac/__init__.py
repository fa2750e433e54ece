"""Infrastructure as code read as setups: CloudFormation templates and Terraform plans.

``kms-conformance check --from cloudformation TEMPLATE`` and ``--from terraform-plan PLAN`` read the
file with :func:`from_cloudformation` or :func:`from_terraform_plan`, which give a
:class:`~kms_conformance.iac.translate.Translation`: the setup the file describes (one service's,
requests in creation order), every resource and property that was not checked and why, and the
values the kit assumed (account, region, caller). :func:`sniff` tells a plain ``check`` that its
file is a template or a plan.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path
from typing import Any

from kms_conformance.errors import InputError
from kms_conformance.iac.cloudformation import is_template, load_template, translate_template
from kms_conformance.iac.terraform import is_plan, load_plan, provider_region, translate_plan
from kms_conformance.iac.translate import DEFAULT_ACCOUNT, DEFAULT_REGION, Context, NotChecked, Translation

#: The formats ``check --from`` takes (``setup`` is the kit's own).
FORMATS = ("setup", "cloudformation", "terraform-plan")


def sniff(document: Any) -> str | None:
    """``cloudformation`` or ``terraform-plan`` when a document is one, else None."""
    if is_plan(document):
        return "terraform-plan"
    if is_template(document):
        return "cloudformation"
    return None


def refuse_iac(path: str | Path) -> None:
    """A plain ``check`` handed a template or a plan: one line saying so and naming the flag."""
    try:
        document = load_template(path)
    except InputError:
        return  # the setup reader reports what is wrong with the file
    kind = sniff(document)
    if kind is not None:
        what = "a CloudFormation template" if kind == "cloudformation" else "a Terraform plan"
        raise InputError(f"this is {what}, not a setup file: use check --from {kind}", source=str(path), path="$")


def parse_assignments(items: list[str] | None, option: str, *, booleans: bool = False) -> dict[str, Any]:
    """``["K=V", ...]`` of a repeated option -> a dict; ``booleans`` takes true|false values."""
    out: dict[str, Any] = {}
    for item in items or []:
        name, sep, value = item.partition("=")
        if not sep or not name:
            raise InputError(f"{option} takes NAME=VALUE, got {item!r}", source="<command line>", path=option)
        if booleans:
            if value.lower() not in ("true", "false"):
                raise InputError(f"{option} {name} takes true or false, got {value!r}", source="<command line>",
                                 path=option)
            out[name] = value.lower() == "true"
        else:
            out[name] = value
    return out


def _translation(setup: Any, skipped: tuple[NotChecked, ...], order: list[str], ctx: Context, *,
                 account_given: bool, region_given: bool) -> Translation:
    return Translation(setup, skipped, ctx.assumptions(account_given=account_given, region_given=region_given),
                       tuple(order))


def from_cloudformation(path: str | Path, *, parameters: Mapping[str, str] | None = None,
                        conditions: Mapping[str, bool] | None = None, account: str | None = None,
                        region: str | None = None, caller: str | None = None,
                        service: str | None = None) -> Translation:
    """Read a CloudFormation template (YAML or JSON) as a setup."""
    ctx = Context(account or DEFAULT_ACCOUNT, region or DEFAULT_REGION, caller=caller, service=service)
    template = load_template(path)
    if is_plan(template):
        raise InputError("this is a Terraform plan, not a CloudFormation template: use --from terraform-plan",
                         source=str(path), path="$")
    setup, skipped, order = translate_template(template, ctx, source=str(path), parameters=parameters,
                                               conditions=conditions)
    return _translation(setup, skipped, order, ctx, account_given=account is not None,
                        region_given=region is not None)


def from_terraform_plan(path: str | Path, *, account: str | None = None, region: str | None = None,
                        caller: str | None = None, service: str | None = None) -> Translation:
    """Read the JSON of ``terraform show -json PLANFILE`` as a setup."""
    plan = load_plan(path)
    planned_region = provider_region(plan) if region is None else None
    ctx = Context(account or DEFAULT_ACCOUNT, region or planned_region or DEFAULT_REGION, caller=caller,
                  service=service)
    setup, skipped, order = translate_plan(plan, ctx, source=str(path))
    out = _translation(setup, skipped, order, ctx, account_given=account is not None,
                       region_given=region is not None or planned_region is not None)
    if planned_region is not None:
        out = replace(out, assumptions=(f"region {planned_region} (the plan's aws provider)", *out.assumptions))
    return out


__all__ = ["FORMATS", "NotChecked", "Translation", "from_cloudformation", "from_terraform_plan",
           "parse_assignments", "refuse_iac", "sniff"]
