"""How one rule is run on one target, below the run's orchestration (:mod:`kms_conformance.runner`).

* :mod:`~kms_conformance.engine.profiles`: how hard to try (examples, shrink budget) and the
  Hypothesis settings that follow;
* :mod:`~kms_conformance.engine.outcome`: what a rule's run yields before it becomes a
  :class:`~kms_conformance.verdicts.RuleResult` (JSON-safe values, the early stop);
* :mod:`~kms_conformance.engine.behaviour`: a behaviour rule, explored with Hypothesis on the
  reference model and the target, its distinct divergences shrunk to findings;
* :mod:`~kms_conformance.engine.config`: a config-only rule checked against the spec itself
  (compliant setups pass it, its mutator's setups fail it);
* :mod:`~kms_conformance.engine.isolation`: what Hypothesis may draw from while a rule runs (the
  seed, not what the process happened to import), so that a seed gives the same examples however
  the run was started.
"""
