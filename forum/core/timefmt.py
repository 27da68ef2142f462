"""Times are stored in UTC and shown in the viewer's time zone."""

from __future__ import annotations

from datetime import datetime
from functools import cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from babel.dates import format_datetime, get_month_names
from flask_babel import LazyString
from markupsafe import Markup, escape

from forum.core.i18n import current_language

DEFAULT_ZONE = "UTC"


def zone(name: str | None) -> ZoneInfo:
    try:
        return ZoneInfo(name or DEFAULT_ZONE)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo(DEFAULT_ZONE)


def is_timezone(name: str) -> bool:
    return name in timezone_names()


_ZONES: list[str] = []


def timezone_names() -> list[str]:
    if not _ZONES:
        _ZONES.extend(sorted(n for n in available_timezones() if "/" in n or n == "UTC"))
    return _ZONES


def local(moment: datetime, zone_name: str | None) -> datetime:
    return moment.astimezone(zone(zone_name))


def spoken_time(moment: datetime, zone_name: str | None) -> LazyString:
    """A moment as an email says it ("Tuesday 4 February, 18:00 GMT"), in the person's time
    zone. Lazy: it is written when the email is rendered, in the recipient's language, which
    is chosen after the email's context is made."""
    return LazyString(_spoken_time, moment, zone_name)


def _spoken_time(moment: datetime, zone_name: str | None) -> str:
    shown = local(moment, zone_name)
    day = format_datetime(shown, "EEEE d MMMM, HH:mm", locale=current_language())
    return f"{day} {shown.tzname()}"


def time_tag(moment: datetime | None, zone_name: str | None, with_time: bool = True) -> Markup:
    """A <time> element: machine-readable UTC, human-readable in the viewer's zone."""
    if moment is None:
        return Markup("")
    shown = local(moment, zone_name)
    # The month in the viewer's language; the order and the 24-hour clock stay the same.
    text = f"{shown.day} {_short_months(current_language())[shown.month]} {shown.year}"
    if with_time:
        text += f", {shown:%H:%M} {shown.tzname()}"
    return Markup('<time datetime="{}">{}</time>').format(
        moment.isoformat(timespec="seconds"), escape(text)
    )


@cache
def _short_months(language: str) -> dict[int, str]:
    """Pages show many dates: Babel's formatting per date would cost more than the rest."""
    return dict(get_month_names("abbreviated", locale=language))
