"""SingleFlight: one load per key, shared by its callers, and cancelled only with the last one."""

import asyncio

import pytest

from cromwes.cache import SingleFlight


class SlowLoad:
    """A load that finishes when the test says so, counting how often it started and whether it
    was cancelled."""

    def __init__(self) -> None:
        self.started = 0
        self.cancelled = 0
        self.running = asyncio.Event()
        self.release = asyncio.Event()

    async def __call__(self) -> str:
        self.started += 1
        self.running.set()
        try:
            await self.release.wait()
        except asyncio.CancelledError:
            self.cancelled += 1
            raise
        return f"value {self.started}"


async def joined(flight: SingleFlight[str, str], load: SlowLoad) -> list[asyncio.Task[str]]:
    first = asyncio.create_task(flight.run("run", load))
    await load.running.wait()
    second = asyncio.create_task(flight.run("run", load))
    await asyncio.sleep(0)  # let the second caller reach its await: it now waits on the load
    return [first, second]


async def test_concurrent_callers_share_one_load() -> None:
    flight: SingleFlight[str, str] = SingleFlight()
    load = SlowLoad()
    callers = await joined(flight, load)
    load.release.set()
    assert await asyncio.gather(*callers) == ["value 1", "value 1"]
    assert load.started == 1


async def test_the_first_caller_going_away_does_not_cancel_the_others() -> None:
    flight: SingleFlight[str, str] = SingleFlight()
    load = SlowLoad()
    first, second = await joined(flight, load)
    first.cancel()
    with pytest.raises(asyncio.CancelledError):
        await first
    load.release.set()
    assert await second == "value 1"
    assert load.cancelled == 0


async def test_the_load_is_cancelled_when_its_last_caller_goes() -> None:
    flight: SingleFlight[str, str] = SingleFlight()
    load = SlowLoad()
    callers = await joined(flight, load)
    for caller in callers:
        caller.cancel()
    assert all(isinstance(r, asyncio.CancelledError) for r in await _settled(callers))
    await asyncio.sleep(0)  # the cancellation reaches the load at its next step
    assert load.cancelled == 1
    load.release.set()
    assert await flight.run("run", load) == "value 2", "a later caller starts a fresh load"


async def test_a_failure_reaches_every_caller() -> None:
    flight: SingleFlight[str, str] = SingleFlight()
    gate = asyncio.Event()

    async def failing() -> str:
        await gate.wait()
        raise LookupError("no such run")

    callers = [asyncio.create_task(flight.run("run", failing)) for _ in range(2)]
    await asyncio.sleep(0)
    gate.set()
    results = await _settled(callers)
    assert [type(r) for r in results] == [LookupError, LookupError]


async def _settled(tasks: list[asyncio.Task[str]]) -> list[object]:
    return list(await asyncio.gather(*tasks, return_exceptions=True))
