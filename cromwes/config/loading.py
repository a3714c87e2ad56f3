"""Load `Settings` from config.yaml and the environment, and refuse anything invalid.

Precedence, lowest first:
1. the defaults written in `cromwes.config.settings`;
2. the YAML file (`--config` or `CROMWES_CONFIG`); keys in snake_case or kebab-case, optionally
   under a top-level `wes:` as in a Spring `application.yml`;
3. `SPRING_APPLICATION_JSON` (its `wes` and `server` objects), as the reference's Helm chart sets;
4. `SPRING_PROFILES_ACTIVE` naming an auth profile (`no-auth`, `basic-auth`, `oauth`);
5. `WES_*` and `SERVER_*` variables (see `cromwes.config.envbinding`).
"""

import dataclasses
import json
import logging
import re
from collections.abc import Callable, Mapping, Sequence
from enum import StrEnum
from pathlib import Path
from typing import Any

import cattrs
import yaml

from cromwes.config.checks import settings_problems
from cromwes.config.envbinding import ALIASES, AmbiguousVariable, env_overlay
from cromwes.config.settings import ByteSize, Duration, Settings

logger = logging.getLogger(__name__)

PROFILE_AUTH_METHODS = {"no-auth": "NO_AUTH", "basic-auth": "BASIC_AUTH", "oauth": "OAUTH"}
MASK = "****"


class ConfigError(ValueError):
    """The configuration cannot be used; the message names every offending key."""


Check = Callable[[Settings], list[str]]
"""A rule of a layer above configuration (e.g. `cromwes.auth.checks`): the problems it finds."""


def load_settings(
    path: str | Path | None, environ: Mapping[str, str], *, checks: Sequence[Check] = ()
) -> Settings:
    """Build the gateway's settings from the file at `path` (if any) and `environ`.

    Every problem found by `cromwes.config.checks` and by `checks` is reported at once.
    """
    tree: dict[str, Any] = {}
    if path is not None:
        tree = _merge(tree, _read_yaml(Path(path)))
    if spring_json := environ.get("SPRING_APPLICATION_JSON"):
        tree = _merge(tree, _spring_json(spring_json))
    for profile in environ.get("SPRING_PROFILES_ACTIVE", "").split(","):
        if method := PROFILE_AUTH_METHODS.get(profile.strip()):
            tree = _merge(tree, {"auth": {"method": method}})
    try:
        overlay, unbound = env_overlay(environ, Settings)
    except AmbiguousVariable as exc:
        raise ConfigError(str(exc)) from exc
    for name in unbound:
        logger.warning("environment variable %s does not name a setting; ignored", name)
    settings = settings_from_tree(_merge(tree, overlay))
    problems = settings_problems(settings) + [p for check in checks for p in check(settings)]
    if problems:
        raise ConfigError("invalid configuration:\n  " + "\n  ".join(problems))
    return settings


def settings_from_tree(tree: Mapping[str, Any]) -> Settings:
    try:
        return _CONVERTER.structure(tree, Settings)
    except Exception as exc:
        messages = cattrs.transform_error(exc, path="", format_exception=_describe)
        raise ConfigError("invalid configuration:\n  " + "\n  ".join(messages)) from exc


def _describe(exc: BaseException, type_: type | None) -> str:
    if isinstance(exc, ValueError) and str(exc):
        return str(exc)
    if isinstance(exc, cattrs.ForbiddenExtraKeysError):
        return f"unknown setting(s) {', '.join(sorted(exc.extra_fields))}"
    if isinstance(exc, KeyError):
        return "required setting is missing"
    return cattrs.v.format_exception(exc, type_)


def masked(settings: Settings) -> dict[str, Any]:
    """The settings as plain data, with every secret that is set replaced by a mask."""

    def unstructure(node: Any) -> Any:
        if dataclasses.is_dataclass(node) and not isinstance(node, type):
            return {
                f.name: MASK
                if f.metadata.get("secret") and getattr(node, f.name)
                else unstructure(getattr(node, f.name))
                for f in dataclasses.fields(node)
            }
        if isinstance(node, Mapping):
            return {key: unstructure(value) for key, value in node.items()}
        if isinstance(node, tuple):
            return [unstructure(item) for item in node]
        if isinstance(node, StrEnum):
            return node.value
        return node

    tree = unstructure(settings)
    assert isinstance(tree, dict)
    return tree


def _read_yaml(path: Path) -> dict[str, Any]:
    try:
        document = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigError(f"cannot read configuration file {path}: {exc.strerror}") from exc
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path} is not valid YAML: {exc}") from exc
    if document is None:
        return {}
    if not isinstance(document, dict):
        raise ConfigError(f"{path} must hold a mapping of settings at the top level")
    return _normalise(document)


def _spring_json(text: str) -> dict[str, Any]:
    try:
        document = json.loads(text)
    except ValueError as exc:
        raise ConfigError(f"SPRING_APPLICATION_JSON is not valid JSON: {exc}") from exc
    if not isinstance(document, dict):
        raise ConfigError("SPRING_APPLICATION_JSON must be a JSON object")
    picked = {key: document[key] for key in ("wes", "server") if key in document}
    return _normalise(picked)


def _normalise(document: dict[str, Any]) -> dict[str, Any]:
    """Snake-case the keys, fold a top-level `wes:` into the root, undo the reference's typos."""
    wes = document.pop("wes", None)
    tree: dict[str, Any] = _snake_keys(document)
    if isinstance(wes, dict):
        tree = _merge(tree, _snake_keys(wes))
    return tree


_SETTINGS_MAPS = {"tags", "default_workflow_options", "workflow_type_versions"}
_ALIAS_OF = {alias: name for name, aliases in ALIASES.items() for alias in aliases}


def _snake_keys(node: Any, *, inside_map: bool = False) -> Any:
    if isinstance(node, dict):
        if inside_map:
            return {key: _snake_keys(value) for key, value in node.items()}
        renamed = {}
        for key, value in node.items():
            name = str(key).replace("-", "_")
            name = _ALIAS_OF.get(name, name)
            renamed[name] = _snake_keys(value, inside_map=name in _SETTINGS_MAPS)
        return renamed
    if isinstance(node, list):
        return [_snake_keys(item) for item in node]
    return node


def _merge(base: dict[str, Any], overlay: Mapping[str, Any]) -> dict[str, Any]:
    merged = dict(base)
    for key, value in overlay.items():
        if isinstance(value, Mapping) and isinstance(merged.get(key), dict):
            merged[key] = _merge(merged[key], value)
        else:
            merged[key] = value
    return merged


# -- typing of raw values ------------------------------------------------------------------------

_TRUE = {"true", "yes", "on", "1"}
_FALSE = {"false", "no", "off", "0"}
_SIZE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([kmgt]?i?b?)?\s*$", re.IGNORECASE)
_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)?\s*$", re.IGNORECASE)
_ISO_DURATION = re.compile(
    r"^P(?:(?P<d>\d+(?:\.\d+)?)D)?(?:T(?:(?P<h>\d+(?:\.\d+)?)H)?(?:(?P<m>\d+(?:\.\d+)?)M)?"
    r"(?:(?P<s>\d+(?:\.\d+)?)S)?)?$",
    re.IGNORECASE,
)
_SECONDS = {"ms": 0.001, "s": 1, "m": 60, "h": 3600, "d": 86400, None: 1}


def _bool(value: Any, _: type) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in _TRUE | _FALSE:
        return value.strip().lower() in _TRUE
    raise ValueError(f"expected true or false, got {value!r}")


def _int(value: Any, _: type) -> int:
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise ValueError(f"expected an integer, got {value!r}")
    return int(value)


def _float(value: Any, _: type) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise ValueError(f"expected a number, got {value!r}")
    return float(value)


def _str(value: Any, _: type) -> str:
    if isinstance(value, bool | dict | list):
        raise ValueError(f"expected a string, got {value!r}")
    return str(value)


def _byte_size(value: Any, _: type) -> ByteSize:
    if isinstance(value, int) and not isinstance(value, bool):
        return ByteSize(value)
    match = _SIZE.match(str(value))
    if not match:
        raise ValueError(f"expected a size such as 512, 10MB or 1GiB, got {value!r}")
    number, unit = float(match[1]), (match[2] or "").lower()
    base = 1024 if "i" in unit else 1000
    power = "bkmgt".index(unit[0]) if unit and unit[0] in "kmgt" else 0
    return ByteSize(int(number * base**power))


def _duration(value: Any, _: type) -> Duration:
    if isinstance(value, int | float) and not isinstance(value, bool):
        return Duration(float(value))
    text = str(value)
    if match := _DURATION.match(text):
        return Duration(float(match[1]) * _SECONDS[match[2] and match[2].lower()])
    if (match := _ISO_DURATION.match(text.strip())) and text.strip().upper() != "P":
        parts = {k: float(v) for k, v in match.groupdict().items() if v}
        return Duration(
            parts.get("d", 0) * 86400
            + parts.get("h", 0) * 3600
            + parts.get("m", 0) * 60
            + parts.get("s", 0)
        )
    raise ValueError(f"expected a duration such as 30, 500ms, 5m or PT20S, got {value!r}")


def _str_tuple(value: Any, _: type) -> tuple[str, ...]:
    if isinstance(value, str):
        return tuple(item.strip() for item in value.split(",") if item.strip())
    if isinstance(value, list | tuple):
        return tuple(_str(item, str) for item in value)
    raise ValueError(f"expected a list of strings, got {value!r}")


def _make_converter() -> cattrs.Converter:
    converter = cattrs.Converter(forbid_extra_keys=True)
    converter.register_structure_hook(bool, _bool)
    converter.register_structure_hook(int, _int)
    converter.register_structure_hook(float, _float)
    converter.register_structure_hook_func(lambda t: t is str, _str)
    converter.register_structure_hook(ByteSize, _byte_size)
    converter.register_structure_hook(Duration, _duration)
    converter.register_structure_hook_func(lambda t: t == tuple[str, ...], _str_tuple)
    converter.register_structure_hook(StrEnum, _enum)
    return converter


def _enum(value: Any, enum: type[StrEnum]) -> StrEnum:
    text = str(value).strip()
    for candidate in (text, text.upper().replace("-", "_"), text.lower()):
        if candidate in enum._value2member_map_:
            return enum(candidate)
    raise ValueError(f"expected one of {', '.join(enum)}, got {value!r}")


_CONVERTER = _make_converter()
