"""Configure logging: one JSON object per line (default) or plain text."""

import json
import logging
import sys
import warnings
from datetime import UTC, datetime

from aiohttp.web_exceptions import NotAppKeyWarning

from cromwes.config.settings import LogFormat, ObservabilitySettings
from cromwes.observability.request_ids import CURRENT

_STANDARD = set(vars(logging.makeLogRecord({}))) | {"message", "asctime"}


class JsonFormatter(logging.Formatter):
    """One JSON object per record; extra fields given to the logger are kept as keys."""

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        entry.update({k: v for k, v in vars(record).items() if k not in _STANDARD})
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, default=str)


class RequestIdFilter(logging.Filter):
    """Stamp every record logged while a request is served with that request's id."""

    def filter(self, record: logging.LogRecord) -> bool:
        if (current := CURRENT.get()) is not None and not hasattr(record, "request_id"):
            record.request_id = current
        return True


def configure_logging(settings: ObservabilitySettings) -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.addFilter(RequestIdFilter())
    if settings.log_format is LogFormat.JSON:
        handler.setFormatter(JsonFormatter())
    else:
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(settings.log_level.upper())
    # aiohttp-apigami keeps its state under plain string keys; the warning is not ours to fix.
    warnings.filterwarnings("ignore", category=NotAppKeyWarning, module="aiohttp_apigami")
