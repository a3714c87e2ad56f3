"""JSON text as Cromwell writes it and reads it in form fields: compact, no spaces."""

import json
from typing import Any


def compact_json(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"))
