"""The rule catalogue: one normative statement of a document, made executable.

A spec module declares each rule with :func:`rule`, then attaches a static check
(``@RULE.config``: decidable from the setup a user supplies) and/or a scenario
(``@RULE.behavior``: what a service does, observed on a target). The catalogue is the
registry that ``kms-conformance rules``, ``check``, ``run`` and the pytest plugin select from.

Words (DESIGN.md): *rule*, *document*, *target*, *verdict*. Severity ``must`` is a requirement,
``should`` a recommendation. Kind ``config`` and/or ``behavior``.
"""

from __future__ import annotations

import fnmatch
import importlib
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

from kms_conformance.documents import DOCS, EXTERNAL, GROUPS, TRANSLATION_OF, page_dict

if TYPE_CHECKING:
    from hypothesis.strategies import SearchStrategy
    from kms_conformance.setup import Setup
    from kms_conformance.targets.base import Target

Severity = Literal["must", "should"]
Kind = Literal["config", "behavior"]

#: A static check: returns the concrete reasons the setup breaks the rule (empty: it holds).
ConfigCheck = Callable[["Setup"], list[str]]
#: Whether a config rule applies to a setup at all (for example only when a customer key is used).
Applies = Callable[["Setup"], bool]
#: A scenario: runs on a target with one generated example and returns the facts that matter.
Scenario = Callable[["Target", Any], Mapping[str, Any]]
#: Compares expected (the reference model's facts) with observed; returns why they differ, or None.
Compare = Callable[[Mapping[str, Any], Mapping[str, Any]], "str | None"]

#: The spec modules, in catalogue order. Importing one registers its rules.
SPEC_MODULES: tuple[str, ...] = (
    "kms_conformance.specs.kms",
    "kms_conformance.specs.forecast",
    "kms_conformance.specs.feature_store",
    "kms_conformance.specs.opensearch_serverless",
    "kms_conformance.specs.mwaa",
)


@dataclass(frozen=True)
class Citation:
    """Where a rule comes from: the document file name, the section heading as it stands in the
    page, and a short quote of the sentence it encodes."""

    doc: str
    section: str
    quote: str
    #: The project's English rendering of ``quote`` when the page is not in English (a translation
    #: written for readers of the report, marked as such wherever it is shown); empty otherwise.
    quote_en: str = ""


def _default_compare(expected: Mapping[str, Any], observed: Mapping[str, Any]) -> str | None:
    """Facts differ when any key the reference produced has another value on the target."""
    diffs = [
        f"{key}: expected {expected[key]!r}, observed {observed.get(key, '<missing>')!r}"
        for key in expected
        if observed.get(key) != expected[key]
    ]
    return "; ".join(diffs) or None


#: Error codes that are no refusal of the request but the service or the wire failing: never one of
#: the documented family of outcomes a rule with an inferred error code accepts.
SERVER_ERRORS = frozenset({
    "InternalServerException", "InternalFailure", "InternalServerError", "ServiceUnavailable",
    "ServiceUnavailableException", "ThrottlingException", "Throttling", "TooManyRequestsException",
    "KMSInternalException", "UnknownError",
})


def _refused(value: Any) -> bool:
    """Whether a fact is a client error code (the request was refused).

    >>> _refused("AccessDeniedException"), _refused("OK"), _refused("InternalServerException"), _refused(True)
    (True, False, False, False)
    """
    return (isinstance(value, str) and value != "OK" and value not in SERVER_ERRORS
            and value[:1].isupper() and value.isalnum())


def _refusal_compare(expected: Mapping[str, Any], observed: Mapping[str, Any]) -> str | None:
    """Like the default comparison, except that one client error code stands for another: the rule's
    page says the call fails but names no error (``inferred="error code"``), so any refusal is the
    documented outcome; a server error or success is not."""
    diffs = [
        f"{key}: expected {expected[key]!r} (any refusal), observed {observed.get(key, '<missing>')!r}"
        for key in expected
        if observed.get(key) != expected[key] and not (_refused(expected[key]) and _refused(observed.get(key)))
    ]
    return "; ".join(diffs) or None


@dataclass(frozen=True)
class Behavior:
    """The behavioural half of a rule: a scenario, the strategy of its examples, a comparison."""

    scenario: Scenario
    examples: Callable[[], SearchStrategy[Any]]
    compare: Compare = _default_compare
    #: Stateful/lifecycle scenarios are slower; the runner gives them fewer examples.
    lifecycle: bool = False


@dataclass(frozen=True)
class Rule:
    """One normative statement of a document, made executable."""

    id: str
    title: str
    service: str
    citation: Citation
    severity: Severity
    operations: tuple[str, ...]
    note: str = ""
    check: ConfigCheck | None = None
    applies: Applies | None = None
    behavior: Behavior | None = None
    #: What the rule expects that its page does not state (``"error code"``: the page says the call
    #: fails but names no error, so any client error of the documented family is accepted); empty
    #: when the page states everything the rule checks.
    inferred: str = ""
    #: The document group the rule is filed under (``kms``), or empty: filed under its page.
    group: str = ""
    #: An :data:`kms_conformance.documents.EXTERNAL` source the rule rests on beyond its page, or empty.
    source: str = ""

    @property
    def kinds(self) -> tuple[Kind, ...]:
        kinds: list[Kind] = []
        if self.check is not None:
            kinds.append("config")
        if self.behavior is not None:
            kinds.append("behavior")
        return tuple(kinds)

    @property
    def doc(self) -> str:
        return self.citation.doc

    def summary(self) -> dict[str, Any]:
        """The machine form ``kms-conformance rules --json`` prints."""
        return {
            "id": self.id,
            "title": self.title,
            "doc": self.citation.doc,
            "section": self.citation.section,
            "quote": self.citation.quote,
            "quote_en": self.citation.quote_en or None,
            "page": page_dict(self.citation.doc),
            "severity": self.severity,
            "kind": list(self.kinds),
            "operations": list(self.operations),
            "service": self.service,
            "inferred": self.inferred or None,
            "group": self.group or None,
            "source": dict(zip(("title", "url"), EXTERNAL[self.source], strict=True)) if self.source else None,
        }


@dataclass
class RuleBuilder:
    """Mutable while a spec module is being imported; frozen into a :class:`Rule` by the catalogue."""

    id: str
    title: str
    service: str
    citation: Citation
    severity: Severity
    operations: tuple[str, ...]
    check: ConfigCheck | None = None
    applies: Applies | None = None
    behavior: Behavior | None = None
    note: str = ""
    inferred: str = ""
    group: str = ""
    source: str = ""
    _docs: list[str] = field(default_factory=list)

    def config(self, fn: ConfigCheck | None = None, *, applies: Applies | None = None) -> Any:
        """Attach the static check. Use as ``@RULE.config`` or ``@RULE.config(applies=...)``."""

        def attach(check: ConfigCheck) -> ConfigCheck:
            if self.check is not None:
                raise ValueError(f"{self.id}: config check attached twice")
            self.check = check
            self.applies = applies
            if check.__doc__:
                self._docs.append(check.__doc__)
            return check

        return attach(fn) if fn is not None else attach

    def behavior_(
        self,
        *,
        examples: Callable[[], SearchStrategy[Any]],
        compare: Compare | None = None,
        lifecycle: bool = False,
    ) -> Callable[[Scenario], Scenario]:
        """Attach the scenario. Use as ``@RULE.behavior_(examples=strategy_fn)``."""

        def attach(scenario: Scenario) -> Scenario:
            if self.behavior is not None:
                raise ValueError(f"{self.id}: scenario attached twice")
            self.behavior = Behavior(scenario, examples, compare or _default_compare, lifecycle)
            if scenario.__doc__:
                self._docs.append(scenario.__doc__)
            return scenario

        return attach

    def freeze(self) -> Rule:
        if self.check is None and self.behavior is None:
            raise ValueError(f"{self.id}: a rule needs a config check or a scenario")
        behavior = self.behavior
        if behavior is not None and self.inferred == "error code" and behavior.compare is _default_compare:
            behavior = Behavior(behavior.scenario, behavior.examples, _refusal_compare, behavior.lifecycle)
        return Rule(
            id=self.id,
            title=self.title,
            service=self.service,
            citation=self.citation,
            severity=self.severity,
            operations=self.operations,
            note=self.note or "\n".join(self._docs),
            check=self.check,
            applies=self.applies,
            behavior=behavior,
            inferred=self.inferred,
            group=self.group,
            source=self.source,
        )


_REGISTRY: dict[str, RuleBuilder] = {}


def rule(
    id: str,
    title: str,
    *,
    service: str,
    doc: str,
    section: str,
    quote: str,
    severity: Severity = "must",
    operations: Iterable[str] = (),
    note: str = "",
    inferred: str = "",
    group: str = "",
    source: str = "",
    quote_en: str = "",
) -> RuleBuilder:
    """Declare a rule. Ids are stable (``AOSS-06``) and unique across the catalogue. ``inferred``
    names what the rule expects beyond its page's words (``"error code"``)."""
    if id in _REGISTRY:
        raise ValueError(f"rule {id} declared twice")
    if doc not in DOCS:
        raise ValueError(f"{id}: unknown document {doc!r}")
    if group and doc not in GROUPS.get(group, ()):
        raise ValueError(f"{id}: {doc!r} is not a source of document group {group!r}")
    if source and source not in EXTERNAL:
        raise ValueError(f"{id}: unknown external source {source!r}")
    builder = RuleBuilder(id, title, service, Citation(doc, section, quote, quote_en), severity, tuple(operations),
                          note=note, inferred=inferred, group=group, source=source)
    _REGISTRY[id] = builder
    return builder


def catalogue() -> tuple[Rule, ...]:
    """Every rule of every spec module, in module order then declaration order."""
    for module in SPEC_MODULES:
        importlib.import_module(module)
    return tuple(builder.freeze() for builder in _REGISTRY.values())


def select(
    rules: Iterable[Rule],
    *,
    ids: Iterable[str] = (),
    docs: Iterable[str] = (),
    severity: str | None = None,
    kind: str | None = None,
    service: str | None = None,
) -> tuple[Rule, ...]:
    """Filter the catalogue. ``ids`` accepts exact ids or shell patterns (``AOSS-*``, ``KMS-0?``);
    one starting with ``!`` leaves out what it matches (``!AOSS-0*``; only exclusions: every other
    rule). ``docs`` accepts file names or the short names of :data:`kms_conformance.documents.DOCS`
    (an original page selects its translations too). An unknown id, or a pattern that matches no
    rule, raises ValueError."""
    rules = tuple(rules)
    patterns = [i.strip().upper() for i in ids if i.strip()]
    if patterns:
        known = [r.id for r in rules]
        include = [p for p in patterns if not p.startswith("!")]
        exclude = [p[1:].strip() for p in patterns if p.startswith("!")]
        for w in (*include, *exclude):
            if not any(ch in w for ch in "*?[") and w not in known:
                raise ValueError(f"unknown rule id {w[:40]!r} (see `kms-conformance rules`)")
            if not fnmatch.filter(known, w):
                raise ValueError(f"rule pattern {w[:40]!r} matches no rule (see `kms-conformance rules`)")
        rules = tuple(r for r in rules
                      if (not include or any(fnmatch.fnmatchcase(r.id, w) for w in include))
                      and not any(fnmatch.fnmatchcase(r.id, w) for w in exclude))
    doc_names = {d.strip() for d in docs if d.strip()}
    if doc_names:
        by_short = {short: f for f, short in DOCS.items()}
        files = set()
        groups = {d for d in doc_names if d in GROUPS}
        for d in doc_names - groups:
            if d in DOCS:
                files.add(d)
            elif d in by_short:
                files.add(by_short[d])
            else:
                raise ValueError(f"unknown document {d!r}; one of: {', '.join(sorted([*by_short, *GROUPS]))}")
        rules = tuple(r for r in rules if r.citation.doc in files or TRANSLATION_OF.get(r.citation.doc) in files
                      or r.group in groups)
    if severity:
        rules = tuple(r for r in rules if r.severity == severity)
    if kind:
        rules = tuple(r for r in rules if kind in r.kinds)
    if service:
        rules = tuple(r for r in rules if r.service == service)
    return rules


@dataclass(frozen=True)
class ServiceSpec:
    """What the runner and the property tests need to exercise a service's config rules:
    a strategy of compliant setups (dicts in the ``check`` file format) and, per rule id,
    a mutator that breaks exactly that rule (returns a strategy, so it may draw; raises
    :class:`kms_conformance.errors.NotApplicable` when the setup offers it nothing to break)."""

    name: str
    compliant: Callable[[], SearchStrategy[dict[str, Any]]]
    mutators: Mapping[str, Callable[[dict[str, Any]], SearchStrategy[dict[str, Any]]]]
    #: Validates and parses ``setup.request``; raises ``InputError`` naming the JSON path.
    parse_request: Callable[[Setup], Any]


_SERVICES: dict[str, ServiceSpec] = {}


def register_service(spec: ServiceSpec) -> ServiceSpec:
    """Called once by each spec module; ``service`` names match ``Rule.service``."""
    _SERVICES[spec.name] = spec
    return spec


def services() -> Mapping[str, ServiceSpec]:
    """Every registered service spec (imports the spec modules first)."""
    catalogue()
    return dict(_SERVICES)
