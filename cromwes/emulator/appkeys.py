"""Every piece of the emulator app's state, as typed keys."""

from dataclasses import dataclass, field

from aiohttp import web

from cromwes.emulator.config import EmulatorConfig
from cromwes.emulator.faults import FaultInjector
from cromwes.emulator.fetching import SelfFetchGuard
from cromwes.emulator.journal import RequestJournal
from cromwes.emulator.service import WorkflowService
from cromwes.emulator.submission import FormPart


@dataclass(slots=True)
class Listeners:
    """Which local ports serve only the control API (filled in by `EmulatorServer`)."""

    admin_ports: set[int] = field(default_factory=set)


CONFIG = web.AppKey("emulator_config", EmulatorConfig)
SERVICE = web.AppKey("emulator_service", WorkflowService)
FAULTS = web.AppKey("emulator_faults", FaultInjector)
JOURNAL = web.AppKey("emulator_journal", RequestJournal)
LISTENERS = web.AppKey("emulator_listeners", Listeners)
FETCH_GUARD = web.AppKey("emulator_fetch_guard", SelfFetchGuard)
FORM = web.RequestKey("emulator_form", list[FormPart])
"""The parts of a submit form, read once by the journal middleware, then by the handler."""
