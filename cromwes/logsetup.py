"""Configure logging: one JSON object per line (default) or plain text."""

import json
import logging
import sys
import warnings
from datetime import UTC, datetime

from aiohttp.web_exceptions import NotAppKeyWarning

from cromwes.settings import LogFormat, ObservabilitySettings

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


def configure_logging(settings: ObservabilitySettings) -> None:
    handler = logging.StreamHandler(sys.stderr)
    if settings.log_format is LogFormat.JSON:
        handler.setFormatter(JsonFormatter())
    else:
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(settings.log_level.upper())
    # aiohttp-apigami keeps its state under plain string keys; the warning is not ours to fix.
    warnings.filterwarnings("ignore", category=NotAppKeyWarning, module="aiohttp_apigami")
