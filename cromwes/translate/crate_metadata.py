"""`ro-crate-metadata.json` of a finished run: a Workflow Run Crate, and a Provenance Run Crate
when the metadata names tasks (profiles 0.5, https://w3id.org/ro/wfrun/workflow/0.5).

Built with the `rocrate` library, in memory and without I/O:

* the main workflow file is the crate's `mainEntity`, a `ComputationalWorkflow` in WDL, with one
  `FormalParameter` per workflow input and output;
* one `CreateAction` is the run: `instrument` the workflow, `object` its inputs, `result` its
  outputs (a `File` for each of the run's own files, a `PropertyValue` for any other value),
  `startTime`, `endTime`, `actionStatus`, the caller as `agent` when there is one;
* Cromwell is a `SoftwareApplication` with the version it reports, the `instrument` of an
  `OrganizeAction` whose `result` is the run;
* each task attempt is a `CreateAction` whose `instrument` is its call (a `SoftwareApplication`
  the workflow `hasPart`), orchestrated by a `ControlAction` of the call's `HowToStep`. Tasks of
  sub-workflows are flattened into the main workflow's steps.
"""

import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from cromwes.cromwell.types import Metadata
from cromwes.models import State
from cromwes.translate.crate_provenance import SCHEMA, action_times, task_actions
from cromwes.translate.rocrate import CrateFile, WorkflowFile
from cromwes.translate.runfiles import FileType
from cromwes.translate.tasklogs import Task, failure_messages
from cromwes.translate.times import rfc3339

WFRUN = "https://w3id.org/ro/wfrun"
PROFILES = {
    f"{WFRUN}/process/0.5": "Process Run Crate",
    f"{WFRUN}/workflow/0.5": "Workflow Run Crate",
    "https://w3id.org/workflowhub/workflow-ro-crate/1.0": "Workflow RO-Crate",
}
PROVENANCE = f"{WFRUN}/provenance/0.5"
WFRUN_CONTEXT = "https://w3id.org/ro/terms/workflow-run/context"
CROMWELL = "https://github.com/broadinstitute/cromwell"


@dataclass(frozen=True, slots=True, kw_only=True)
class RunRecord:
    """What the crate describes, gathered by `cromwes.service.rocrate`."""

    run_id: str
    state: State
    metadata: Metadata
    workflow: Sequence[WorkflowFile]
    """The main workflow first (none when Cromwell kept no source), then its imports."""
    workflow_url: str
    files: Sequence[CrateFile]
    tasks: Sequence[Task]
    engine_version: str | None
    user: str | None
    license: str | None
    translate: Callable[[str], str]
    """A Cromwell path as clients see it (path translation)."""


def crate_metadata(record: RunRecord) -> dict[str, Any]:
    """The JSON-LD document of the crate."""
    # Imported on first use: the library and its vocabularies cost ~15 MB a gateway that
    # never makes a crate should not carry.
    from rocrate.model.computerlanguage import ComputerLanguage
    from rocrate.model.contextentity import ContextEntity
    from rocrate.rocrate import ROCrate

    metadata = record.metadata
    crate = ROCrate(version="1.1")
    crate.metadata.extra_contexts.append(WFRUN_CONTEXT)
    name = metadata.get("workflowName") or "workflow"
    root = crate.root_dataset
    root["name"] = f"Cromwell run {record.run_id} of {name}"
    root["description"] = f"Workflow Run RO-Crate of run {record.run_id} ({record.state.value})."
    root["datePublished"] = rfc3339(metadata.get("end")) or rfc3339(metadata.get("submission"))
    root["license"] = _license(crate, ContextEntity, record.license)

    def entity(identifier: str, properties: dict[str, Any]) -> Any:
        return crate.add(ContextEntity(crate, identifier, properties=properties))

    language = crate.add(
        ComputerLanguage(
            crate,
            "#wdl",
            properties={
                "name": "Workflow Description Language",
                "alternateName": "WDL",
                "url": {"@id": "https://openwdl.org/"},
                "version": str(metadata.get("actualWorkflowLanguageVersion") or ""),
            },
        )
    )
    main = record.workflow[0] if record.workflow else None
    remote = record.workflow_url if record.workflow_url.startswith(("http://", "https://")) else ""
    workflow = crate.add_workflow(
        source=None if main else remote or None,
        dest_path=main.member if main else (None if remote else "#workflow"),
        main=True,
        lang=language,
        properties={
            "@type": ["File", "SoftwareSourceCode", "ComputationalWorkflow"]
            + (["HowTo"] if record.tasks else []),
            "name": name,
            **({"url": remote} if remote else {}),
        },
    )
    for imported in record.workflow[1:]:
        crate.add_file(
            source=None,
            dest_path=imported.member,
            properties={
                "@type": ["File", "SoftwareSourceCode"],
                "name": imported.member,
                "encodingFormat": "text/plain",
                "contentSize": len(imported.content),
            },
        )
    files = {file.path: _file(crate, file) for file in record.files}
    inputs = _realized(entity, workflow, "input", metadata.get("inputs") or {}, files, record)
    outputs = _realized(entity, workflow, "output", metadata.get("outputs") or {}, files, record)

    run = crate.add_action(
        workflow,
        f"#{record.run_id}",
        object=inputs,
        result=outputs,
        properties=action_times(metadata, f"Run {record.run_id} of {name}"),
    )
    run["actionStatus"] = {"@id": SCHEMA + _status(record.state)}
    if record.state is not State.COMPLETE:
        run["error"] = "; ".join(failure_messages(metadata.get("failures") or [])) or (
            f"The run ended {record.state.value}."
        )
    if record.user:
        run["agent"] = entity(
            f"#user-{quote(record.user, safe='')}", {"@type": "Person", "name": record.user}
        )
    root.append_to("mentions", run)
    engine = entity(
        CROMWELL,
        {
            "@type": "SoftwareApplication",
            "name": "Cromwell",
            "url": {"@id": "https://cromwell.readthedocs.io/"},
        },
    )
    if record.engine_version:
        engine["softwareVersion"] = record.engine_version
    controls = task_actions(crate, entity, workflow, record.tasks) if record.tasks else []
    organize = entity(
        f"#engine-{record.run_id}",
        {
            "@type": "OrganizeAction",
            "name": f"Cromwell orchestrating run {record.run_id}",
            **action_times(metadata, None),
        },
    )
    organize["instrument"], organize["result"], organize["object"] = engine, run, controls
    profiles = {**PROFILES, **({PROVENANCE: "Provenance Run Crate"} if record.tasks else {})}
    root["conformsTo"] = [
        entity(uri, {"@type": "CreativeWork", "name": title, "version": uri.rsplit("/", 1)[-1]})
        for uri, title in profiles.items()
    ]
    document: dict[str, Any] = crate.metadata.generate()
    return document


def _license(crate: Any, entity_class: Any, license_url: str | None) -> Any:
    if license_url:
        return {"@id": license_url}
    return crate.add(
        entity_class(
            crate,
            "#license",
            properties={
                "@type": "CreativeWork",
                "name": "No licence was given",
                "description": "The gateway was given no licence for its runs (ro_crate.license).",
            },
        )
    )


def _file(crate: Any, file: CrateFile) -> Any:
    properties: dict[str, Any] = {"name": file.path.rsplit("/", 1)[-1], "alternateName": file.path}
    if file.size is not None:
        properties["contentSize"] = file.size
    if file.member is None:
        properties["description"] = (
            "Not in the crate (larger than ro_crate.max_file_size, or unreadable): GET this URL "
            "with Accept: application/octet-stream and the run's credentials."
        )
        return crate.add_file(source=file.url, properties=properties)
    return crate.add_file(source=None, dest_path=file.member, properties=properties)


def _realized(
    entity: Callable[[str, dict[str, Any]], Any],
    workflow: Any,
    direction: str,
    values: Mapping[str, Any],
    files: Mapping[str, Any],
    record: RunRecord,
) -> list[Any]:
    """A FormalParameter per value, and the entities that realize it (files or a value)."""
    wanted = FileType.FINAL if direction == "output" else FileType.INPUT
    own = {f.path for f in record.files if f.file_type is wanted}
    realized = []
    for key, value in values.items():
        paths = [p for text in _strings(value) if (p := record.translate(text)) in own]
        kind = "File" if paths else _data_type(value)
        parameter = entity(
            f"#{direction}-{quote(key, safe='')}",
            {
                "@type": "FormalParameter",
                "name": key,
                "additionalType": kind,
                "conformsTo": {
                    "@id": "https://bioschemas.org/profiles/FormalParameter/1.0-RELEASE"
                },
            },
        )
        workflow.append_to(direction, parameter)
        if paths:
            for path in dict.fromkeys(paths):
                files[path].append_to("exampleOfWork", parameter)
                realized.append(files[path])
            continue
        shown = value if isinstance(value, str | int | float | bool) else json.dumps(value)
        realized.append(
            entity(
                f"#{direction}-{quote(key, safe='')}-value",
                {
                    "@type": "PropertyValue",
                    "name": key,
                    "value": shown,
                    "exampleOfWork": {"@id": parameter.id},
                },
            )
        )
    return realized


def _status(state: State) -> str:
    return "CompletedActionStatus" if state is State.COMPLETE else "FailedActionStatus"


def _data_type(value: Any) -> str:
    if isinstance(value, bool):
        return "Boolean"
    if isinstance(value, int):
        return "Integer"
    if isinstance(value, float):
        return "Float"
    if isinstance(value, str):
        return "Text"
    return "PropertyValue"


def _strings(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, list):
        return [text for item in value for text in _strings(item)]
    if isinstance(value, dict):
        return [text for item in value.values() for text in _strings(item)]
    return []
