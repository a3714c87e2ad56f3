"""Bind environment variables onto the settings tree the way Spring Boot's relaxed binding does.

A variable names a path through the tree in upper case, words joined by `_`. A multi-word key
may be spelt with its words apart or run together (`WES_BLOB_STORAGE_CLIENT_NAME` and
`WES_BLOBSTORAGECLIENT_NAME` both reach `blob_storage_client.name`), list items take an index
(`WES_PATHTRANSLATIONS_0_PREFIX`), and a list of strings also binds from a comma-separated value.
`WES_*` reaches the root of the tree and `SERVER_*` its `server` section, so a deployment of
DNAstack's cromwell-wes-service keeps its variables when it switches to cromwes.
"""

import dataclasses
import json
import types
import typing
from collections.abc import Mapping
from typing import Any, Union, get_args, get_origin

KeyPath = tuple[str | int, ...]
PREFIXES: tuple[tuple[str, KeyPath], ...] = (("WES_", ()), ("SERVER_", ("server",)))
ALIASES: Mapping[str, tuple[str, ...]] = {
    # The reference service's own misspellings, which its deployments carry.
    "signed_url_ttl": ("signd_url_ttl",),
    "contact_info_url": ("contact_infor_url",),
}


class AmbiguousVariable(ValueError):
    """An environment variable that reaches more than one setting."""


def env_overlay(environ: Mapping[str, str], root: type) -> tuple[dict[str, Any], list[str]]:
    """Return the nested overlay the environment makes on `root`, and the names it could not bind.

    Indexed lists come back as lists (an environment list replaces the file's list as a whole,
    as in Spring). Values stay strings except where the tree's type is `Any`, where JSON text is
    decoded (`"false"` becomes False).
    """
    overlay: dict[str, Any] = {}
    unbound: list[str] = []
    for name in sorted(environ):
        for prefix, base in PREFIXES:
            if not name.startswith(prefix):
                continue
            tokens = [t for t in name[len(prefix) :].split("_") if t]
            node = _walk_path(root, base)
            matches = [(base + rest, leaf) for rest, leaf in _bind(node, tokens)]
            if not matches:
                unbound.append(name)
            elif len({path for path, _ in matches}) > 1:
                raise AmbiguousVariable(f"{name} matches several settings: {matches}")
            else:
                path, leaf = matches[0]
                _assign(overlay, path, _decode(environ[name], leaf))
    return _lists_from_indexes(overlay), unbound


def _walk_path(node: Any, path: KeyPath) -> Any:
    for key in path:
        node = _field_types(node)[str(key)]
    return node


def _bind(node: Any, tokens: list[str]) -> list[tuple[KeyPath, Any]]:
    """Every way `tokens` can name a leaf under `node`: (relative path, leaf type)."""
    node = _strip_optional(node)
    if not tokens:
        return [((), node)] if not dataclasses.is_dataclass(node) else []
    if dataclasses.is_dataclass(node):
        found: list[tuple[KeyPath, Any]] = []
        for field_name, field_type in _field_types(node).items():
            spellings = {
                n.replace("_", "").lower() for n in (field_name, *ALIASES.get(field_name, ()))
            }
            for end in range(1, len(tokens) + 1):
                if "".join(tokens[:end]).lower() in spellings:
                    found += [((field_name, *p), t) for p, t in _bind(field_type, tokens[end:])]
        return found
    origin = get_origin(node)
    if origin is tuple:
        item = get_args(node)[0]
        if tokens[0].isdigit():
            return [((int(tokens[0]), *p), t) for p, t in _bind(item, tokens[1:])]
        return []
    if origin in (Mapping, dict, typing.Mapping):
        value_type = get_args(node)[1]
        if get_origin(value_type) is tuple and tokens[-1].isdigit() and len(tokens) > 1:
            return [((_map_key(tokens[:-1]), int(tokens[-1])), get_args(value_type)[0])]
        return [((_map_key(tokens),), value_type)]
    return []


def _map_key(tokens: list[str]) -> str:
    # Spring lower-cases keys bound from the environment; workflow types are the one map whose
    # keys are conventionally upper case (WDL, CWL), so a single upper-case word is kept.
    if len(tokens) == 1 and tokens[0].isupper() and len(tokens[0]) <= 4:
        return tokens[0]
    return "-".join(t.lower() for t in tokens)


def _field_types(node: Any) -> dict[str, Any]:
    return typing.get_type_hints(_strip_optional(node))


def _strip_optional(node: Any) -> Any:
    if get_origin(node) in (Union, types.UnionType):
        args = [a for a in get_args(node) if a is not type(None)]
        if len(args) == 1:
            return args[0]
    return node


def _decode(raw: str, leaf: Any) -> Any:
    if leaf is Any:
        try:
            return json.loads(raw)
        except ValueError:
            return raw
    return raw


def _assign(tree: dict[Any, Any], path: KeyPath, value: Any) -> None:
    for key in path[:-1]:
        tree = tree.setdefault(key, {})
    tree[path[-1]] = value


def _lists_from_indexes(tree: Any) -> Any:
    if not isinstance(tree, dict):
        return tree
    converted = {key: _lists_from_indexes(value) for key, value in tree.items()}
    if converted and all(isinstance(key, int) for key in converted):
        return [converted[key] for key in sorted(converted)]
    return converted
