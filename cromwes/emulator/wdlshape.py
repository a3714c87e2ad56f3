"""The shape of a loaded WDL workflow as Cromwell lays out its calls: every call statement in
source order (sections flattened), with the types of its inputs and outputs, and every scatter
nested in a scatter as Cromwell's pseudo sub-workflow `ScatterAt<line>_<column>`.

Cromwell's graph cannot nest a scatter in a scatter, so it wraps the inner one in a sub-workflow
named after the position of the inner scatter's variable (1-based, wdl draft-3 transforms'
`ScatterElement`), called once per shard of the outer scatter with the outer variable as input
(metadata-nested-scatter-scatterat-v59.json: `ScatterAt9_25`, inputs `{"i": 0}`).
"""

import re
from collections.abc import Mapping
from typing import Any

import WDL

from cromwes.emulator.shapes import CallShape, WorkflowShape
from cromwes.emulator.values import type_text

SCATTER_HEAD = re.compile(r"scatter\s*\(\s*")


def source_texts(document: WDL.Tree.Document) -> dict[str, str]:
    """The text of every document of a loaded tree, by its path (positions point into them)."""
    texts = {document.pos.abspath: document.source_text}
    for imported in document.imports:
        if imported.doc is not None:
            texts |= source_texts(imported.doc)
    return texts


def workflow_shape(workflow: WDL.Tree.Workflow, texts: Mapping[str, str]) -> WorkflowShape:
    """The calls of a workflow; scattered calls get one shard until a controlled test says
    otherwise (scatter widths are never evaluated)."""
    return WorkflowShape(
        name=workflow.name,
        calls=tuple(_calls(workflow.body, workflow.name, None, texts)),
        outputs={b.name: type_text(b.value) for b in workflow.effective_outputs},
        inputs={b.name: type_text(b.value.type) for b in workflow.available_inputs},
    )


def _calls(
    nodes: list[Any], namespace: str, scatter: WDL.Tree.Scatter | None, texts: Mapping[str, str]
) -> list[CallShape]:
    found: list[CallShape] = []
    for node in nodes:
        if isinstance(node, WDL.Tree.Call):
            found.append(_call(node, scattered=scatter is not None, texts=texts))
        elif isinstance(node, WDL.Tree.Scatter) and scatter is not None:
            found.append(_scatter_at(node, scatter, namespace, texts))
        elif isinstance(node, WDL.Tree.Scatter):
            found += _calls(node.body, namespace, node, texts)
        elif isinstance(node, WDL.Tree.Conditional):
            found += _calls(node.body, namespace, scatter, texts)
    return found


def _call(node: WDL.Tree.Call, *, scattered: bool, texts: Mapping[str, str]) -> CallShape:
    callee = node.callee
    sub = workflow_shape(callee, texts) if isinstance(callee, WDL.Tree.Workflow) else None
    if isinstance(callee, WDL.Tree.Task):
        inputs = {b.name: type_text(b.value.type) for b in callee.available_inputs}
        outputs = {decl.name: type_text(decl.type) for decl in callee.outputs}
    else:
        inputs = dict(sub.inputs) if sub else {}
        outputs = dict(sub.outputs) if sub else {}
    return CallShape(
        alias=node.name,
        callee=callee.name if callee is not None else node.callee_id[-1],
        shards=1 if scattered else 0,
        subworkflow=sub,
        inputs=inputs,
        outputs=outputs,
    )


def _scatter_at(
    node: WDL.Tree.Scatter, outer: WDL.Tree.Scatter, namespace: str, texts: Mapping[str, str]
) -> CallShape:
    """The call, once per shard of `outer`, of the pseudo sub-workflow holding scatter `node`."""
    name = scatter_name(node, texts)
    calls = _calls(node.body, namespace, node, texts)
    # What the inner scatter gathers: each call's outputs, one array element per inner shard.
    gathered = {
        f"{call.alias}.{output}": f"Array[{wdl_type}]"
        for call in calls
        for output, wdl_type in _exposed(call).items()
    }
    item = outer.expr.type.item_type if isinstance(outer.expr.type, WDL.Type.Array) else None
    inputs = {outer.variable: type_text(item) if item is not None else "Any"}
    pseudo = WorkflowShape(
        name=namespace, calls=tuple(calls), outputs=gathered, inputs=inputs, pseudo=True
    )
    return CallShape(
        alias=name,
        callee=name,
        shards=1,
        subworkflow=pseudo,
        inputs=inputs,
        outputs={key.split(".", 1)[1]: wdl_type for key, wdl_type in gathered.items()},
    )


def _exposed(call: CallShape) -> Mapping[str, str]:
    """A call's outputs as its scatter sees them (a pseudo call's are already gathered)."""
    if call.subworkflow is not None and call.subworkflow.pseudo:
        return {key.split(".", 1)[1]: t for key, t in call.subworkflow.outputs.items()}
    return call.outputs


def scatter_name(node: WDL.Tree.Scatter, texts: Mapping[str, str]) -> str:
    """`ScatterAt<line>_<column>` of the scatter's variable (miniwdl positions are 1-based and
    point at the `scatter` keyword)."""
    line_number, column = node.pos.line, node.pos.column
    lines = texts.get(node.pos.abspath, "").splitlines()
    if line_number <= len(lines):
        head = SCATTER_HEAD.match(lines[line_number - 1], column - 1)
        if head is not None:
            column = head.end() + 1
    return f"ScatterAt{line_number}_{column}"
