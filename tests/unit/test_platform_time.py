"""The end-to-end tests' calendar: today in Paris whatever the machine's zone, offsets of the day, open days."""
from datetime import date, datetime, timedelta

from tests.conftest import PARIS
from tests.support import platform_time


def test_today_is_the_day_in_paris_even_when_utc_is_still_in_the_last_month(clock):
    clock.move_to(datetime(2027, 6, 1, 0, 30, tzinfo=PARIS))  # 22:30 on 31 May in UTC
    assert platform_time.platform_today() == date(2027, 6, 1)
    assert platform_time.days_ahead(-1) == date(2027, 5, 31)


def test_a_story_that_needs_the_day_to_last_waits_for_the_next_one(clock, monkeypatch):
    slept = []
    monkeypatch.setattr(platform_time.timer, "sleep", lambda seconds: (slept.append(seconds), clock.shift(seconds)))
    clock.move_to(datetime(2027, 4, 30, 23, 55, tzinfo=PARIS), tick=False)
    assert platform_time.platform_today(lasting=timedelta(minutes=4)) == date(2027, 4, 30) and slept == []
    assert platform_time.platform_today(lasting=timedelta(minutes=10)) == date(2027, 5, 1)
    assert slept == [5 * 60 + 1]


def test_wall_clock_times_carry_the_offset_of_their_day():
    assert platform_time.paris(date(2027, 3, 28), 1).isoformat() == "2027-03-28T01:00:00+01:00"
    assert platform_time.paris(date(2027, 3, 28), 14).isoformat() == "2027-03-28T14:00:00+02:00"
    assert platform_time.paris(date(2027, 10, 31), 14).isoformat() == "2027-10-31T14:00:00+01:00"


def test_weekday_ahead_is_at_least_that_many_weeks_away(clock):
    clock.move_to(datetime(2027, 3, 28, 23, 59, tzinfo=PARIS))  # a Sunday night
    assert platform_time.weekday_ahead(1, 1) == date(2027, 4, 6)
    assert platform_time.weekday_ahead(6, 1) == date(2027, 4, 4)


def test_the_open_day_comes_from_the_sites_hours_not_the_calendar():
    hours = {"tue": [{"opens": "09:00", "closes": "12:00"}], "thu": [{"opens": "14:00", "closes": "19:00"}]}
    monday = date(2027, 4, 5)
    assert platform_time.open_day(hours, monday, "10:00", "11:00") == date(2027, 4, 6)
    assert platform_time.open_day(hours, monday, "14:00", "17:00") == date(2027, 4, 8)
    assert not platform_time.is_open(hours, date(2027, 4, 6), "11:00", "13:00")
