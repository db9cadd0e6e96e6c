"""Business time: working hours, weekdays, China's statutory holidays and 调休 days."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from deals.calendar import (
    add_working_time,
    is_working_day,
    suggest_deadline,
    working_time_between,
)
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


# --- China's 2026 statutory schedule (State Council notice on the 2026 holidays) ---------

HOLIDAYS_2026 = [
    (1, 1),
    (1, 2),  # New Year (1-1 to 1-3; 1-3 is a Saturday)
    (2, 16),
    (2, 17),
    (2, 18),
    (2, 19),
    (2, 20),
    (2, 23),  # Spring Festival, 2-15 to 2-23
    (4, 6),  # Qingming, 4-4 to 4-6
    (5, 1),
    (5, 4),
    (5, 5),  # Labour Day, 5-1 to 5-5
    (6, 19),  # Dragon Boat, 6-19 to 6-21
    (9, 25),  # Mid-Autumn, 9-25 to 9-27
    (10, 1),
    (10, 2),
    (10, 5),
    (10, 6),
    (10, 7),  # National Day, 10-1 to 10-7
]
MAKE_UP_WORKDAYS_2026 = [(1, 4), (2, 14), (2, 28), (5, 9), (9, 20), (10, 10)]


@pytest.mark.parametrize(("month", "day"), HOLIDAYS_2026)
def test_2026_statutory_weekday_holidays_are_days_off(month, day):
    assert not is_working_day(team(), dt.date(2026, month, day))


@pytest.mark.parametrize(("month", "day"), MAKE_UP_WORKDAYS_2026)
def test_2026_make_up_weekends_are_working_days(month, day):
    date = dt.date(2026, month, day)
    assert date.isoweekday() >= 6
    assert is_working_day(team(), date)


def test_an_ordinary_weekend_stays_off_and_an_ordinary_weekday_on():
    assert not is_working_day(team(), dt.date(2026, 11, 28))
    assert is_working_day(team(), dt.date(2026, 11, 27))


def test_the_national_day_week_is_skipped_and_the_make_up_saturday_counts():
    # Wed 2026-09-30 17:00, 16 working hours: 1 h on 9-30, then nothing until Thu 10-8
    # (holiday 10-1..10-7), 9 h on 10-8, 6 h on Fri 10-9 → 10-9 15:00.
    assert suggest_deadline(team(16), at(2026, 9, 30, 17, 0)) == at(2026, 10, 9, 15, 0)
    # From Fri 10-9 17:00, 4 h: 1 h Friday, then the make-up Saturday 10-10 09:00-12:00.
    assert suggest_deadline(team(4), at(2026, 10, 9, 17, 0)) == at(2026, 10, 10, 12, 0)


def test_working_time_between_ignores_nights_weekends_and_holidays():
    assert working_time_between(team(), at(2026, 11, 27, 17, 0), at(2026, 11, 30, 10, 0)) == (
        dt.timedelta(hours=2)
    )
    assert working_time_between(team(), at(2026, 10, 1, 9), at(2026, 10, 7, 18)) == (
        dt.timedelta(0)
    )


def test_years_without_statutory_data_fall_back_to_the_teams_weekdays():
    assert is_working_day(team(), dt.date(2031, 10, 1))  # a Wednesday, no data for 2031
    assert not is_working_day(team(), dt.date(2031, 10, 4))  # a Saturday


def test_adding_working_time_is_the_inverse_of_measuring_it():
    start = at(2026, 9, 29, 15, 20)
    for hours in (1, 5, 9, 13, 40):
        end = add_working_time(team(), start, dt.timedelta(hours=hours))
        assert working_time_between(team(), start, end) == dt.timedelta(hours=hours)
