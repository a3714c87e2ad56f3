"""Made-up WDL values of a declared type, in the JSON form Cromwell writes them, for the calls
and outputs of synthetic and controlled workflows.

Types are kept as text in a shape: miniwdl's spelling (`Array[File]+`, `Pair[Int,File]`,
`Map[String,Int]?`), with a struct written as its members, `{name:String,reads:Array[File]}`.
The forms follow the recorded bodies: a File is a path (written to disk, so it can be read
back), an Array a JSON array, a Pair `{"left", "right"}`, a Map an object whose keys are
strings even for `Map[Int,_]` (metadata-map-output-htcondor-v58.json: `"1"`, `"2"`), a struct
an object of its members.
"""

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import WDL

ARRAY_LENGTH = 2
"""Elements of a made-up Array (and entries of a Map)."""
TOKEN = re.compile(r"\s*([A-Za-z_][A-Za-z0-9_]*|[\[\],{}:?+])")


@dataclass(frozen=True, slots=True)
class WdlType:
    """A parsed type: `name` is File, Array, Pair, Map, Struct, Int...; `parts` its parameters
    (Struct: its members, in order)."""

    name: str
    parts: tuple["WdlType", ...] = ()
    members: tuple[str, ...] = ()
    optional: bool = False
    nonempty: bool = False


def type_text(wdl_type: WDL.Type.Base) -> str:
    """A miniwdl type as a shape keeps it (structs spelled out, so no document is needed)."""
    suffix = "?" if wdl_type.optional else ""
    if isinstance(wdl_type, WDL.Type.Array):
        plus = "+" if wdl_type.nonempty else ""
        return f"Array[{type_text(wdl_type.item_type)}]{plus}{suffix}"
    if isinstance(wdl_type, WDL.Type.Pair):
        return f"Pair[{type_text(wdl_type.left_type)},{type_text(wdl_type.right_type)}]{suffix}"
    if isinstance(wdl_type, WDL.Type.Map):
        key, value = wdl_type.item_type
        return f"Map[{type_text(key)},{type_text(value)}]{suffix}"
    if isinstance(wdl_type, WDL.Type.StructInstance) and wdl_type.members is not None:
        members = ",".join(f"{k}:{type_text(t)}" for k, t in wdl_type.members.items())
        return f"{{{members}}}{suffix}"
    return str(wdl_type)


def parse_type(text: str) -> WdlType:
    """The type of `type_text`; an unknown name parses as itself (made up as an object)."""
    tokens = [m.group(1) for m in TOKEN.finditer(text)]
    parsed, end = _parse(tokens, 0)
    if end != len(tokens):
        raise ValueError(f"not a WDL type: {text!r}")
    return parsed


def _parse(tokens: list[str], at: int) -> tuple[WdlType, int]:
    head = tokens[at]
    at += 1
    parts: list[WdlType] = []
    members: list[str] = []
    if head == "{":
        while tokens[at] != "}":
            members.append(tokens[at])
            part, at = _parse(tokens, at + 2)  # skip the member name and ':'
            parts.append(part)
            at += 1 if tokens[at] == "," else 0
        at += 1
        head = "Struct"
    elif at < len(tokens) and tokens[at] == "[":
        at += 1
        while tokens[at] != "]":
            part, at = _parse(tokens, at)
            parts.append(part)
            at += 1 if tokens[at] == "," else 0
        at += 1
    optional = nonempty = False
    while at < len(tokens) and tokens[at] in ("?", "+"):
        optional |= tokens[at] == "?"
        nonempty |= tokens[at] == "+"
        at += 1
    return WdlType(head, tuple(parts), tuple(members), optional, nonempty), at


class MadeUp:
    """Makes values, collecting the files they name (path -> text) to be written."""

    def __init__(self) -> None:
        self.files: dict[str, str] = {}

    def values(self, types: Mapping[str, WdlType], folder: str, index: int = 0) -> dict[str, Any]:
        """One value per name; files go to `<folder>/<name>`; an Int is `index` (a shard's)."""
        values: dict[str, Any] = {}
        for name, wdl_type in types.items():
            # Scalars without building a path: a wide scatter makes 100,000 of these.
            scalar = SCALARS.get(wdl_type.name)
            if scalar is not None:
                values[name] = scalar(name, index)
            else:
                values[name] = self.value(wdl_type, f"{folder}/{name}", name, index)
        return values

    def value(self, wdl_type: WdlType, where: str, label: str, index: int = 0) -> Any:
        name = wdl_type.name
        if name in ("File", "Directory"):
            self.files[where if name == "File" else f"{where}/{label}.txt"] = f"synthetic {label}\n"
            return where
        if name in SCALARS:
            return SCALARS[name](label, index)
        if name == "Array":
            return [
                self.value(wdl_type.parts[0], f"{where}-{i}", label, i) for i in range(ARRAY_LENGTH)
            ]
        if name == "Pair":
            left, right = wdl_type.parts
            return {
                "left": self.value(left, f"{where}-left", label, index),
                "right": self.value(right, f"{where}-right", label, index),
            }
        if name == "Map":
            key, item = wdl_type.parts
            return {
                self._key(key, f"{where}-key-{i}", label, i): self.value(
                    item, f"{where}-{i}", label, i
                )
                for i in range(1, ARRAY_LENGTH + 1)
            }
        if name == "Struct":
            return {
                member: self.value(part, f"{where}-{member}", member, index)
                for member, part in zip(wdl_type.members, wdl_type.parts, strict=True)
            }
        return {}

    def _key(self, wdl_type: WdlType, where: str, label: str, index: int) -> str:
        """A Map key, always a string in JSON; distinct for each entry."""
        if wdl_type.name in ("Int", "Float", "File"):
            return str(self.value(wdl_type, where, label, index))
        return f"{label}-{index}"


SCALARS: dict[str, Callable[[str, int], Any]] = {
    "String": lambda label, _: f"synthetic {label}",
    "Int": lambda _, index: index,
    "Float": lambda _, index: float(index),
    "Boolean": lambda _label, _index: True,
}
"""The made-up value of each scalar type, from the value's name and the shard index."""


def parsed(types: Mapping[str, str]) -> dict[str, WdlType]:
    return {name: parse_type(text) for name, text in types.items()}
