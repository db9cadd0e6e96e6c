"""Business time: a team's working hours, on its working days, in its time zone.

A day is a working day when China's statutory calendar says so: a statutory holiday is
off even on a weekday, and a make-up working day (调休) is on even on a weekend. Outside
the years the calendar library covers, the team's own working weekdays decide.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass
from functools import lru_cache
from zoneinfo import ZoneInfo

import chinese_calendar

logger = logging.getLogger(__name__)

# No ask waits more than this many calendar days for its next working hour; a bound, not
# a rule (a team configured with no working days would otherwise loop forever).
_SEARCH_DAYS = 400


@lru_cache(maxsize=4096)
def statutory_status(day: dt.date) -> bool | None:
    """True on a make-up working day, False on a statutory holiday, None otherwise or when
    the year is outside the library's data."""
    try:
        workday = chinese_calendar.is_workday(day)
    except NotImplementedError:
        logger.warning("No statutory calendar for %s; using the team's weekdays.", day.year)
        return None
    weekend = day.isoweekday() >= 6
    if weekend and workday:
        return True  # a make-up working day (调休)
    if not weekend and not workday:
        return False  # a statutory holiday
    return None


def is_working_day(team, day: dt.date) -> bool:
    status = statutory_status(day) if getattr(team, "statutory_calendar", True) else None
    if status is not None:
        return status
    return str(day.isoweekday()) in team.working_weekdays


def working_day_length(team) -> dt.timedelta:
    """How long the team's working day is: "one business day" in ladders and spans."""
    return _day_length(team.workday_start, team.workday_end)


@lru_cache(maxsize=64)
def _day_length(start: dt.time, end: dt.time) -> dt.timedelta:
    day = dt.date(2000, 1, 1)
    return dt.datetime.combine(day, end) - dt.datetime.combine(day, start)


def _window(team, day: dt.date, zone: ZoneInfo) -> tuple[dt.datetime, dt.datetime]:
    start = dt.datetime.combine(day, team.workday_start, tzinfo=zone)
    end = dt.datetime.combine(day, team.workday_end, tzinfo=zone)
    return start, end


def working_time_between(team, start: dt.datetime, end: dt.datetime) -> dt.timedelta:
    """How much of [start, end) falls inside the team's working hours.

    Worked out as the difference of two running totals of working time (see
    _Ledger), so a span of weeks costs what a span of an hour does: queues and boards
    ask this hundreds of times per page."""
    if end <= start:
        return dt.timedelta(0)
    ledger = _ledger(_calendar_key(team))
    return max(dt.timedelta(0), ledger.worked_until(end) - ledger.worked_until(start))


def _calendar_key(team) -> tuple:
    return (
        team.time_zone,
        team.workday_start,
        team.workday_end,
        team.working_weekdays,
        getattr(team, "statutory_calendar", True),
    )


class _Ledger:
    """Running totals of one calendar's working time: for each day, the working time
    from an anchor day up to that day's midnight (negative before the anchor), filled in
    lazily in either direction as dates are asked about. The calendar's settings are the
    key, so an edited team gets a new ledger, never a stale one."""

    def __init__(self, key: tuple):
        self.calendar = _Calendar(*key)
        self.zone = ZoneInfo(self.calendar.time_zone)
        self.before: dict[dt.date, dt.timedelta] = {}  # working time before the day

    def _day(self, day: dt.date) -> tuple[dt.datetime, dt.datetime] | None:
        if not is_working_day(self.calendar, day):
            return None
        return _window(self.calendar, day, self.zone)

    def _length(self, day: dt.date) -> dt.timedelta:
        window = self._day(day)
        return window[1] - window[0] if window else dt.timedelta(0)

    def _before(self, day: dt.date) -> dt.timedelta:
        before = self.before
        if day in before:
            return before[day]
        if not before:
            before[day] = dt.timedelta(0)
            return before[day]
        first, last = min(before), max(before)
        one = dt.timedelta(days=1)
        if day > last:
            total, cursor = before[last], last
            while cursor < day:
                total += self._length(cursor)
                cursor += one
                before[cursor] = total
        else:
            total, cursor = before[first], first
            while cursor > day:
                cursor -= one
                total -= self._length(cursor)
                before[cursor] = total
        return before[day]

    def worked_until(self, moment: dt.datetime) -> dt.timedelta:
        """Working time from the anchor up to ``moment`` (negative before the anchor)."""
        local = moment.astimezone(self.zone)
        day = local.date()
        total = self._before(day)
        window = self._day(day)
        if window is not None:
            open_, close = window
            total += min(max(local, open_), close) - open_
        return total


@dataclass(frozen=True)
class _Calendar:
    time_zone: str
    workday_start: dt.time
    workday_end: dt.time
    working_weekdays: str
    statutory_calendar: bool


@lru_cache(maxsize=256)
def _ledger(key: tuple) -> _Ledger:
    return _Ledger(key)


def horizon(team, now: dt.datetime, days: int) -> dt.datetime:
    """``days`` working days after ``now`` on the team's calendar. The same for every ask
    of a team in one queue read, so it is worked out once (keyed by the calendar's
    settings, not the team, so an edited calendar is never served stale)."""
    return _horizon(_calendar_key(team), now, days)


@lru_cache(maxsize=512)
def _horizon(key: tuple, now: dt.datetime, days: int) -> dt.datetime:
    calendar = _Calendar(*key)
    return add_working_time(calendar, now, working_day_length(calendar) * days)


def add_working_time(team, start: dt.datetime, duration: dt.timedelta) -> dt.datetime:
    """The moment ``duration`` of the team's working time after ``start``.

    Steps: move to the team's time zone; walk day by day; on each working day take the
    working hours left after the cursor until the duration is used up.
    """
    zone = ZoneInfo(team.time_zone)
    cursor = start.astimezone(zone)
    remaining = duration
    for _ in range(_SEARCH_DAYS):
        day = cursor.date()
        if is_working_day(team, day):
            open_, close = _window(team, day, zone)
            begin = max(cursor, open_)
            if begin < close:
                if remaining <= close - begin:
                    return begin + remaining
                remaining -= close - begin
        cursor = dt.datetime.combine(day + dt.timedelta(days=1), dt.time(0), tzinfo=zone)
    return start + duration


def suggest_deadline(team, now: dt.datetime) -> dt.datetime:
    """The team's usual turnaround from now in working time, rounded up to the next whole
    hour but never past the end of that working day."""
    due = add_working_time(team, now, dt.timedelta(hours=team.turnaround_hours))
    if due.minute or due.second or due.microsecond:
        zone = ZoneInfo(team.time_zone)
        _, close = _window(team, due.astimezone(zone).date(), zone)
        due = min(due.replace(minute=0, second=0, microsecond=0) + dt.timedelta(hours=1), close)
    return due


def subtract_working_time(team, end: dt.datetime, duration: dt.timedelta) -> dt.datetime:
    """The moment ``duration`` of the team's working time before ``end`` (the mirror of
    add_working_time: walk back day by day, taking the working hours before the cursor)."""
    zone = ZoneInfo(team.time_zone)
    cursor = end.astimezone(zone)
    remaining = duration
    for _ in range(_SEARCH_DAYS):
        day = cursor.date()
        if is_working_day(team, day):
            open_, close = _window(team, day, zone)
            finish = min(cursor, close)
            if finish > open_:
                if remaining <= finish - open_:
                    return finish - remaining
                remaining -= finish - open_
        cursor = dt.datetime.combine(day, dt.time(0), tzinfo=zone)
        # Step to the very end of the previous day.
        cursor = cursor - dt.timedelta(microseconds=1)
    return end - duration


def next_working_moment(team, at: dt.datetime) -> dt.datetime:
    """``at`` itself when it falls in working hours, else the start of the next working
    period: what quiet hours wait for."""
    return add_working_time(team, at, dt.timedelta(0))


def in_working_hours(team, at: dt.datetime) -> bool:
    return next_working_moment(team, at) == at


@dataclass(frozen=True)
class WorkingHours:
    """A calendar with a team's hours read in another time zone: a person's working
    period when they sit somewhere other than their team."""

    time_zone: str
    workday_start: dt.time
    workday_end: dt.time
    working_weekdays: str
    statutory_calendar: bool = True


def hours_for_person(team, time_zone: str | None) -> WorkingHours:
    if team is None:
        return WorkingHours(time_zone or "Asia/Shanghai", dt.time(9), dt.time(18), "12345")
    return WorkingHours(
        time_zone or team.time_zone,
        team.workday_start,
        team.workday_end,
        team.working_weekdays,
        team.statutory_calendar,
    )
