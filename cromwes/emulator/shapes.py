"""The shape of a workflow whose calls are made up rather than run: synthetic and controlled ones.

A shape names the calls (with their scatter width, retried and failing shards, and the
sub-workflow they call, if any); `synthetic.py` turns a shape plus a workflow status into call
elements in Cromwell's recorded form. Shapes are plain data and round-trip through JSON, so they
live in the store beside the workflow record.
"""

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True, slots=True)
class CallShape:
    """One call in a workflow body."""

    alias: str
    callee: str
    shards: int = 0
    """0: not scattered (`shardIndex` -1); N: a scatter of N shards."""
    retries: Mapping[int, int] = field(default_factory=dict)
    """shard index (-1 when not scattered) -> failed attempts before the last one."""
    retry_all: int = 0
    """Failed attempts before the last one for every shard not named in `retries`."""
    failing_shards: frozenset[int] = frozenset()
    """Shards whose last attempt fails when the workflow ends `Failed`."""
    subworkflow: "WorkflowShape | None" = None

    @property
    def shard_indexes(self) -> range:
        return range(self.shards) if self.shards > 0 else range(-1, 0)

    def failed_attempts(self, shard: int) -> int:
        return self.retries.get(shard, self.retry_all)


@dataclass(frozen=True, slots=True)
class WorkflowShape:
    """A workflow: its name, its calls in source order and its declared outputs (name -> type)."""

    name: str
    calls: tuple[CallShape, ...] = ()
    outputs: Mapping[str, str] = field(default_factory=dict)


def shape_to_json(shape: WorkflowShape) -> dict[str, Any]:
    return {
        "name": shape.name,
        "outputs": dict(shape.outputs),
        "calls": [
            {
                "alias": call.alias,
                "callee": call.callee,
                "shards": call.shards,
                "retries": {str(k): v for k, v in call.retries.items()},
                "retry_all": call.retry_all,
                "failing_shards": sorted(call.failing_shards),
                "subworkflow": shape_to_json(call.subworkflow) if call.subworkflow else None,
            }
            for call in shape.calls
        ],
    }


def shape_from_json(data: Mapping[str, Any]) -> WorkflowShape:
    return WorkflowShape(
        name=str(data["name"]),
        outputs={str(k): str(v) for k, v in dict(data.get("outputs") or {}).items()},
        calls=tuple(
            CallShape(
                alias=str(call["alias"]),
                callee=str(call["callee"]),
                shards=int(call.get("shards", 0)),
                retries={int(k): int(v) for k, v in dict(call.get("retries") or {}).items()},
                retry_all=int(call.get("retry_all", 0)),
                failing_shards=frozenset(int(s) for s in call.get("failing_shards") or ()),
                subworkflow=shape_from_json(call["subworkflow"])
                if call.get("subworkflow")
                else None,
            )
            for call in data.get("calls") or ()
        ),
    )
