"""Recurring series: weekly, every second week, monthly by weekday; conflicts reported and skipped."""
from __future__ import annotations

from datetime import date, datetime, timedelta

from services.booking.recurrence import occurrences
from tests.unit.test_booking_reservations import ASSO, NEIGHBOUR, OTHER, PARIS, VEILLEUR, at, book, client, db, monday  # noqa: F401


class ParisSite:
    timezone = "Europe/Paris"


def local(moment: datetime) -> datetime:
    return moment.astimezone(PARIS)


def series(client, headers=ASSO, day=None, start="18:00", end="19:00", **recurrence):
    day = day or monday()
    return client.post("/reservation-series", headers=headers, json={
        "room": "room-1", "starts_at": at(day, start), "ends_at": at(day, end), "attendees": 8,
        "title": "Réunion mensuelle", "recurrence": recurrence})


def test_a_weekly_series_of_ten_meeting_one_booking_creates_nine_and_reports_one(client):
    fourth = monday() + timedelta(weeks=3)
    assert book(client, headers=NEIGHBOUR, day=fourth, start="17:30", end="18:30").status_code == 201
    response = series(client, frequency="weekly", count=10)
    assert response.status_code == 201, response.json
    result = response.json
    assert len(result["created"]) == 9 and len(result["skipped"]) == 1
    skipped = result["skipped"][0]
    assert skipped["rule"] == "overlap"
    assert local(datetime.fromisoformat(skipped["starts_at"])).date() == fourth
    assert skipped["conflict"]["starts_at"] == at(fourth, "17:30")
    assert {r["series_id"] for r in result["created"]} == {result["series"]["id"]}
    assert all(r["status"] == "requested" for r in result["created"])


def test_occurrences_stay_at_the_same_local_time_across_the_october_change():
    start = datetime(2031, 10, 14, 18, 0, tzinfo=PARIS)
    found = list(occurrences(ParisSite, start, start + timedelta(hours=2), "weekly", count=3))
    assert [local(s).strftime("%m-%d %H:%M") for s, _ in found] == ["10-14 18:00", "10-21 18:00", "10-28 18:00"]
    assert [(e - s) for s, e in found] == [timedelta(hours=2)] * 3
    assert found[0][0].utcoffset() == timedelta(0) and found[0][0].hour == 16 and found[2][0].hour == 17


def test_every_second_week_and_until_a_date():
    start = datetime(2031, 1, 6, 10, 0, tzinfo=PARIS)
    found = list(occurrences(ParisSite, start, start + timedelta(hours=1), "biweekly", until=date(2031, 2, 17)))
    assert [local(s).date().isoformat() for s, _ in found] == [
        "2031-01-06", "2031-01-20", "2031-02-03", "2031-02-17"]


def test_monthly_by_weekday_keeps_the_nth_weekday_or_the_last_one():
    second_tuesday = datetime(2031, 1, 14, 19, 0, tzinfo=PARIS)
    found = list(occurrences(ParisSite, second_tuesday, second_tuesday + timedelta(hours=2),
                             "monthly_by_weekday", count=4))
    assert [local(s).date().isoformat() for s, _ in found] == ["2031-01-14", "2031-02-11", "2031-03-11",
                                                                "2031-04-08"]
    last_friday = datetime(2031, 1, 31, 19, 0, tzinfo=PARIS)
    found = list(occurrences(ParisSite, last_friday, last_friday + timedelta(hours=1), "monthly_by_weekday",
                             count=3))
    assert [local(s).date().isoformat() for s, _ in found] == ["2031-01-31", "2031-02-28", "2031-03-28"]


def test_occurrences_beyond_the_horizon_or_closed_are_reported_too(client, clock):
    horizon = (monday() + timedelta(weeks=2) - clock.today()).days + 1  # the third Monday is the last one bookable
    client.patch("/rooms/room-1", json={"horizon_days": horizon}, headers=VEILLEUR)
    second = monday() + timedelta(weeks=1)
    client.post("/closures", headers=VEILLEUR, json={"site": "la-coroutine", "starts_at": at(second, "00:00"),
                                                     "ends_at": at(second, "23:59"), "reason": "Férié"})
    result = series(client, frequency="weekly", count=5).json
    assert [s["rule"] for s in result["skipped"]] == ["closure", "horizon", "horizon"]
    assert len(result["created"]) == 2


def test_a_series_that_fits_nowhere_is_a_409_with_every_occurrence_reported(client):
    sunday = monday() + timedelta(days=6)
    response = series(client, day=sunday, frequency="weekly", count=2)
    assert response.status_code == 409
    assert [s["rule"] for s in response.json["skipped"]] == ["opening_hours", "opening_hours"]


def test_rules_common_to_every_occurrence_refuse_the_series_at_once(client):
    response = client.post("/reservation-series", headers=ASSO, json={
        "room": "room-1", "starts_at": at(monday(), "10:00"), "ends_at": at(monday(), "11:00"), "attendees": 99,
        "recurrence": {"frequency": "weekly", "count": 3}})
    assert response.status_code == 422 and response.json["rule"] == "capacity"
    both = series(client, frequency="weekly", count=3, until="2031-01-01")
    assert both.status_code == 422 and "recurrence" in both.json["errors"]
    unknown = series(client, frequency="daily", count=3)
    assert unknown.status_code == 422 and "recurrence" in unknown.json["errors"]


def test_cancel_one_occurrence_or_the_rest_of_the_series(client):
    result = series(client, frequency="weekly", count=4).json
    ids = [r["id"] for r in result["created"]]
    one = client.post(f"/reservations/{ids[1]}/cancel", headers=ASSO)
    assert one.status_code == 200 and one.json["status"] == "cancelled"
    assert client.post(f"/reservation-series/{result['series']['id']}/cancel", json={}, headers=OTHER) \
        .status_code == 404
    third_start = result["created"][2]["starts_at"]
    rest = client.post(f"/reservation-series/{result['series']['id']}/cancel", json={"from": third_start},
                       headers=ASSO)
    assert rest.status_code == 200
    assert [r["id"] for r in rest.json] == ids[2:]
    statuses = [r["status"] for r in client.get(f"/reservation-series/{result['series']['id']}",
                                                headers=ASSO).json["created"]]
    assert statuses == ["requested", "cancelled", "cancelled", "cancelled"]
