"""What a run's file and log endpoints may read: the run's own directories, and nothing else."""

from collections.abc import Sequence

from cromwes.cromwell.types import Metadata
from cromwes.policy.paths import PathRule, translate_path
from cromwes.storage.base import Storage
from cromwes.translate.runfiles import RunFile, run_files, run_roots


def run_storage(
    storage: Storage, metadata: Metadata, run_id: str, rules: Sequence[PathRule]
) -> Storage:
    """`storage` narrowed to the run's workflow root, its final-outputs folder and its staging
    folder (`<staging root>/<run id>/`), as the gateway spells them (after path translation).

    The configured read roots stay the outer fence: a run root outside them gives nothing.
    """
    roots = [translate_path(root, rules) for root in run_roots(metadata, run_id)]
    return storage.scoped([*roots, storage.staged_folder(run_id)])


async def own_files(
    storage: Storage, metadata: Metadata, run_id: str, rules: Sequence[PathRule]
) -> tuple[Storage, list[RunFile]]:
    """The run's storage view and the files of its metadata that are its own and exist now.

    Existence is asked of storage every time: a file deleted through `DELETE /files` (or by
    anyone) is not listed again, although Cromwell's metadata still names it.
    """
    scoped = run_storage(storage, metadata, run_id, rules)
    candidates = run_files(
        metadata, readable=scoped.owns, translate=lambda path: translate_path(path, rules)
    )
    present = await scoped.existing([file.path for file in candidates])
    return scoped, [file for file in candidates if file.path in present]
