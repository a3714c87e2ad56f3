"""Map a Cromwell workflow status to a WES State; the one place this mapping lives.

Decisions (README "State mapping" repeats them):
- `On Hold` → PAUSED. A held workflow waits for an explicit `releaseHold`, which is what WES calls
  PAUSED; Cromwell's own WES (since v80) does the same. DNAstack's service says QUEUED.
- `Submitted` → QUEUED. Cromwell has accepted the workflow but not yet picked it up; WES reserves
  INITIALIZING for "a worker is preparing" (downloading inputs), which has not begun. Cromwell's own
  WES agrees; DNAstack's service says INITIALIZING.
- Cromwell has no status that tells a system error from a task failure, so `Failed` is
  EXECUTOR_ERROR, as in every existing bridge (../shared/cromwell/status-mapping.json).
"""

from cromwes.cromwell.types import CROMWELL_STATUSES, CromwellStatus
from cromwes.models import State

_STATES: dict[CromwellStatus, State] = {
    "On Hold": State.PAUSED,
    "Submitted": State.QUEUED,
    "Running": State.RUNNING,
    "Aborting": State.CANCELING,
    "Aborted": State.CANCELED,
    "Succeeded": State.COMPLETE,
    "Failed": State.EXECUTOR_ERROR,
}
_BY_STATUS = {status.lower(): _STATES[status] for status in CROMWELL_STATUSES}
_STATUSES_BY_STATE = {
    state: tuple(status for status in CROMWELL_STATUSES if _STATES[status] is state)
    for state in State
}


def wes_state(cromwell_status: str | None) -> State:
    """The WES State of a Cromwell status (matched case-insensitively, as Cromwell does)."""
    if cromwell_status is None:
        return State.UNKNOWN
    return _BY_STATUS.get(cromwell_status.strip().lower(), State.UNKNOWN)


def cromwell_statuses(state: State) -> tuple[str, ...]:
    """The Cromwell statuses that map to `state`, spelt as Cromwell's query filter wants them."""
    return _STATUSES_BY_STATE.get(state, ())
