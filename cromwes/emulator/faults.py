"""Fault knobs for the Cromwell API routes (never for `/_emulator`): added latency, errors with a
chosen status, garbage bodies, reset connections, and "down" (the API listener closes).

A rule applies to one route (`submit`, `status`, `metadata`, `outputs`, `logs`, `labels`,
`abort`, `releaseHold`, `query`, `backends`, `version`, `engine_status`) or to `*`; it fires
with probability `rate`, at most `times` times (null: without limit). The first rule that
matches and fires decides; `seconds` delays the request before the rule acts.
"""

import asyncio
import random
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import asdict, dataclass
from typing import Any, Literal, Protocol

from aiohttp import web

from cromwes.emulator.errors import ControlError
from cromwes.emulator.replies import cromwell_json

ROUTES = (
    "submit",
    "status",
    "metadata",
    "outputs",
    "logs",
    "labels",
    "abort",
    "releaseHold",
    "query",
    "backends",
    "version",
    "engine_status",
)
Kind = Literal["latency", "error", "garbage", "reset"]
KINDS: tuple[Kind, ...] = ("latency", "error", "garbage", "reset")
TIMEOUT_TEXT = (
    "The server was not able to produce a timely response to your request.\n"
    "Please try again in a short while!"
)
"""Cromwell's plain-text 503 when a route outlives akka's request timeout (errors.json)."""
DEFAULT_GARBAGE = '{"id": "00000000-0000-0000-0000-0000000'
"""Truncated JSON with a JSON content type: what a client sees when a proxy cuts a body."""


class DownSwitch(Protocol):
    """What can close and reopen the API listener (the `EmulatorServer`)."""

    async def set_down(self, down: bool) -> None: ...


@dataclass(frozen=True, slots=True)
class FaultRule:
    route: str = "*"
    kind: Kind = "latency"
    seconds: float = 0.0
    status: int = 500
    rate: float = 1.0
    times: int | None = None
    method: str | None = None
    body: str | None = None
    """The body of a `garbage` or `error` reply, instead of the default one."""

    def matches(self, route: str, method: str) -> bool:
        return self.route in ("*", route) and (self.method is None or self.method == method)


def rule_from_json(data: Any) -> FaultRule:
    if not isinstance(data, dict):
        raise ControlError("a fault rule is a JSON object")
    unknown = set(data) - set(FaultRule.__dataclass_fields__)
    if unknown:
        raise ControlError(f"unknown fault rule field(s): {', '.join(sorted(unknown))}")
    try:
        rule = FaultRule(
            route=str(data.get("route", "*")),
            kind=data.get("kind", "latency"),
            seconds=float(data.get("seconds", 0.0)),
            status=int(data.get("status", 500)),
            rate=float(data.get("rate", 1.0)),
            times=None if data.get("times") is None else int(data["times"]),
            method=None if data.get("method") is None else str(data["method"]).upper(),
            body=None if data.get("body") is None else str(data["body"]),
        )
    except (TypeError, ValueError) as exn:
        raise ControlError(f"bad fault rule: {exn}") from exn
    if rule.route != "*" and rule.route not in ROUTES:
        raise ControlError(f"unknown route {rule.route!r}; one of *, {', '.join(ROUTES)}")
    if rule.kind not in KINDS:
        raise ControlError(f"unknown fault kind {rule.kind!r}; one of {', '.join(KINDS)}")
    if not 0.0 <= rule.rate <= 1.0 or rule.seconds < 0 or not 100 <= rule.status <= 599:
        raise ControlError("rate must be within 0..1, seconds >= 0, status a valid HTTP code")
    return rule


class FaultInjector:
    """The fault rules and the down flag of one emulator."""

    def __init__(self, seed: int | None = None) -> None:
        self._rules: list[FaultRule] = []
        self._remaining: list[int | None] = []
        self._random = random.Random(seed)
        self.down = False
        self.switch: DownSwitch | None = None

    def snapshot(self) -> dict[str, Any]:
        return {
            "rules": [
                {**asdict(rule), "times": remaining}
                for rule, remaining in zip(self._rules, self._remaining, strict=True)
            ],
            "down": self.down,
        }

    async def apply(self, document: Any) -> None:
        """Replace every rule and the down flag: `{"rules": [...], "down": bool}`, or a bare list
        of rules (then `down` is false)."""
        if isinstance(document, list):
            document = {"rules": document}
        if not isinstance(document, Mapping):
            raise ControlError('faults are {"rules": [...], "down": false} or a list of rules')
        unknown = set(document) - {"rules", "down"}
        if unknown:
            raise ControlError(f"unknown field(s): {', '.join(sorted(unknown))}")
        rules = [rule_from_json(item) for item in document.get("rules") or []]
        down = bool(document.get("down", False))
        if down != self.down:
            if self.switch is None:
                raise ControlError(
                    "down needs the EmulatorServer with an admin listener: the control API must "
                    "stay reachable while the Cromwell API is refused",
                    409,
                )
            await self.switch.set_down(down)
            self.down = down
        self._rules = rules
        self._remaining = [rule.times for rule in rules]

    async def clear(self) -> None:
        await self.apply({"rules": [], "down": False})

    def draw(self, route: str, method: str) -> FaultRule | None:
        for index, rule in enumerate(self._rules):
            remaining = self._remaining[index]
            if not rule.matches(route, method) or remaining == 0:
                continue
            if rule.rate < 1.0 and self._random.random() >= rule.rate:
                continue
            if remaining is not None:
                self._remaining[index] = remaining - 1
            return rule
        return None


Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


async def faulty_response(
    rule: FaultRule, route: str, request: web.Request, handler: Handler
) -> web.StreamResponse:
    """Act out one fault."""
    if rule.seconds > 0:
        await asyncio.sleep(rule.seconds)  # the injected latency itself
    if rule.kind == "latency":
        return await handler(request)
    if rule.kind == "garbage":
        return web.Response(
            status=200, text=rule.body or DEFAULT_GARBAGE, content_type="application/json"
        )
    if rule.kind == "reset":
        # Abort the TCP connection: the client sees it drop without any response. The
        # response returned below is never sent.
        if request.transport is not None:
            request.transport.abort()
        return web.Response(status=500)
    if rule.status == 503 and rule.body is None:
        return web.Response(status=503, text=TIMEOUT_TEXT, content_type="text/plain")
    body_status = "fail" if rule.status < 500 else "error"
    message = rule.body or f"Emulated fault on route {route}"
    return cromwell_json({"status": body_status, "message": message}, status=rule.status)
