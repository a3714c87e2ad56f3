"""Path translation: rewrite path prefixes between what clients see and what Cromwell sees.

Each rule is (regex prefix, replacement, location), in configuration order, as in the reference
service (reference-service.md §3): the prefix is anchored at the start, the replacement may use
`$1`/`${name}` (Java syntax, as its deployments write them) and only the matched prefix is
replaced. Inputs take the *first* matching rule; outputs and log/file paths are rewritten by
every matching rule in turn (chained).

Two safety rules the reference lacks: a prefix must end on a path-component boundary (so a
rule for `/data` leaves `/data-evil/x` alone), and absolute paths are normalised before they are
matched (so `/data/../etc/passwd` is compared as `/etc/passwd`).
"""

import posixpath
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from cromwes.config.settings import PathLocation, PathTranslation

_URI = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://[^/\s]+")
_JAVA_GROUP = re.compile(r"\\(.)|\$(\d+)|\$\{(\w+)\}")


@dataclass(frozen=True, slots=True)
class PathRule:
    pattern: re.Pattern[str]
    template: str
    location: PathLocation

    def applies_to_inputs(self) -> bool:
        return self.location in (PathLocation.ALL, PathLocation.INPUTS)

    def applies_to_outputs(self) -> bool:
        return self.location in (PathLocation.ALL, PathLocation.OUTPUTS)

    def rewrite(self, value: str) -> str | None:
        """`value` with its prefix replaced, or None if the rule does not match it."""
        match = self.pattern.match(value)
        if match is None or not _ends_on_boundary(value, match.end()):
            return None
        return match.expand(self.template) + value[match.end() :]


def compile_rules(translations: Sequence[PathTranslation]) -> tuple[PathRule, ...]:
    """The rules of the configuration; ValueError names a prefix that is not a valid regex."""
    rules = []
    for translation in translations:
        prefix = (
            translation.prefix if translation.prefix.startswith("^") else "^" + translation.prefix
        )
        try:
            pattern = re.compile(prefix)
        except re.error as exc:
            raise ValueError(
                f"invalid path translation prefix {translation.prefix!r}: {exc}"
            ) from exc
        rules.append(
            PathRule(pattern, python_template(translation.replacement), translation.location)
        )
    return tuple(rules)


def python_template(java_replacement: str) -> str:
    """A Java regex replacement (`$1`, `${name}`, `\\$`) as a Python `Match.expand` template."""

    def convert(match: re.Match[str]) -> str:
        escaped, number, name = match.groups()
        if escaped is not None:
            return escaped.replace("\\", "\\\\")
        return f"\\g<{number}>" if number is not None else f"\\g<{name}>"

    pieces = []
    last = 0
    for match in _JAVA_GROUP.finditer(java_replacement):
        pieces.append(java_replacement[last : match.start()].replace("\\", "\\\\"))
        pieces.append(convert(match))
        last = match.end()
    pieces.append(java_replacement[last:].replace("\\", "\\\\"))
    return "".join(pieces)


def is_path_like(value: str) -> bool:
    """A URI with a scheme and a host, or an absolute path: what input translation looks at."""
    return value.startswith("/") or _URI.match(value) is not None


def translate_inputs(value: Any, rules: Sequence[PathRule]) -> Any:
    """Rewrite each path-like string at any depth of `value` with the first matching input rule."""
    input_rules = [rule for rule in rules if rule.applies_to_inputs()]
    if not input_rules:
        return value

    def first_match(text: str) -> str:
        if not is_path_like(text):
            return text
        candidate = _normalised(text)
        for rule in input_rules:
            if (rewritten := rule.rewrite(candidate)) is not None:
                return rewritten
        return text

    return _map_strings(value, first_match)


def translate_outputs(value: Any, rules: Sequence[PathRule]) -> Any:
    """Rewrite every string at any depth of `value` with each output rule in turn."""
    output_rules = [rule for rule in rules if rule.applies_to_outputs()]
    if not output_rules:
        return value
    return _map_strings(value, lambda text: translate_path(text, output_rules))


def translate_path(path: str, rules: Sequence[PathRule]) -> str:
    """One Cromwell path as the gateway and its clients see it: every output rule, chained."""
    for rule in rules:
        if rule.applies_to_outputs():
            path = rule.rewrite(_normalised(path)) or path
    return path


def _normalised(text: str) -> str:
    if not text.startswith("/"):
        return text
    normal = posixpath.normpath(text)
    if normal.startswith("//"):
        normal = "/" + normal.lstrip("/")
    return normal + "/" if text.endswith("/") and normal != "/" else normal


def _ends_on_boundary(value: str, end: int) -> bool:
    return end == len(value) or end == 0 or value[end - 1] == "/" or value[end] in "/?#"


def _map_strings(value: Any, function: Any) -> Any:
    if isinstance(value, str):
        return function(value)
    if isinstance(value, list):
        return [_map_strings(item, function) for item in value]
    if isinstance(value, dict):
        return {key: _map_strings(item, function) for key, item in value.items()}
    return value
