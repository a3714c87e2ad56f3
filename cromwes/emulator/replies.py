"""Cromwell's response framing: JSON bodies as `application/json` without a charset, as
Cromwell 87 sends them (cromwell-api.md §2.1), compactly encoded."""

import json
from collections.abc import Mapping
from typing import Any

from aiohttp import web


def cromwell_json(
    data: Any, status: int = 200, headers: Mapping[str, str] | None = None
) -> web.Response:
    body = json.dumps(data, separators=(",", ":")).encode()
    return web.Response(body=body, status=status, headers=headers, content_type="application/json")
