"""A new ask's suggested deadline follows the team's working hours and weekdays."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from deals.services import suggest_deadline
from stakeholders.models import Team

SHANGHAI = ZoneInfo("Asia/Shanghai")


def at(*args):
    return dt.datetime(*args, tzinfo=SHANGHAI)


def team(hours=16):
    return Team(name="售前技术部", function="presales", turnaround_hours=hours)


def test_sixteen_working_hours_from_tuesday_ten_is_wednesday_five_pm():
    # 8 h left on Tuesday (10:00-18:00), then 8 h of Wednesday from 09:00.
    assert suggest_deadline(team(16), at(2026, 11, 24, 10, 0)) == at(2026, 11, 25, 17, 0)


def test_a_friday_afternoon_ask_skips_the_weekend():
    # Fri 2026-11-27 16:00: 2 h left on Friday, 6 h on Monday → Mon 2026-11-30 15:00
    assert suggest_deadline(team(8), at(2026, 11, 27, 16, 0)) == at(2026, 11, 30, 15, 0)


def test_an_ask_logged_at_night_starts_counting_next_morning():
    assert suggest_deadline(team(4), at(2026, 11, 24, 22, 30)) == at(2026, 11, 25, 13, 0)


def test_a_partial_hour_rounds_up_to_the_next_full_hour():
    assert suggest_deadline(team(4), at(2026, 11, 24, 9, 20)) == at(2026, 11, 24, 14, 0)


@pytest.mark.parametrize("hours", [1, 9, 40])
def test_the_deadline_always_falls_inside_working_hours(hours):
    due = suggest_deadline(team(hours), at(2026, 11, 24, 17, 45))
    assert due.isoweekday() <= 5
    assert dt.time(9) <= due.timetz().replace(tzinfo=None) <= dt.time(18)
