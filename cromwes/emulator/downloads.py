"""File inputs given as URIs, localised as Cromwell's Local backend does: `file://` URIs are
paths on this machine, and http(s) URLs are downloaded by the runner itself.

miniwdl only knows http(s) through a task that runs `aria2c` (which the host would need), and
`file://` not at all. These are its download plugins (entry points of
`miniwdl.plugin.file_download`, named after the scheme); a plugin may yield the local file
directly instead of a task to run. Outside an emulator run (no `[host_backend] download_dir`)
they behave as miniwdl alone does (http(s) through `aria2c`, `file://` not found), so installing
cromwes changes no other use of miniwdl.
"""

import contextlib
import hashlib
import logging
import os
import shutil
import tempfile
import urllib.parse
import urllib.request
from collections.abc import Generator
from typing import Any

from WDL.runtime.download import aria2c_downloader

DOWNLOADS_DIR = "cromwes-downloads"
TIMEOUT_SECONDS = 60.0
Plugin = Generator[dict[str, Any], dict[str, Any], None]


def file_uri(cfg: Any, logger: logging.Logger, uri: str, **kwargs: Any) -> Plugin:
    """`file:///path` (or `file://localhost/path`) is the file at that path."""
    if not _in_emulator(cfg):
        raise FileNotFoundError(f"input path not found: {uri}")  # as miniwdl alone says
    parts = urllib.parse.urlsplit(uri)
    if parts.netloc not in ("", "localhost"):
        raise ValueError(f"a file:// URI names a file of this machine, not of {parts.netloc}")
    path = urllib.request.url2pathname(parts.path)
    if not os.path.isfile(path):
        raise FileNotFoundError(f"no such file: {path}")
    yield {"outputs": {"file": path}}


def http_url(cfg: Any, logger: logging.Logger, uri: str, **kwargs: Any) -> Plugin:
    """An http(s) URL, downloaded once per run into `<workflow root>/cromwes-downloads/`."""
    if not _in_emulator(cfg):
        yield from aria2c_downloader(cfg, logger, uri, **kwargs)
        return
    folder = os.path.join(
        cfg["host_backend"]["download_dir"], hashlib.sha256(uri.encode()).hexdigest()[:16]
    )
    path = os.path.join(folder, _file_name(uri))
    if not os.path.isfile(path):
        os.makedirs(folder, exist_ok=True)
        # Two calls may fetch the same URL at once: each writes its own partial file.
        descriptor, partial = tempfile.mkstemp(dir=folder, suffix=".part")
        try:
            with (
                os.fdopen(descriptor, "wb") as out,
                urllib.request.urlopen(uri, timeout=TIMEOUT_SECONDS) as response,
            ):
                shutil.copyfileobj(response, out)
            os.replace(partial, path)
        finally:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(partial)
    yield {"outputs": {"file": path}}


def _file_name(uri: str) -> str:
    """The URL's last path segment, as a task would see the file named."""
    name = os.path.basename(urllib.parse.unquote(urllib.parse.urlsplit(uri).path))
    return "download" if name in ("", ".", "..") or "\0" in name else name


def _in_emulator(cfg: Any) -> bool:
    return bool(cfg.has_option("host_backend", "download_dir"))
