"""Small helpers the escalation tests share: Shanghai times, email addresses, and teams
that work around the clock (so tests run against the wall clock never wait for a
weekday)."""

import datetime as dt
from zoneinfo import ZoneInfo

SH = ZoneInfo("Asia/Shanghai")


def at(*parts) -> dt.datetime:
    return dt.datetime(*parts, tzinfo=SH)


def give_email(*people) -> None:
    for person in people:
        person.email = f"{person.username}@example.com"
        person.save()


def work_around_the_clock(*teams) -> None:
    for team in teams:
        team.workday_start = dt.time(0, 0)
        team.workday_end = dt.time(23, 59, 59)
        team.working_weekdays = "1234567"
        team.statutory_calendar = False
        team.save()
