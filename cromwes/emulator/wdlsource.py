"""Load a submitted WDL document the way Cromwell would resolve it, without blocking the loop.

Imports resolve from memory: first relative to the importing file, then from the root of the
`workflowDependencies` zip (Cromwell's two resolvers for a zip), or against the URL the main
document came from. Every file read is recorded in a `SourceBundle`, which the runner child
replays, so a run never re-fetches anything and sees exactly what was validated.
"""

import os
import posixpath
import urllib.parse
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import WDL
from WDL.Tree import ReadSourceResult

from cromwes.emulator.calls import Failure, failure
from cromwes.emulator.shapes import CallShape, WorkflowShape

Fetch = Callable[[str], Awaitable[str]]
"""Read a `file://` or loopback `http(s)://` URL (the app supplies it; it refuses the rest)."""
MAIN_FILE = "workflow.wdl"


@dataclass(slots=True)
class SourceBundle:
    """Every source text a document needed, and how each import resolved."""

    main: str
    files: dict[str, str] = field(default_factory=dict)
    resolutions: dict[str, str] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {"main": self.main, "files": self.files, "resolutions": self.resolutions}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> "SourceBundle":
        return cls(str(data["main"]), dict(data["files"]), dict(data["resolutions"]))


def resolution_key(importer: str, uri: str) -> str:
    return f"{importer}\n{uri}"


class SubmissionSources:
    """The `read_source` hook for `WDL.load_async`, serving one submission's files."""

    def __init__(
        self,
        source_dir: str,
        *,
        workflow: str | None,
        workflow_url: str | None,
        imports: Mapping[str, str],
        fetch: Fetch,
    ) -> None:
        self._root = source_dir
        self._workflow = workflow
        self._workflow_url = workflow_url
        self._imports = imports
        self._fetch = fetch
        main = (
            workflow_url
            if workflow_url and workflow is None
            else os.path.join(source_dir, MAIN_FILE)
        )
        self.bundle = SourceBundle(main=main)

    @property
    def main_uri(self) -> str:
        return self.bundle.main

    async def __call__(
        self, uri: str, path: list[str], importer: WDL.Tree.Document | None
    ) -> ReadSourceResult:
        if importer is None:
            abspath = self.bundle.main
            text = self._workflow if self._workflow is not None else await self._fetch(abspath)
        else:
            importer_path = importer.pos.abspath
            abspath, text = await self._resolve_import(uri, importer_path)
            self.bundle.resolutions[resolution_key(importer_path, uri)] = abspath
        self.bundle.files[abspath] = text
        return ReadSourceResult(source_text=text, abspath=abspath)

    async def _resolve_import(self, uri: str, importer: str) -> tuple[str, str]:
        if _is_url(uri):
            return uri, await self._fetch(uri)
        if _is_url(importer):
            url = urllib.parse.urljoin(importer, uri)
            return url, await self._fetch(url)
        importer_dir = posixpath.dirname(importer)
        beside = posixpath.normpath(posixpath.join(importer_dir, uri))
        relative = posixpath.relpath(beside, self._root)
        for candidate in (relative, posixpath.normpath(uri.lstrip("/"))):
            if not candidate.startswith("..") and candidate in self._imports:
                return posixpath.join(self._root, candidate), self._imports[candidate]
        if uri.startswith("/") and os.path.isabs(uri):
            raise FileNotFoundError(f"absolute import paths are not served by the emulator: {uri}")
        raise FileNotFoundError(
            f"Failed to resolve '{uri}': not found relative to {importer} "
            "nor at the root of workflowDependencies"
        )


class BundleSources:
    """The runner's `read_source` hook: replays a `SourceBundle` recorded at validation."""

    def __init__(self, bundle: SourceBundle) -> None:
        self._bundle = bundle

    async def __call__(
        self, uri: str, path: list[str], importer: WDL.Tree.Document | None
    ) -> ReadSourceResult:
        if importer is None:
            abspath = self._bundle.main
        else:
            abspath = self._bundle.resolutions[resolution_key(importer.pos.abspath, uri)]
        return ReadSourceResult(source_text=self._bundle.files[abspath], abspath=abspath)


@dataclass(frozen=True, slots=True)
class LoadedWorkflow:
    """What the emulator learns from a document that loaded and typechecked."""

    document: WDL.Tree.Document
    workflow: WDL.Tree.Workflow
    language_version: str
    shape: WorkflowShape


class WorkflowUnusable(Exception):
    """The document cannot run; `failures` is Cromwell's cause tree for the workflow."""

    def __init__(self, failures: list[Failure], language_version: str | None = None) -> None:
        super().__init__(failures[0]["message"] if failures else "workflow unusable")
        self.failures = failures
        self.language_version = language_version


async def load_workflow(sources: SubmissionSources) -> LoadedWorkflow:
    """Load, typecheck and describe the submitted workflow, or raise `WorkflowUnusable` with the
    causes Cromwell would put under "Workflow input processing failed"."""
    try:
        document = await WDL.load_async(sources.main_uri, read_source=sources)
    except Exception as exn:
        raise WorkflowUnusable([exception_failure(exn)]) from exn
    version = document.wdl_version or "draft-2"
    if document.workflow is None:
        raise WorkflowUnusable(
            [failure("Namespace does not have a local workflow to run")], language_version=version
        )
    return LoadedWorkflow(document, document.workflow, version, workflow_shape(document.workflow))


def input_problems(workflow: WDL.Tree.Workflow, inputs: Mapping[str, Any]) -> list[Failure]:
    """Cromwell's complaints about the inputs: each missing required input by name
    (metadata-failed-before-calls-includekey.json), then anything miniwdl refuses."""
    missing = [
        failure(f"Required workflow input '{workflow.name}.{binding.name}' not specified")
        for binding in workflow.required_inputs
        if f"{workflow.name}.{binding.name}" not in inputs and binding.name not in inputs
    ]
    if missing:
        return missing
    try:
        WDL.values_from_json(
            dict(inputs),
            workflow.available_inputs,
            workflow.required_inputs,
            namespace=workflow.name,
        )
    except Exception as exn:
        return [exception_failure(exn)]
    return []


def workflow_shape(workflow: WDL.Tree.Workflow) -> WorkflowShape:
    """The calls of a workflow in source order (sections flattened); scattered calls get one
    shard until a controlled test says otherwise."""

    def calls_in(nodes: list[Any], scattered: bool) -> list[CallShape]:
        found: list[CallShape] = []
        for node in nodes:
            if isinstance(node, WDL.Tree.Call):
                callee = node.callee
                sub = workflow_shape(callee) if isinstance(callee, WDL.Tree.Workflow) else None
                found.append(
                    CallShape(
                        alias=node.name,
                        callee=callee.name if callee is not None else node.callee_id[-1],
                        shards=1 if scattered else 0,
                        subworkflow=sub,
                    )
                )
            elif isinstance(node, WDL.Tree.Scatter):
                found += calls_in(node.body, True)
            elif isinstance(node, WDL.Tree.Conditional):
                found += calls_in(node.body, scattered)
        return found

    outputs = {decl.name: str(decl.type) for decl in workflow.outputs or []}
    return WorkflowShape(
        name=workflow.name, calls=tuple(calls_in(workflow.body, False)), outputs=outputs
    )


def exception_failure(exn: BaseException) -> Failure:
    """A failure tree from an exception and its causes, innermost last."""
    causes = [exception_failure(exn.__cause__)] if exn.__cause__ is not None else []
    return failure(_describe(exn), causes)


def _describe(exn: BaseException) -> str:
    if isinstance(exn, WDL.Error.MultipleValidationErrors):
        return "; ".join(_describe(e) for e in exn.exceptions)
    position = getattr(exn, "pos", None)
    text = str(exn) or exn.__class__.__name__
    if position is not None and getattr(position, "line", None):
        return f"{text} ({position.uri} line {position.line}, column {position.column})"
    return text


def _is_url(text: str) -> bool:
    return urllib.parse.urlsplit(text).scheme in ("http", "https", "file")
