"""Booking on real PostgreSQL and RabbitMQ: no double booking under concurrent requests, outbox to the bus."""
from __future__ import annotations

import threading
import uuid
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from services.booking import create_app, service
from services.booking.handlers import HANDLERS, IDENTITY_HANDLERS
from services.booking.models import Reservation
from shared.bus.consumer import Consumer
from shared.bus.relay import OutboxRelay
from shared.bus.tail import Tap
from shared.events import encode, new_event
from tests.conftest import Clock, app_for, identity_header

PARIS = ZoneInfo("Europe/Paris")
SITE = {"site_id": "site-1", "slug": "la-coroutine", "name": "La Coroutine", "timezone": "Europe/Paris",
        "version": 1, "opening_hours": {d: [{"opens": "08:00", "closes": "20:00"}]
                                         for d in ("mon", "tue", "wed", "thu", "fri", "sat")}}


def tuesday(weeks_ahead: int = 1) -> date:
    today = Clock.today()
    return today + timedelta(days=(1 - today.weekday()) % 7 + 7 * weeks_ahead)


def at(day: date, hours: int, minutes: int = 0) -> datetime:
    return datetime.combine(day, time(hours, minutes), tzinfo=PARIS)


@pytest.fixture
def db(pg_database, clock):
    """The booking database, with the test's clock at CLOCK_START: a booking's rules all look at "now"."""
    database = pg_database("booking")
    with database.transaction() as session:
        HANDLERS["platform.site.created"](session, {"type": "platform.site.created", "data": SITE})
        service.create_room(session, "la-coroutine", "Salle de réunion", 10, room_id="room-1", buffer_minutes=10)
    return database


def test_twenty_concurrent_overlapping_requests_give_exactly_one_reservation(db):
    app = app_for(create_app, "booking", db)
    day = tuesday()
    barrier = threading.Barrier(20)
    statuses: list[int] = []
    problems: list[dict] = []
    lock = threading.Lock()

    def request(index: int) -> None:
        # Every request overlaps every other one: all start between 10:00 and 10:57 and last an hour.
        body = {"room": "room-1", "starts_at": at(day, 10, index * 3).isoformat(),
                "ends_at": at(day, 11, index * 3).isoformat(), "attendees": 4}
        headers = identity_header(f"account-{index}", ("neighbour",))
        client = app.test_client()
        barrier.wait()
        response = client.post("/reservations", json=body, headers=headers)
        with lock:
            statuses.append(response.status_code)
            if response.status_code != 201:
                problems.append(response.json)

    threads = [threading.Thread(target=request, args=(i,)) for i in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(statuses) == [201] + [409] * 19, problems
    assert all(p["rule"] == "overlap" for p in problems)
    assert all("conflict" in p for p in problems), [p for p in problems if "conflict" not in p]
    with db.transaction() as session:
        active = session.scalar(select(func.count()).select_from(Reservation)
                                .where(Reservation.status.in_(("requested", "confirmed"))))
        assert active == 1


def _row(reservation_id: str, starts: datetime, ends: datetime, blocked: datetime, status: str = "confirmed"):
    now = Clock.now()
    return Reservation(id=reservation_id, room_id="room-1", site_id="site-1", starts_at=starts, ends_at=ends,
                       blocked_until=blocked, attendees=2, public=False, requester_id="x", rate_kind="individual",
                       status=status, currency="EUR", list_price_cents=0, price_cents=0, price_breakdown=[],
                       money_box=False, contribution_cents=0, created_at=now, updated_at=now)


def test_the_database_itself_refuses_overlapping_active_reservations_buffer_included(db):
    day = tuesday()
    with db.transaction() as session:
        session.add(_row(str(uuid.uuid4()), at(day, 10), at(day, 11), at(day, 11, 10)))
    # Starts inside the buffer of the first one: refused by the exclusion constraint, no Python check involved.
    with pytest.raises(IntegrityError) as refused:
        with db.transaction() as session:
            session.add(_row(str(uuid.uuid4()), at(day, 11, 5), at(day, 12), at(day, 12, 10)))
    assert refused.value.orig.sqlstate == "23P01"
    with db.transaction() as session:
        # A cancelled reservation does not hold the room; nor does one that starts after the buffer.
        session.add(_row(str(uuid.uuid4()), at(day, 10, 30), at(day, 11), at(day, 11, 10), status="cancelled"))
        session.add(_row(str(uuid.uuid4()), at(day, 11, 10), at(day, 12), at(day, 12, 10)))


def test_a_weekly_series_of_ten_meeting_one_booking_creates_nine_and_reports_one(db):
    app = app_for(create_app, "booking", db)
    client = app.test_client()
    first = tuesday()
    existing = client.post("/reservations", headers=identity_header("someone"), json={
        "room": "room-1", "starts_at": at(first + timedelta(weeks=3), 18).isoformat(),
        "ends_at": at(first + timedelta(weeks=3), 19).isoformat(), "attendees": 3})
    assert existing.status_code == 201
    response = client.post("/reservation-series", headers=identity_header("asso", organisation_kind="association"),
                           json={"room": "room-1", "starts_at": at(first, 18, 30).isoformat(),
                                 "ends_at": at(first, 19, 30).isoformat(), "attendees": 8,
                                 "recurrence": {"frequency": "weekly", "count": 10}})
    assert response.status_code == 201, response.json
    assert len(response.json["created"]) == 9
    assert len(response.json["skipped"]) == 1
    skipped = response.json["skipped"][0]
    assert skipped["rule"] == "overlap"
    assert datetime.fromisoformat(skipped["starts_at"]) == at(first + timedelta(weeks=3), 18, 30)


def test_an_erased_account_is_applied_once_from_the_bus(db, amqp_url):
    day = tuesday()
    with db.transaction() as session:
        identity = service.Identity(subject="leaving", roles=("neighbour",))
        reservation = service.request_reservation(session, identity, "room-1", at(day, 14), at(day, 15), 3,
                                                  title="Cours de couture chez Alex", public=True)
    consumer = Consumer(db, amqp_url, "veilleuse.events", "veilleuse.dlx", "booking.identity", IDENTITY_HANDLERS)
    body = encode(new_event("identity.account.erased", "/veilleuse/gateway", {"account_id": "leaving"}))
    assert consumer.apply(body).action == "applied"
    assert consumer.apply(body).action == "duplicate"
    assert consumer.apply(encode(new_event("identity.account.erased", "/veilleuse/gateway", {}))).action \
        == "dead-lettered"
    with db.transaction() as session:
        row = session.get(Reservation, reservation.id)
        assert (row.requester_id, row.title, row.status) == (None, None, "confirmed")
        assert row.starts_at == at(day, 14)


def test_reservation_events_leave_through_the_outbox_onto_the_bus(db, amqp_url):
    tap = Tap(amqp_url, ["booking.reservation.#"])
    try:
        day = tuesday(2)
        with db.transaction() as session:
            identity = service.Identity(subject="asso", roles=("neighbour",), organisation_kind="association")
            reservation = service.request_reservation(session, identity, "room-1", at(day, 9), at(day, 10), 5)
        with db.transaction() as session:
            service.confirm_reservation(session, reservation.id, service.Identity(subject="v", roles=("veilleur",)))
        OutboxRelay(db, amqp_url, "veilleuse.events").run_until_empty()
        seen = tap.wait_for(lambda e: e["subject"] == reservation.id, count=2)
        assert [e["type"] for e in seen] == ["booking.reservation.requested", "booking.reservation.confirmed"]
        assert seen[0]["data"]["room_id"] == "room-1" and seen[0]["data"]["attendees"] == 5
    finally:
        tap.close()


def test_an_overlap_the_python_check_missed_is_still_a_409_naming_the_span(db, monkeypatch):
    """As when a concurrent insert is not yet visible to the check: the constraint refuses the row."""
    day = tuesday()
    with db.transaction() as session:
        session.add(_row(str(uuid.uuid4()), at(day, 10), at(day, 11), at(day, 11, 10)))
    real_check = service.conflicting
    calls = []

    def blind_first_check(*args, **kwargs):
        calls.append(args)
        return None if len(calls) == 1 else real_check(*args, **kwargs)

    monkeypatch.setattr(service, "conflicting", blind_first_check)
    response = app_for(create_app, "booking", db).test_client().post(
        "/reservations", headers=identity_header("late"), json={
            "room": "room-1", "starts_at": at(day, 10, 30).isoformat(), "ends_at": at(day, 11, 30).isoformat(),
            "attendees": 2})
    assert response.status_code == 409, response.json
    assert response.json["rule"] == "overlap"
    assert response.json["conflict"]["starts_at"] == at(day, 10).isoformat()
    assert len(calls) == 2  # the insert was tried, refused by the database, and the span looked up
    with db.transaction() as session:
        assert session.scalar(select(func.count()).select_from(Reservation)) == 1
