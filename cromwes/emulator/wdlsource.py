"""Load a submitted WDL document the way Cromwell would resolve it, without blocking the loop.

Sources come from the submission itself or from http(s) URLs, never from a host file a submission
names. Imports resolve from memory: relative to the importing file, then from the root of the
`workflowDependencies` zip (Cromwell's two resolvers for a zip; the main file, which has no
folder, only from the root), without leaving the zip; or against the URL the importing document
came from. Every file read is recorded in a `SourceBundle`, which the runner child replays, so a
run never re-fetches anything and sees exactly what was validated.
"""

import posixpath
import re
import urllib.parse
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import WDL
from WDL.Tree import ReadSourceResult

from cromwes.emulator.calls import Failure, failure
from cromwes.emulator.records import SubmittedFiles
from cromwes.emulator.shapes import WorkflowShape
from cromwes.emulator.wdlfailures import load_failure
from cromwes.emulator.wdlshape import source_texts, workflow_shape

Fetch = Callable[[str], Awaitable[str]]
"""Read a loopback `http(s)://` URL (the app supplies it; it refuses everything else)."""
MAIN_FILE = "workflow.wdl"
MAX_BRACKET_DEPTH = 12
"""Levels of `[` a WDL file may nest: miniwdl's parser takes exponential time over nested array
literals (15 levels 0.5 s, 18 levels 4 s, 30 never ends) and would hold the event loop, where
real WDL nests two or three."""
_BRACKETS = re.compile(r"[\[\]]")
"""The main file's name when the client gave none. On disk it sits in `main/`, beside the `src/`
folder of the dependencies, so no dependency of the same name can take its place."""


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
        folder: str,
        *,
        workflow: str | None,
        workflow_url: str | None,
        imports: Mapping[str, str],
        fetch: Fetch,
        workflow_name: str | None = None,
    ) -> None:
        self._root = posixpath.join(folder, "src")
        self._workflow = workflow
        self._imports = imports
        self._fetch = fetch
        # `main_name` is what messages call the main document: the URL, or the name submitted.
        # miniwdl wants a document's path to end with the last part of its name.
        if workflow_url and workflow is None:
            self.main_name = main = workflow_url
        else:
            self.main_name = _file_name(workflow_name)
            main = posixpath.join(folder, "main", posixpath.basename(self.main_name))
        self.bundle = SourceBundle(main=main)

    @classmethod
    def of(cls, folder: Path, files: SubmittedFiles, fetch: Fetch) -> "SubmissionSources":
        """The sources of one submission, kept under its folder (`<data>/submissions/<id>`)."""
        return cls(
            str(folder),
            workflow=files.workflow,
            workflow_url=files.workflow_url,
            workflow_name=files.workflow_name,
            imports=files.imports,
            fetch=fetch,
        )

    @property
    def main_uri(self) -> str:
        return self.bundle.main

    def submitted(self, abspath: str) -> bool:
        """Whether a document is the submitter's own text (not something fetched from a URL)."""
        if _is_http(abspath):
            return False
        return abspath == self.bundle.main or _within(abspath, self._root)

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
        if bracket_depth(text) > MAX_BRACKET_DEPTH:
            raise ValueError(
                f"{posixpath.basename(uri)}: brackets nest more than {MAX_BRACKET_DEPTH} levels "
                "deep, past what the emulator's WDL parser reads in reasonable time"
            )
        self.bundle.files[abspath] = text
        return ReadSourceResult(source_text=text, abspath=abspath)

    async def _resolve_import(self, uri: str, importer: str) -> tuple[str, str]:
        scheme = urllib.parse.urlsplit(uri).scheme
        if scheme in ("http", "https"):
            return uri, await self._fetch(uri)
        if scheme:
            raise PermissionError(
                # Short enough for a failure line (wdlfailures.LINE_CHARACTERS) with a usual URI.
                f"Failed to resolve '{uri}': host files are never read; "
                "import from the submission or an http(s) URL"
            )
        if _is_http(importer):
            url = urllib.parse.urljoin(importer, uri)
            return url, await self._fetch(url)
        if uri.startswith("/"):
            raise FileNotFoundError(f"absolute import paths are not served by the emulator: {uri}")
        for candidate in self._candidates(uri, importer):
            if candidate in self._imports:
                return posixpath.join(self._root, candidate), self._imports[candidate]
        raise FileNotFoundError(
            f"Failed to resolve '{uri}': not found relative to the importing file nor at the "
            "root of workflowDependencies"
        )

    def _candidates(self, uri: str, importer: str) -> list[str]:
        """Paths inside the zip an import may name, first match wins; none leaves the zip."""
        from_root = posixpath.normpath(uri)
        if importer == self.bundle.main:
            found = [from_root]
        else:
            beside = posixpath.normpath(posixpath.join(posixpath.dirname(importer), uri))
            found = [posixpath.relpath(beside, self._root), from_root]
        return [c for c in found if c != ".." and not c.startswith("../")]


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
        document = await WDL.load_async(sources.main_name, read_source=sources)
    except Exception as exn:
        raise WorkflowUnusable([load_failure(exn, sources.submitted)]) from exn
    version = document.wdl_version or "draft-2"
    if document.workflow is None:
        raise WorkflowUnusable(
            [failure("Namespace does not have a local workflow to run")], language_version=version
        )
    shape = workflow_shape(document.workflow, source_texts(document))
    return LoadedWorkflow(document, document.workflow, version, shape)


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
        return [load_failure(exn, lambda _: True)]
    return []


def bracket_depth(text: str) -> int:
    """How deep `[` nest in `text` (strings and commands included: a bound, not a parse)."""
    depth = deepest = 0
    for match in _BRACKETS.finditer(text):
        depth = max(depth + (1 if match.group() == "[" else -1), 0)
        deepest = max(deepest, depth)
    return deepest


def _file_name(name: str | None) -> str:
    last = posixpath.basename(name or "")
    return name if name and last not in ("", ".", "..") and "\0" not in name else MAIN_FILE


def _is_http(text: str) -> bool:
    return urllib.parse.urlsplit(text).scheme in ("http", "https")


def _within(path: str, folder: str) -> bool:
    relative = posixpath.relpath(posixpath.normpath(path), folder)
    return relative != ".." and not relative.startswith("../")
