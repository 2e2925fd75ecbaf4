"""The development clock: `GET|POST /__dev__/clock`, mounted only with `RONGBAN_TEST_CLOCK`.

Booking is one to five working days ahead and halls open 9-17 China time on weekdays, so a
scripted journey (or a person trying the demo at night) needs to reach its appointment. Like
a payment provider's test clocks, the business clock (`Resources.clock`) is then real time
plus an offset that only grows: `POST {"advanceTo": "<ISO datetime with offset>"}` moves it,
`GET` shows it. There is no staff check because it exists only in development; production
settings refuse the setting (`Settings.production_problems`).

The offset lives in this process's memory. That is enough because every part of `make run`
that reads the business clock runs in the one API process: `rongban dev` serves with one
worker (the settings refuse the clock with more) and sends the outbox in-process
(`outbox_in_process`). A separate `rongban worker` would keep real time."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import orjson
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

DEV_CLOCK_PATH = "/__dev__/clock"
MAX_BODY = 1024
# One move goes at most this far: beyond it, dates the app adds days to would overflow
# (year 9999), and no journey needs more than weeks.
MAX_STEP = timedelta(days=366)


class DevClock:
    """Real time plus an offset that never shrinks: the business clock never runs backwards,
    so nothing the app dated (a booking, a deadline, an outbox row) ends up in the future of a
    later "now"."""

    def __init__(self) -> None:
        self.offset = timedelta(0)

    def now(self) -> datetime:
        return datetime.now(UTC) + self.offset

    def advance_to(self, moment: datetime) -> bool:
        """Moves the clock to `moment`; False (and nothing changes) unless it lies ahead.
        No await between the check and the write: two requests cannot interleave here."""
        ahead = moment - self.now()
        if ahead <= timedelta(0):
            return False
        self.offset += ahead
        return True


class ClockRefused(ValueError):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(code)
        self.code = code
        self.message = message


def _moment(body: bytes) -> datetime:
    """The `advanceTo` of a request body, or ClockRefused naming what is wrong."""
    try:
        data: Any = orjson.loads(body) if len(body) <= MAX_BODY else None
    except orjson.JSONDecodeError:
        data = None
    if not isinstance(data, dict):
        raise ClockRefused(
            "BAD_REQUEST", '请求体须为 JSON 对象，如 {"advanceTo": "2026-03-02T09:25:00+08:00"}'
        )
    value = data.get("advanceTo")
    if not isinstance(value, str):
        raise ClockRefused("INVALID_DATETIME", "advanceTo 须为带时区的 ISO 8601 时间")
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise ClockRefused("INVALID_DATETIME", "advanceTo 须为带时区的 ISO 8601 时间") from None
    if moment.tzinfo is None:
        # A time without its zone is ambiguous (China time? UTC?): the caller must say.
        raise ClockRefused("INVALID_DATETIME", "advanceTo 须带时区（如 +08:00）")
    return moment.astimezone(UTC)


def _shown(clock: DevClock) -> dict[str, Any]:
    return {
        "now": clock.now().isoformat(),
        "offsetSeconds": clock.offset.total_seconds(),
    }


def _json(value: dict[str, Any], status: int = 200) -> Response:
    return Response(orjson.dumps(value), status_code=status, media_type="application/json")


def dev_clock_routes(clock: DevClock) -> list[Route]:
    async def read(request: Request) -> Response:
        return _json(_shown(clock))

    async def advance(request: Request) -> Response:
        try:
            moment = _moment(await request.body())
        except ClockRefused as refused:
            return _json(
                {"code": refused.code, "message": refused.message, "field": "advanceTo"}, 400
            )
        if moment - clock.now() > MAX_STEP:
            return _json(
                {
                    "code": "TOO_FAR",
                    "message": "开发时钟一次最多向前拨 366 天",
                    "field": "advanceTo",
                    **_shown(clock),
                },
                400,
            )
        if not clock.advance_to(moment):
            return _json(
                {
                    "code": "NOT_AHEAD",
                    "message": "开发时钟只能向前拨：advanceTo 须晚于当前时钟",
                    "field": "advanceTo",
                    **_shown(clock),
                },
                400,
            )
        return _json(_shown(clock))

    return [
        Route(DEV_CLOCK_PATH, read, methods=["GET"]),
        Route(DEV_CLOCK_PATH, advance, methods=["POST"]),
    ]
