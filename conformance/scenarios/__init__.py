"""Scenario steps: the sequences of AWS calls the behaviour rules make on a target.

``steps`` holds what every page needs (roles, keys, grants, ``must``); one module per service holds
that service's staging (the resources a rule's subject needs before it can be observed). A step
calls a :class:`~kms_conformance.targets.base.Target` and knows no rule.
"""
