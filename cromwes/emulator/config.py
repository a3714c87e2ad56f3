"""The emulator's knobs, fixed when it starts; tests build an `EmulatorConfig` directly."""

from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

Mode = Literal["execute", "controlled"]


@dataclass(frozen=True, slots=True, kw_only=True)
class EmulatorConfig:
    """How one emulator instance behaves. Every Cromwell quirk has its own switch."""

    data_dir: Path
    """SQLite file, submitted sources and run directories live here; reused across restarts."""
    mode: Mode = "execute"
    """`execute` runs WDL through miniwdl; `controlled` leaves every workflow where it is until a
    test moves it with `POST /_emulator/workflows/{id}/status`."""
    cromwell_version: str = "87"
    pickup_delay: float = 0.0
    """Seconds a submitted workflow stays `Submitted` before it can be picked up (Cromwell polls
    its workflow store every `system.new-workflow-poll-rate`, 20 s by default)."""
    max_running_workflows: int = 4
    """Like Cromwell's `system.max-concurrent-workflows`: the others wait as `Submitted`."""
    task_concurrency: int = 8
    """miniwdl `[scheduler] task_concurrency` inside each workflow run."""
    post_submit_404: float = 0.0
    """Seconds after a submit during which status/metadata/outputs/logs/labels answer 404, as
    Cromwell does until its metadata summary row exists (cromwell-api.md §2.6.1). 0 = off."""
    abort_grace: float = 10.0
    """Seconds between SIGTERM to a run and SIGKILL of its process groups."""
    task_timeout: float = 0.0
    """Seconds a single task may run before it is killed (0 = no limit); Cromwell's Local backend
    has no such limit either."""
    monitor_interval: float = 1.0
    """Seconds between two reads of a running workflow's run directory (sub-workflow records)."""
    metadata_cache_entries: int = 4
    """Serialized metadata bodies of finished synthetic workflows kept in memory."""
    request_log_size: int = 10_000
    """The newest Cromwell API requests kept for `GET /_emulator/requests`."""
    loopback_hosts: tuple[str, ...] = field(default=("127.0.0.1", "localhost", "::1"))
    """Hosts a `workflowUrl` or an import by URL may name (the emulator never fetches from the
    outside, nor from itself)."""
    fault_seed: int | None = None
    """Seed for the fault injector's random draws (`rate` < 1); None draws from the OS."""

    def __post_init__(self) -> None:
        # Cromwell reports absolute paths in metadata, whatever directory it was started from.
        object.__setattr__(self, "data_dir", Path(self.data_dir).resolve())
        if self.mode not in ("execute", "controlled"):
            raise ValueError(f"mode must be 'execute' or 'controlled', not {self.mode!r}")
        for name in ("pickup_delay", "post_submit_404", "abort_grace", "task_timeout"):
            if getattr(self, name) < 0:
                raise ValueError(f"{name} must not be negative")
        if self.max_running_workflows < 1 or self.task_concurrency < 1:
            raise ValueError("max_running_workflows and task_concurrency must be at least 1")
        if self.monitor_interval <= 0:
            raise ValueError("monitor_interval must be positive")

    @property
    def database_path(self) -> Path:
        return self.data_dir / "emulator.sqlite"

    @property
    def executions_dir(self) -> Path:
        """Cromwell's `cromwell-executions` root: `<name>/<id>` is a workflow's `workflowRoot`."""
        return self.data_dir / "cromwell-executions"

    @property
    def submissions_dir(self) -> Path:
        """One folder per submission: its sources, inputs and the runner's result and log."""
        return self.data_dir / "submissions"
