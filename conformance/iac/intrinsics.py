"""CloudFormation's template language: the YAML short forms and the intrinsic functions.

The short forms (``!Ref``, ``!GetAtt``, ``!Sub``...) are read into their long forms (``{"Ref": ...}``,
``{"Fn::GetAtt": [...]}``), as "Intrinsic function reference" (AWS CloudFormation User Guide)
defines them. :class:`Resolver` evaluates the functions that matter to a setup: ``Ref`` (pseudo
parameters, parameters, resources), ``Fn::GetAtt``, ``Fn::Sub``, ``Fn::Join``, ``Fn::If``,
``Fn::Select``, ``Fn::Split``, ``Fn::Equals``, ``Fn::Not``, ``Fn::And``, ``Fn::Or``,
``Fn::FindInMap``, ``Fn::Base64``, ``Fn::GetAZs`` and ``Condition``. A value that cannot be known
before deployment (``Fn::ImportValue``, ``Fn::Cidr``...) raises :class:`Unresolved`; the caller
leaves the property out and lists it as not checked.
"""

from __future__ import annotations

import base64
import re
from collections.abc import Callable, Mapping
from typing import Any

import yaml
from kms_conformance.errors import InputError
from kms_conformance.inputs import MAX_DEPTH, check_yaml_depth

#: Every short form and the long form it stands for.
SHORT_FORMS = ("Ref", "Condition", "GetAtt", "Sub", "Join", "If", "Select", "Split", "Equals", "Not", "And",
               "Or", "FindInMap", "Base64", "ImportValue", "GetAZs", "Cidr", "Length", "ToJsonString",
               "Transform")


class Unresolved(Exception):
    """A value the template leaves to deployment time; the message says why."""


class NoValue:
    """``Ref: AWS::NoValue``: the property is removed."""


NO_VALUE = NoValue()


class TemplateLoader(yaml.SafeLoader):
    """YAML 1.1 as CloudFormation reads it: the short forms, and no timestamps (``2012-10-17``
    stays a string, as a policy's ``Version`` must)."""


TemplateLoader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def _short_form(name: str) -> Callable[[yaml.SafeLoader, yaml.Node], Any]:
    long = name if name in ("Ref", "Condition") else f"Fn::{name}"

    def construct(loader: yaml.SafeLoader, node: yaml.Node) -> Any:
        if isinstance(node, yaml.ScalarNode):
            value: Any = loader.construct_scalar(node)
            if name == "GetAtt":
                value = str(value).split(".", 1)
        elif isinstance(node, yaml.SequenceNode):
            value = loader.construct_sequence(node, deep=True)
        else:
            value = loader.construct_mapping(node, deep=True)  # type: ignore[arg-type]
        return {long: value}

    return construct


for _name in SHORT_FORMS:
    TemplateLoader.add_constructor(f"!{_name}", _short_form(_name))


def load_yaml(text: str, *, source: str) -> Any:
    """A YAML template; a syntax error or an unknown tag names the line. A template nested deeper than
    :data:`MAX_DEPTH` is refused before PyYAML's loader composes it (half a second at a thousand levels)."""
    check_yaml_depth(text, source)
    try:
        return yaml.load(text, Loader=TemplateLoader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}" if mark is not None else "$"
        raise InputError(f"not valid YAML: {getattr(exc, 'problem', None) or exc}", source=source,
                         path=where) from None
    except RecursionError:
        raise InputError(f"nested deeper than {MAX_DEPTH} levels", source=source) from None


_SUB = re.compile(r"\$\{([^}]*)\}")


class Resolver:
    """Evaluates intrinsic functions over one template.

    ``ref``/``get_att`` answer for the template's resources (the caller knows their physical ids);
    ``parameters`` are the values given or defaulted; ``conditions`` evaluates a named condition.
    """

    def __init__(self, *, pseudo: Mapping[str, Any], parameters: Mapping[str, Any], mappings: Mapping[str, Any],
                 resources: Mapping[str, Any], ref: Callable[[str], Any], get_att: Callable[[str, str], Any],
                 condition: Callable[[str], bool], source: str) -> None:
        self.pseudo = pseudo
        self.parameters = parameters
        self.mappings = mappings
        self.resources = resources
        self.ref = ref
        self.get_att = get_att
        self.condition = condition
        self.source = source

    def resolve(self, value: Any) -> Any:
        """``value`` with every intrinsic function evaluated; ``AWS::NoValue`` members dropped."""
        if isinstance(value, list):
            items = [self.resolve(v) for v in value]
            return [v for v in items if v is not NO_VALUE]
        if not isinstance(value, dict):
            return value
        if len(value) == 1:
            (key, arg), = value.items()
            if key == "Ref":
                return self._ref(arg)
            if key == "Condition" and isinstance(arg, str):
                return self.condition(arg)
            if key.startswith("Fn::"):
                return self._function(key[4:], arg)
        out = {}
        for k, v in value.items():
            r = self.resolve(v)
            if r is not NO_VALUE:
                out[k] = r
        return out

    def _ref(self, name: Any) -> Any:
        if not isinstance(name, str):
            raise Unresolved(f"Ref of {name!r}")
        if name == "AWS::NoValue":
            return NO_VALUE
        if name in self.pseudo:
            return self.pseudo[name]
        if name in self.parameters:
            return self.parameters[name]
        if name in self.resources:
            return self.ref(name)
        if name.startswith("AWS::"):
            raise Unresolved(f"the pseudo parameter {name} is not known before deployment")
        raise InputError(f"Ref to {name!r}, neither a parameter nor a resource of the template",
                         source=self.source, path="Resources")

    def _function(self, name: str, arg: Any) -> Any:
        if name == "GetAtt":
            parts = arg.split(".", 1) if isinstance(arg, str) else self.resolve(arg)
            if not isinstance(parts, list) or len(parts) != 2:
                raise Unresolved(f"Fn::GetAtt of {arg!r}")
            logical, attr = parts
            if logical not in self.resources:
                raise InputError(f"Fn::GetAtt of {logical!r}, not a resource of the template", source=self.source,
                                 path="Resources")
            return self.get_att(str(logical), str(attr))
        if name == "Sub":
            return self._sub(arg)
        if name == "If":
            if not isinstance(arg, list) or len(arg) != 3:
                raise Unresolved("Fn::If takes [condition, value if true, value if false]")
            return self.resolve(arg[1] if self.condition(str(arg[0])) else arg[2])
        if name in ("Equals", "Not", "And", "Or"):
            args = self.resolve(arg)
            if not isinstance(args, list):
                raise Unresolved(f"Fn::{name} takes a list")
            if name == "Equals":
                return len(args) == 2 and str(args[0]) == str(args[1])
            if name == "Not":
                return not args[0]
            return all(args) if name == "And" else any(args)
        args = self.resolve(arg)
        if name == "Join" and isinstance(args, list) and len(args) == 2 and isinstance(args[1], list):
            return str(args[0]).join(str(v) for v in args[1])
        if name == "Select" and isinstance(args, list) and len(args) == 2 and isinstance(args[1], list):
            return args[1][int(args[0])]
        if name == "Split" and isinstance(args, list) and len(args) == 2:
            return str(args[1]).split(str(args[0]))
        if name == "FindInMap" and isinstance(args, list) and len(args) >= 3:
            try:
                return self.mappings[args[0]][args[1]][args[2]]
            except (KeyError, TypeError):
                raise InputError(f"Fn::FindInMap: no {args[0]}.{args[1]}.{args[2]} in Mappings", source=self.source,
                                 path="Mappings") from None
        if name == "Base64" and isinstance(args, str):
            return base64.b64encode(args.encode()).decode()
        if name == "GetAZs":
            region = self.pseudo["AWS::Region"]
            return [f"{region}a", f"{region}b", f"{region}c"]
        if name == "ImportValue":
            raise Unresolved(f"Fn::ImportValue {args!r}: another stack's export")
        raise Unresolved(f"Fn::{name} is not evaluated before deployment")

    def _sub(self, arg: Any) -> str:
        text, variables = (arg, {}) if isinstance(arg, str) else (arg[0], arg[1]) if (
            isinstance(arg, list) and len(arg) == 2) else (None, None)
        if not isinstance(text, str) or not isinstance(variables, dict):
            raise Unresolved("Fn::Sub takes a string or [string, {variables}]")
        values = {k: self.resolve(v) for k, v in variables.items()}

        def one(match: re.Match[str]) -> str:
            name = match.group(1)
            if name.startswith("!"):
                return "${" + name[1:] + "}"
            if name in values:
                return str(values[name])
            if "." in name and name.split(".", 1)[0] in self.resources:
                logical, attr = name.split(".", 1)
                return str(self.get_att(logical, attr))
            return str(self._ref(name))

        return _SUB.sub(one, text)
