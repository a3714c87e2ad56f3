"""Every piece of the emulator app's state, as typed keys."""

from aiohttp import web

from cromwes.emulator.config import EmulatorConfig
from cromwes.emulator.faults import FaultInjector
from cromwes.emulator.fetching import SelfFetchGuard
from cromwes.emulator.journal import RequestJournal
from cromwes.emulator.service import WorkflowService
from cromwes.emulator.submission import FormPart

CONFIG = web.AppKey("emulator_config", EmulatorConfig)
SERVICE = web.AppKey("emulator_service", WorkflowService)
FAULTS = web.AppKey("emulator_faults", FaultInjector)
JOURNAL = web.AppKey("emulator_journal", RequestJournal)
FETCH_GUARD = web.AppKey("emulator_fetch_guard", SelfFetchGuard)
EMULATOR = web.AppKey("emulator_app", web.Application)
"""In the control app: the Cromwell API app it steers (and whose state it reads)."""
FORM = web.RequestKey("emulator_form", list[FormPart])
"""The parts of a submit form, read once by the journal middleware, then by the handler."""
