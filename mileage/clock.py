"""Time in the programme: instants are stored in UTC, days are counted in Asia/Seoul."""

from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

SEOUL = ZoneInfo("Asia/Seoul")


def utc_now() -> datetime:
    """Return the current instant, timezone-aware in UTC."""
    return datetime.now(UTC)


def seoul_today(now: datetime | None = None) -> date:
    """Return today's date on the centre's calendar (Asia/Seoul)."""
    return (now or utc_now()).astimezone(SEOUL).date()


def seoul_day_start(day: date) -> datetime:
    """Return the UTC instant at which a Seoul calendar day begins."""
    return datetime.combine(day, time.min, tzinfo=SEOUL).astimezone(UTC)


def as_utc(moment: datetime) -> datetime:
    """Return a datetime as aware UTC; SQLite hands back naive values that are already UTC."""
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)
