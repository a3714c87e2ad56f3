"""What a run's file and log endpoints may read: the run's own directories, and nothing else."""

from collections.abc import Sequence

from cromwes.cromwell.types import Metadata
from cromwes.policy.paths import PathRule, translate_path
from cromwes.service.run_ids import is_run_id
from cromwes.storage.base import Storage
from cromwes.translate.runfiles import RunFile, run_files, run_roots


def run_storage(
    storage: Storage,
    metadata: Metadata,
    run_id: str,
    rules: Sequence[PathRule],
    *,
    batch_label: str | None = None,
) -> Storage:
    """`storage` narrowed to the run's workflow root, its final-outputs folder and its staging
    folder (`<staging root>/<run id>/`), as the gateway spells them (after path translation).
    A run of a batch also reads the batch's staging folder (`<staging root>/<batch id>/`),
    where the attachments its batch shares were staged once; the metadata must include its
    labels, and only the gateway writes `batch_label` (a tag may not take its name).

    The configured read roots stay the outer fence: a run root outside them gives nothing.
    """
    roots = [translate_path(root, rules) for root in run_roots(metadata, run_id)]
    folders = [storage.staged_folder(run_id)]
    batch_id = (metadata.get("labels") or {}).get(batch_label or "")
    if isinstance(batch_id, str) and is_run_id(batch_id):
        folders.append(storage.staged_folder(batch_id.lower()))
    return storage.scoped([*roots, *folders])


def own_files(
    storage: Storage,
    metadata: Metadata,
    run_id: str,
    rules: Sequence[PathRule],
    *,
    batch_label: str | None = None,
) -> tuple[Storage, list[RunFile]]:
    """The run's storage view, and the files its metadata names that are its own (they may
    have been deleted since: see `existing_files`)."""
    scoped = run_storage(storage, metadata, run_id, rules, batch_label=batch_label)
    files = run_files(
        metadata, readable=scoped.owns, translate=lambda path: translate_path(path, rules)
    )
    return scoped, files


async def existing_files(storage: Storage, files: Sequence[RunFile]) -> list[RunFile]:
    """Those of `files` that exist now. Cromwell's metadata still names a file deleted through
    `DELETE /files` (or by anyone): without asking storage, it would be listed again. On GCS and
    Azure this is one metadata request per file, a few at a time."""
    present = await storage.existing([file.path for file in files])
    return [file for file in files if file.path in present]
