"""The live parts of service-info: Cromwell's version and the state counts, each cached briefly.

Counts come from one count query per Cromwell status (`pageSize=1`, reading only
`totalResultsCount`), never from listing every workflow as the reference service does on every
call (reference-service.md §8); concurrent callers share one refresh.
"""

import asyncio
import logging
import time
from collections.abc import Callable

from cromwes.cache import SingleFlight
from cromwes.cromwell.client import CromwellClient
from cromwes.cromwell.types import CROMWELL_STATUSES
from cromwes.errors import WesError
from cromwes.models import State
from cromwes.translate.labels import Owner
from cromwes.translate.states import wes_state

logger = logging.getLogger(__name__)


class ServiceState:
    """Cromwell's version and per-state run counts, cached for a few seconds."""

    def __init__(
        self,
        client: CromwellClient,
        *,
        engine_version_ttl: float,
        state_counts_ttl: float,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._client = client
        self._version_ttl = engine_version_ttl
        self._counts_ttl = state_counts_ttl
        self._clock = clock
        self._version: tuple[float, str] | None = None
        self._counts: dict[Owner, tuple[float, dict[str, int]]] = {}
        self._version_flight: SingleFlight[str, str | None] = SingleFlight()
        self._counts_flight: SingleFlight[Owner, dict[str, int]] = SingleFlight()

    async def engine_version(self) -> str | None:
        """Cromwell's version, or None while Cromwell cannot be reached (service-info degrades)."""
        if (held := self.held_version()) is not None:
            return held
        return await self._version_flight.run("version", self._load_version)

    def held_version(self) -> str | None:
        """The version while it is held, else None (`engine_version` then asks Cromwell).

        service-info is the most polled call: its callers take what is held without the
        coroutine an `await` costs, and await only when something must be loaded.
        """
        if self._version is not None and self._version[0] > self._clock():
            return self._version[1]
        return None

    async def _load_version(self) -> str | None:
        try:
            version = await self._client.version()
        except WesError as exc:
            logger.warning("Cromwell version unavailable: %s", exc.msg)
            return self._version[1] if self._version else None
        self._version = (self._clock() + self._version_ttl, version)
        return version

    async def state_counts(self, owner: Owner) -> dict[str, int]:
        if (held := self.held_counts(owner)) is not None:
            return held
        return await self._counts_flight.run(owner, lambda: self._load_counts(owner))

    def held_counts(self, owner: Owner) -> dict[str, int] | None:
        """The counts while they are held (the same dict until they are loaded again), else
        None."""
        cached = self._counts.get(owner)
        if cached is not None and cached[0] > self._clock():
            return cached[1]
        return None

    async def _load_counts(self, owner: Owner) -> dict[str, int]:
        base = [("includeSubworkflows", "false"), ("pageSize", "1"), ("page", "1")]
        if owner is not None:
            base.append(("label", f"{owner[0]}:{owner[1]}"))
        answers = await asyncio.gather(
            *(self._client.query([*base, ("status", status)]) for status in CROMWELL_STATUSES)
        )
        counts = dict.fromkeys(State, 0)
        for status, answer in zip(CROMWELL_STATUSES, answers, strict=True):
            counts[wes_state(status)] += int(answer.get("totalResultsCount", 0))
        result = {state.value: count for state, count in counts.items()}
        self._counts[owner] = (self._clock() + self._counts_ttl, result)
        return result
