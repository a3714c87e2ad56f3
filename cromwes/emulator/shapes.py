"""The shape of a workflow whose calls are made up rather than run: synthetic and controlled ones.

A shape names the calls (with their scatter width, retried and failing shards, how their jobs
end, the types of their inputs and outputs, and the sub-workflow they call, if any);
`synthetic.py` turns a shape plus a workflow status into call elements in Cromwell's recorded
form. Shapes are plain data and round-trip through JSON, so they live in the store beside the
workflow record.
"""

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

FAILS_AS = ("exit", "killed", "unsubmitted")
"""How a failing attempt fails: its command exits non-zero (`returnCode` = the call's
`return_code`, metadata-failed.json, or negative as in metadata-failed-returncode-minus1-local-
2017.json); the backend kills it (exit 137: no `returnCode`, metadata-failed-exit137-no-
returncode-v88.json); it never starts (no `returnCode` nor `backendStatus`, metadata-failed-
job-submit-no-returncode-v52.json)."""
RETRIES_AS = ("exit", "preempted")
"""Why an attempt is retried: a non-zero exit, or a preemption (`backendStatus: Preempted`,
no `returnCode`, metadata-preempted-retryablefailure-papi-v53.json)."""


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
    inputs: Mapping[str, str] = field(default_factory=dict)
    """Input name -> WDL type (`values.type_text`), as a call element lists its inputs."""
    outputs: Mapping[str, str] = field(default_factory=dict)
    """Output name -> WDL type."""
    return_code: int = 1
    """The exit code of an attempt that fails by exiting."""
    fails_as: str = "exit"
    retries_as: str = "exit"
    cache_hits: frozenset[int] = frozenset()
    """Shards whose job is a call-cache hit (when it succeeds)."""
    cache_hits_all: bool = False
    """Every shard's job is a call-cache hit."""

    @property
    def shard_indexes(self) -> range:
        return range(self.shards) if self.shards > 0 else range(-1, 0)

    def failed_attempts(self, shard: int) -> int:
        return 0 if self.is_cache_hit(shard) else self.retries.get(shard, self.retry_all)

    def is_cache_hit(self, shard: int) -> bool:
        return self.cache_hits_all or shard in self.cache_hits

    @property
    def caches(self) -> bool:
        return self.cache_hits_all or bool(self.cache_hits)


@dataclass(frozen=True, slots=True)
class WorkflowShape:
    """A workflow: its name, its calls in source order and its declared outputs (name -> type).

    A `pseudo` workflow is Cromwell's `ScatterAt<line>_<column>`, the sub-workflow it makes of a
    scatter nested in a scatter (metadata-nested-scatter-scatterat-v59.json): its `name` is the
    enclosing workflow's (its calls are named `<enclosing>.<call>`), its call has no workflow
    prefix, and its outputs are keyed `<call>.<output>`.
    """

    name: str
    calls: tuple[CallShape, ...] = ()
    outputs: Mapping[str, str] = field(default_factory=dict)
    inputs: Mapping[str, str] = field(default_factory=dict)
    """Input name -> WDL type, as a sub-workflow's document lists them (bare names)."""
    pseudo: bool = False

    def call_name(self, call: CallShape) -> str:
        """The call's key in `calls`."""
        if call.subworkflow is not None and call.subworkflow.pseudo:
            return call.alias
        return f"{self.name}.{call.alias}"

    def output_key(self, output: str) -> str:
        """An output's key in this workflow's document."""
        return output if self.pseudo else f"{self.name}.{output}"

    @property
    def caches(self) -> bool:
        """Whether call caching is on: some call somewhere is a hit."""
        return any(c.caches or (c.subworkflow and c.subworkflow.caches) for c in self.calls)


def shape_to_json(shape: WorkflowShape) -> dict[str, Any]:
    return {
        "name": shape.name,
        "outputs": dict(shape.outputs),
        "inputs": dict(shape.inputs),
        "pseudo": shape.pseudo,
        "calls": [
            {
                "alias": call.alias,
                "callee": call.callee,
                "shards": call.shards,
                "retries": {str(k): v for k, v in call.retries.items()},
                "retry_all": call.retry_all,
                "failing_shards": sorted(call.failing_shards),
                "subworkflow": shape_to_json(call.subworkflow) if call.subworkflow else None,
                "inputs": dict(call.inputs),
                "outputs": dict(call.outputs),
                "return_code": call.return_code,
                "fails_as": call.fails_as,
                "retries_as": call.retries_as,
                "cache_hits": sorted(call.cache_hits),
                "cache_hits_all": call.cache_hits_all,
            }
            for call in shape.calls
        ],
    }


def shape_from_json(data: Mapping[str, Any]) -> WorkflowShape:
    return WorkflowShape(
        name=str(data["name"]),
        outputs=_types(data.get("outputs")),
        inputs=_types(data.get("inputs")),
        pseudo=bool(data.get("pseudo", False)),
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
                inputs=_types(call.get("inputs")),
                outputs=_types(call.get("outputs")),
                return_code=int(call.get("return_code", 1)),
                fails_as=str(call.get("fails_as", "exit")),
                retries_as=str(call.get("retries_as", "exit")),
                cache_hits=frozenset(int(s) for s in call.get("cache_hits") or ()),
                cache_hits_all=bool(call.get("cache_hits_all", False)),
            )
            for call in data.get("calls") or ()
        ),
    )


def _types(data: Any) -> dict[str, str]:
    return {str(k): str(v) for k, v in dict(data or {}).items()}
