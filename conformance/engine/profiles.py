"""Profiles: how hard a run tries (examples per rule, shrink budget, deadline, example database),
and the Hypothesis settings one exploration or shrink pass runs with. Same seed, same verdicts:
examples are drawn with ``@seed`` and no example database (unless the profile turns one on), and
shrinking is bounded by a count of steps, not a clock."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Profile:
    """How hard to try: examples per rule (fewer for lifecycle rules), a per-example deadline,
    whether Hypothesis's example database is used, and how many shrink steps (examples run while
    shrinking) each distinct finding gets."""

    name: str
    max_examples: int
    lifecycle_examples: int
    deadline_ms: int | None
    database: bool
    shrink_budget: int = 100


PROFILES: Mapping[str, Profile] = {
    # dev: quick feedback while writing rules; the database replays earlier failures first.
    "dev": Profile("dev", max_examples=10, lifecycle_examples=3, deadline_ms=None, database=True, shrink_budget=25),
    # ci: deterministic (no database), moderate: seconds on moto (benchmarks/README.md).
    "ci": Profile("ci", max_examples=25, lifecycle_examples=5, deadline_ms=None, database=False, shrink_budget=25),
    # nightly: wider search against sandbox accounts; a slow example is reported, not waited for.
    "nightly": Profile("nightly", max_examples=100, lifecycle_examples=20, deadline_ms=120_000, database=False,
                       shrink_budget=300),
    # sandbox: a real AWS account, where every example creates keys and roles (money) and waits for IAM
    # and KMS to settle (time): few examples, a short shrink; `run --dry-run --target aws` estimates it.
    "sandbox": Profile("sandbox", max_examples=3, lifecycle_examples=1, deadline_ms=None, database=False,
                       shrink_budget=20),
}


def hypothesis_settings(profile: Profile, max_examples: int, *, explore: bool = False) -> Any:
    """The settings of one Hypothesis run: ``explore`` draws examples without shrinking (and
    tolerates examples a target refuses to send), else the run shrinks its failure. Built on
    Hypothesis's ``default`` profile, not on the profile loaded in the process (the pytest plugin
    runs inside a user's suite, which may load one): what is not set here, such as the ``backend``
    that draws the examples, is then Hypothesis's default, whatever the process loaded."""
    from hypothesis import HealthCheck, Phase, Verbosity, settings
    from hypothesis.database import DirectoryBasedExampleDatabase

    database = DirectoryBasedExampleDatabase(".hypothesis/kms-conformance") if profile.database else None
    return settings(
        settings.get_profile("default"),
        max_examples=max_examples,
        deadline=profile.deadline_ms,
        database=database,
        derandomize=False,
        phases=(Phase.explicit, Phase.reuse, Phase.generate) + (() if explore else (Phase.shrink,)),
        print_blob=False,
        report_multiple_bugs=False,
        verbosity=Verbosity.quiet,
        suppress_health_check=(HealthCheck.filter_too_much,) if explore else (),
    )
