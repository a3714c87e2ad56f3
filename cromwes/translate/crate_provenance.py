"""The task attempts of a run in its RO-Crate: the Provenance Run Crate part (profile 0.5).

Each task attempt is a `CreateAction` whose `instrument` is its call (a `SoftwareApplication`
the workflow `hasPart`), orchestrated by a `ControlAction` of the call's `HowToStep`; tasks of
sub-workflows are flattened into the main workflow's steps. A call is named by its path without
shards and attempts (`wf.sub~sub.task`).
"""

from collections.abc import Callable, Sequence
from typing import Any
from urllib.parse import quote

from cromwes.translate.tasklogs import Task
from cromwes.translate.times import rfc3339

SCHEMA = "http://schema.org/"
DONE_CALLS = frozenset({"Done"})


def task_actions(
    crate: Any, entity: Callable[[str, dict[str, Any]], Any], workflow: Any, tasks: Sequence[Task]
) -> list[Any]:
    """Add every task attempt to `crate`; the ControlActions, for the engine's OrganizeAction."""
    tools: dict[str, tuple[Any, Any]] = {}
    controls = []
    for task in tasks:
        call = _call_path(task.id)
        if call not in tools:
            tool = entity(
                f"#call-{quote(call, safe='~.')}", {"@type": "SoftwareApplication", "name": call}
            )
            step = entity(
                f"#step-{quote(call, safe='~.')}",
                {
                    "@type": "HowToStep",
                    "name": call,
                    "position": str(len(tools)),
                    "workExample": {"@id": tool.id},
                },
            )
            workflow.append_to("hasPart", tool)
            workflow.append_to("step", step)
            tools[call] = (tool, step)
        tool, step = tools[call]
        properties = action_times(task, f"Task {task.id}")
        if task.command:
            properties["description"] = task.command
        action = crate.add_action(
            tool, f"#task-{quote(task.id, safe=':@~.')}", properties=properties
        )
        done = task.status in DONE_CALLS
        action["actionStatus"] = {
            "@id": SCHEMA + ("CompletedActionStatus" if done else "FailedActionStatus")
        }
        if not done:
            action["error"] = "; ".join(task.system_logs)
        controls.append(
            entity(
                f"#control-{quote(task.id, safe=':@~.')}",
                {
                    "@type": "ControlAction",
                    "name": f"orchestrate {task.id}",
                    "instrument": {"@id": step.id},
                    "object": {"@id": action.id},
                },
            )
        )
    return controls


def _call_path(task_id: str) -> str:
    """The call a task attempt runs, shards and attempts left out: `wf.sub~sub.task`."""
    return "~".join(part.split("@")[0].split(":")[0] for part in task_id.split("~"))


def action_times(source: Any, name: str | None) -> dict[str, Any]:
    if isinstance(source, Task):
        start, end = source.start_time, source.end_time
    else:
        start, end = rfc3339(source.get("start")), rfc3339(source.get("end"))
    times = {"startTime": start, "endTime": end, **({"name": name} if name else {})}
    return {key: value for key, value in times.items() if value is not None}
