from collections.abc import Callable
from typing import Any

import pytest

from cromwes.models import State
from cromwes.translate.states import cromwell_statuses, wes_state

EXPECTED = {
    "On Hold": State.PAUSED,
    "Submitted": State.QUEUED,
    "Running": State.RUNNING,
    "Aborting": State.CANCELING,
    "Aborted": State.CANCELED,
    "Succeeded": State.COMPLETE,
    "Failed": State.EXECUTOR_ERROR,
}


def test_every_recorded_cromwell_status_has_a_state(recorded: Callable[[str], Any]) -> None:
    statuses = recorded("status-mapping.json")["cromwell_statuses"]
    assert set(statuses) == set(EXPECTED)


@pytest.mark.parametrize(("status", "state"), list(EXPECTED.items()))
def test_cromwell_status_maps_to_wes_state(status: str, state: State) -> None:
    assert wes_state(status) is state
    assert wes_state(status.upper()) is state


@pytest.mark.parametrize("status", [None, "", "Paused", "Archived"])
def test_unknown_status_is_unknown(status: str | None) -> None:
    assert wes_state(status) is State.UNKNOWN


def test_we_agree_with_cromwells_own_wes(recorded: Callable[[str], Any]) -> None:
    builtin = recorded("status-mapping.json")["cromwell_builtin_wes_v80_plus"]
    for status, state in EXPECTED.items():
        assert builtin[status] == state.value


def test_query_statuses_of_a_state_round_trip() -> None:
    for status, state in EXPECTED.items():
        assert status in cromwell_statuses(state)
    assert cromwell_statuses(State.SYSTEM_ERROR) == ()


def test_we_differ_from_the_other_bridges_only_where_the_readme_says(
    recorded: Callable[[str], Any],
) -> None:
    mapping = recorded("status-mapping.json")
    dnastack = mapping["dnastack_cromwell_wes_service"]
    assert {s for s, state in EXPECTED.items() if dnastack[s] != state.value} == {
        "On Hold",
        "Submitted",
    }
    legacy = mapping["wes2cromwell_legacy_until_v79"]
    assert {s for s, state in EXPECTED.items() if legacy[s] != state.value} == {"Aborting"}


def test_states_no_bridge_produces_are_not_produced(recorded: Callable[[str], Any]) -> None:
    never = recorded("status-mapping.json")["wes_states_never_produced_by_any_of_them"]
    assert [entry.split()[0] for entry in never] == ["INITIALIZING", "SYSTEM_ERROR", "PREEMPTED"]
    produced = {state.value for state in EXPECTED.values()}
    assert not produced & {"INITIALIZING", "SYSTEM_ERROR", "PREEMPTED"}
