"""The WDL types of the values a Cromwell metadata body holds, read from the workflow's source
with miniwdl, and the check of a JSON value against one: what the structural comparison holds
`inputs` and `outputs` to (a File is a path, an Array an array, a Pair `{"left", "right"}`...).

Where each type sits follows the recorded bodies, not the emulator: a root document's `inputs`
and `outputs` are keyed `<workflow>.<name>` (metadata-succeeded.json); a sub-workflow document
is named after its call's alias, with bare input names and outputs keyed by the callee's name
(metadata-callcached-scattered-subworkflows-caas-v53.json, `sc_pe` / `SmartSeq2SingleCell.x`); a
call element's are bare names. A scatter nested in a scatter is Cromwell's pseudo sub-workflow
`ScatterAt<line>_<column>` (of the inner scatter's variable), called without a workflow prefix,
whose calls keep the enclosing workflow's name (metadata-nested-scatter-scatterat-v59.json).
"""

import posixpath
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import WDL
from WDL.Tree import ReadSourceResult

SCATTER_HEAD = re.compile(r"scatter\s*\(\s*")


@dataclass(frozen=True)
class Io:
    """Declared types of the `inputs` and `outputs` of one document or call element."""

    inputs: dict[str, WDL.Type.Base] = field(default_factory=dict)
    outputs: dict[str, WDL.Type.Base] = field(default_factory=dict)

    def of(self, which: str) -> dict[str, WDL.Type.Base]:
        return self.inputs if which == "inputs" else self.outputs


@dataclass(frozen=True)
class WdlTypes:
    """Declared types by where Cromwell writes them: documents by `workflowName`, call elements
    by their key in `calls`."""

    root: str
    documents: dict[str, Io]
    calls: dict[str, Io]

    def document(self, name: str | None) -> Io | None:
        return self.documents.get(name or self.root)

    def call(self, fqn: str) -> Io | None:
        return self.calls.get(fqn)


async def wdl_types(source: str, dependencies: Mapping[str, str] | None = None) -> WdlTypes:
    """The types of a workflow submitted as `source` (file name `workflow.wdl`) with the
    `workflowDependencies` members `dependencies` (paths inside the zip)."""
    files = {"/wdl/workflow.wdl": source}
    files |= {posixpath.join("/wdl", name): text for name, text in (dependencies or {}).items()}

    async def read_source(uri: str, path: list[str], importer: Any) -> Any:
        base = posixpath.dirname(importer.pos.abspath) if importer is not None else "/wdl"
        abspath = posixpath.normpath(posixpath.join(base, uri))
        return ReadSourceResult(source_text=files[abspath], abspath=abspath)

    document = await WDL.load_async("/wdl/workflow.wdl", read_source=read_source)
    texts = {"/wdl/workflow.wdl": source} | {
        d.pos.abspath: d.source_text for d in _documents(document)
    }
    assert document.workflow is not None
    builder = _Builder(texts)
    root = document.workflow
    inputs = {f"{root.name}.{b.name}": b.value.type for b in root.available_inputs}
    # Cromwell 91 writes the workflow's own inputs bare (more/metadata-callcached-all-hits-
    # local-v91.json: `output_basename`), older ones qualified (metadata-succeeded.json).
    inputs |= {b.name: b.value.type for b in root.available_inputs if "." not in b.name}
    builder.documents[root.name] = Io(
        inputs, {f"{root.name}.{b.name}": b.value for b in root.effective_outputs}
    )
    builder.body(root.body, namespace=root.name, scatter=None)
    return WdlTypes(root.name, builder.documents, builder.calls)


def _documents(document: WDL.Tree.Document) -> list[WDL.Tree.Document]:
    found = [document]
    for imported in document.imports:
        if imported.doc is not None:
            found += _documents(imported.doc)
    return found


class _Builder:
    def __init__(self, texts: Mapping[str, str]) -> None:
        self.texts = texts
        self.documents: dict[str, Io] = {}
        self.calls: dict[str, Io] = {}

    def body(
        self, nodes: list[Any], *, namespace: str, scatter: WDL.Tree.Scatter | None
    ) -> list[tuple[str, str, WDL.Type.Base]]:
        """Register every call in `nodes`; return (call alias, output, type) of what they
        output, as seen by the enclosing scatter (gathered into arrays above it)."""
        produced: list[tuple[str, str, WDL.Type.Base]] = []
        for node in nodes:
            if isinstance(node, WDL.Tree.Call):
                produced += self.call(node, namespace)
            elif isinstance(node, WDL.Tree.Scatter) and scatter is not None:
                produced += self.pseudo(node, scatter, namespace)
            elif isinstance(node, WDL.Tree.Scatter):
                inner = self.body(node.body, namespace=namespace, scatter=node)
                produced += [(c, o, WDL.Type.Array(t)) for c, o, t in inner]
            elif isinstance(node, WDL.Tree.Conditional):
                inner = self.body(node.body, namespace=namespace, scatter=scatter)
                produced += [(c, o, t.copy(optional=True)) for c, o, t in inner]
        return produced

    def call(self, node: WDL.Tree.Call, namespace: str) -> list[tuple[str, str, WDL.Type.Base]]:
        callee = node.callee
        assert callee is not None
        fqn = f"{namespace}.{node.name}"
        if isinstance(callee, WDL.Tree.Task):
            io = Io(
                {b.name: b.value.type for b in callee.available_inputs},
                {decl.name: decl.type for decl in callee.outputs},
            )
            self.calls[fqn] = io
            return [(node.name, name, t) for name, t in io.outputs.items()]
        outputs = {b.name: b.value for b in callee.effective_outputs}
        inputs = {b.name: b.value.type for b in callee.available_inputs}
        self.calls[fqn] = Io(inputs, outputs)
        self.documents[node.name] = Io(
            inputs, {f"{callee.name}.{name}": t for name, t in outputs.items()}
        )
        self.body(callee.body, namespace=callee.name, scatter=None)
        return [(node.name, name, t) for name, t in outputs.items()]

    def pseudo(
        self, node: WDL.Tree.Scatter, outer: WDL.Tree.Scatter, namespace: str
    ) -> list[tuple[str, str, WDL.Type.Base]]:
        """A scatter inside a scatter: the call of a pseudo sub-workflow holding it."""
        name = self.scatter_name(node)
        inner = self.body(node.body, namespace=namespace, scatter=node)
        gathered = [(c, o, WDL.Type.Array(t)) for c, o, t in inner]
        element = outer.expr.type.item_type if isinstance(outer.expr.type, WDL.Type.Array) else None
        inputs = {outer.variable: element or WDL.Type.Any()}
        self.calls[name] = Io(inputs, {o: t for _, o, t in gathered})
        self.documents[name] = Io(inputs, {f"{c}.{o}": t for c, o, t in gathered})
        return [(c, o, t) for c, o, t in gathered]

    def scatter_name(self, node: WDL.Tree.Scatter) -> str:
        """Cromwell's `ScatterAt<line>_<column>` of the scatter variable (1-based)."""
        lines = self.texts[node.pos.abspath].splitlines()
        line = lines[node.pos.line - 1]
        head = SCATTER_HEAD.match(line, node.pos.column - 1)
        assert head is not None, line
        return f"ScatterAt{node.pos.line}_{head.end() + 1}"


def value_problems(value: Any, wdl_type: WDL.Type.Base, path: str) -> list[str]:
    """How `value` is not a JSON value of `wdl_type` as Cromwell writes one (empty when it is)."""
    if value is None:
        return (
            []
            if wdl_type.optional or isinstance(wdl_type, WDL.Type.Any)
            else [f"{path}: null for a {wdl_type}"]
        )
    if isinstance(wdl_type, WDL.Type.Any):
        return []
    if isinstance(wdl_type, WDL.Type.File | WDL.Type.Directory):
        is_path = isinstance(value, str) and (value.startswith("/") or "://" in value)
        return [] if is_path else [f"{path}: {value!r} is not a path ({wdl_type})"]
    scalars: dict[type[WDL.Type.Base], tuple[type, ...]] = {
        WDL.Type.String: (str,),
        WDL.Type.Int: (int,),
        # A Float may come as an integer: `Float uniquekmer=1000` is 1000 in more/metadata-
        # awsbatch-s3-partial-cachehit-v77.json.
        WDL.Type.Float: (int, float),
        WDL.Type.Boolean: (bool,),
    }
    for kind, python in scalars.items():
        if isinstance(wdl_type, kind):
            fits = isinstance(value, python) and (kind is WDL.Type.Boolean) == isinstance(
                value, bool
            )
            return [] if fits else [f"{path}: {value!r} is not a {wdl_type}"]
    if isinstance(wdl_type, WDL.Type.Array):
        return _array_problems(value, wdl_type, path)
    if not isinstance(value, dict):
        return [f"{path}: {type(value).__name__} where a {wdl_type} is an object"]
    if isinstance(wdl_type, WDL.Type.Pair):
        if set(value) != {"left", "right"}:
            return [f"{path}: keys {sorted(value)} where a {wdl_type} has left and right"]
        return value_problems(value["left"], wdl_type.left_type, f"{path}.left") + (
            value_problems(value["right"], wdl_type.right_type, f"{path}.right")
        )
    if isinstance(wdl_type, WDL.Type.Map):
        key_type, item_type = wdl_type.item_type
        problems = []
        for key, item in value.items():
            if isinstance(key_type, WDL.Type.Int) and not re.fullmatch(r"-?\d+", key):
                problems.append(f"{path}: key {key!r} of a {wdl_type} is not an Int")
            problems += value_problems(item, item_type, f"{path}.{key}")
        return problems
    if isinstance(wdl_type, WDL.Type.StructInstance) and wdl_type.members is not None:
        members = wdl_type.members
        problems = [f"{path}.{k}: not a member of {wdl_type}" for k in value.keys() - members]
        for name, member_type in members.items():
            if name not in value and not member_type.optional:
                problems.append(f"{path}.{name}: member of {wdl_type} missing")
            elif name in value:
                problems += value_problems(value[name], member_type, f"{path}.{name}")
        return problems
    return []


def _array_problems(value: Any, wdl_type: WDL.Type.Array, path: str) -> list[str]:
    if not isinstance(value, list):
        return [f"{path}: {type(value).__name__} where a {wdl_type} is an array"]
    if wdl_type.nonempty and not value:
        return [f"{path}: empty {wdl_type}"]
    problems: list[str] = []
    for index, item in enumerate(value):
        problems += value_problems(item, wdl_type.item_type, f"{path}[{index}]")
    return problems
