"""The notifier on SQLite and a real SMTP server (aiosmtpd): who is told what, once, in their language."""
from __future__ import annotations

import re
from datetime import date, datetime, timedelta, timezone
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from icalendar import Calendar
from sqlalchemy import select

import gateway.service as gateway_service
from gateway import create_app as create_gateway
from gateway.notifications import service
from gateway.notifications.handlers import HANDLERS
from gateway.notifications.jobs import Notifications
from gateway.notifications.models import Notification, OutgoingMail
from gateway.notifications.settings import MailSettings
from gateway.notifications.sources import NOTIFIER_IDENTITY, Sources
from shared.bus.consumer import Consumer
from shared.config import Settings, service_url
from shared.events import encode, new_event
from shared.identity import HEADER, Identity, sign_identity
from shared.keys import identity_private_key
from tests.conftest import app_for, identity_header
from tests.support.mailbox import Mailbox
from tests.unit.web_support import WsgiAdapter, deliver_outbox_by_hand

# A Monday morning in Paris; every date below is reckoned from it, never from the real clock.
NOW = datetime(2026, 11, 2, 8, 0, tzinfo=timezone.utc)
PASSWORD = "un mot de passe assez long"
BASE_URL = "https://veilleuse.test"


@pytest.fixture
def mailbox():
    with Mailbox() as box:
        yield box


class World:
    """The gateway (its notifier) on SQLite, booking and relay in-process, and a real SMTP server."""

    def __init__(self, sqlite_database, mailbox, monkeypatch):
        from services.booking import create_app as create_booking
        from services.grocery import create_app as create_grocery
        from services.relay import create_app as create_relay

        self.mailbox = mailbox
        self.clock = NOW
        monkeypatch.setattr(service, "clock", lambda: self.clock)
        self.db = sqlite_database("gateway")
        self.relay_db = sqlite_database("relay")
        self.booking_db = sqlite_database("booking")
        self.grocery_db = sqlite_database("grocery")
        with self.db.transaction() as session:
            site = gateway_service.create_site(session, "la-coroutine", "La Coroutine", "8 rue Molière, 59800 Lille",
                                               opening_hours={day: [{"opens": "08:00", "closes": "22:00"}]
                                                              for day in gateway_service.WEEKDAYS})
            self.site_id = site.id
        deliver_outbox_by_hand({"gateway": self.db, "relay": self.relay_db, "booking": self.booking_db,
                                "grocery": self.grocery_db})
        self.relay = app_for(create_relay, "relay", self.relay_db)
        self.booking = app_for(create_booking, "booking", self.booking_db)
        http = requests.Session()
        http.mount(service_url("relay").rstrip("/") + "/", WsgiAdapter(self.relay))
        http.mount(service_url("booking").rstrip("/") + "/", WsgiAdapter(self.booking))
        self.grocery = app_for(create_grocery, "grocery", self.grocery_db)
        http.mount(service_url("grocery").rstrip("/") + "/", WsgiAdapter(self.grocery))
        self.settings = Settings.from_env("gateway", database_url=self.db.url)
        self.mail = MailSettings(smtp_url=mailbox.url, mail_from="Veilleuse <no-reply@veilleuse.test>",
                                 files_dir=None, base_url=BASE_URL)
        self.notifications = Notifications(self.settings, mail=self.mail, sources=Sources(self.settings, http))
        self.gateway = app_for(create_gateway, "gateway", self.db)
        self.gateway.extensions["veilleuse.notifier"] = self.notifications.notifier
        self.api = self.gateway.test_client()

    def account(self, email: str, language: str = "fr", confirmed: bool = True, roles=("neighbour",)):
        with self.db.transaction() as session:
            account = gateway_service.register_account(session, email, PASSWORD, email.split("@")[0].title(),
                                                       language, roles)
            if confirmed:
                service.mark_confirmed(session, account, self.clock)
            return account

    def deliver(self, event: dict) -> str:
        consumer = Consumer(self.db, "amqp://unused", "veilleuse.events", "veilleuse.dlx", "gateway.notifications",
                            HANDLERS)
        return consumer.apply(encode(event)).action

    def round(self, at: datetime | None = None) -> dict | None:
        self.clock = at or self.clock
        return self.notifications.round(self.db, self.clock)

    def statuses(self) -> dict[str, int]:
        with self.db.sessions() as session:
            rows = session.execute(select(Notification.status)).scalars().all()
        return {status: rows.count(status) for status in set(rows)}


@pytest.fixture
def world(sqlite_database, mailbox, monkeypatch):
    return World(sqlite_database, mailbox, monkeypatch)


def link_in(text: str, path: str) -> str:
    found = re.search(rf"{re.escape(BASE_URL)}{re.escape(path)}\?token=([\w-]+)", text)
    assert found, f"no {path} link in:\n{text}"
    return found.group(1)


def sign_in(api, email: str, password: str):
    return api.post("/api/auth/token", json={"email": email, "password": password})


# -- password reset --------------------------------------------------------------------------------------
def test_a_reset_mail_goes_to_that_person_alone_in_their_language_and_its_link_sets_the_password_once(
        world, monkeypatch):
    world.account("sam@example.test", language="en")
    world.account("camille@example.test", language="fr")
    # A session opened an hour before the reset must end with it.
    monkeypatch.setattr(gateway_service.time, "time", lambda: NOW.timestamp() - 3600)
    old_session = sign_in(world.api, "sam@example.test", PASSWORD).json["access_token"]
    monkeypatch.undo()
    monkeypatch.setattr(service, "clock", lambda: world.clock)

    asked = world.api.post("/api/auth/password-reset", json={"email": "Sam@Example.test"})
    assert asked.status_code == 202
    world.round()
    [mail] = world.mailbox.received
    assert mail.recipients == ["sam@example.test"]
    assert mail.subject == "Choose a new password" and mail.message["Content-Language"] == "en"
    assert "30 minutes" in mail.text and "List-Unsubscribe" not in mail.message  # a security message
    token = link_in(mail.text, "/password-reset")
    assert token in mail.html and "Hello Sam," in mail.text

    reset = world.api.post("/api/auth/password-reset/confirm", json={"token": token, "password": "tout nouveau secret"})
    assert reset.status_code == 204
    assert sign_in(world.api, "sam@example.test", PASSWORD).status_code == 401
    assert sign_in(world.api, "sam@example.test", "tout nouveau secret").status_code == 200
    me = world.api.get("/api/accounts/me", headers={"Authorization": f"Bearer {old_session}"})
    assert me.status_code == 401, "a session opened before the reset still works"

    again = world.api.post("/api/auth/password-reset/confirm", json={"token": token, "password": "encore un autre"})
    assert again.status_code == 422 and again.json["errors"] == {"token": ["link used"]}
    assert sign_in(world.api, "sam@example.test", "tout nouveau secret").status_code == 200
    assert world.mailbox.to("camille@example.test") == []


def test_a_reset_link_expires_after_30_minutes(world):
    world.account("sam@example.test")
    world.api.post("/api/auth/password-reset", json={"email": "sam@example.test"})
    world.round()
    token = link_in(world.mailbox.received[0].text, "/password-reset")
    assert "30 minutes" in world.mailbox.received[0].text.replace("\xa0", " ")
    world.clock = NOW + timedelta(minutes=30)
    late = world.api.post("/api/auth/password-reset/confirm", json={"token": token, "password": "tout nouveau secret"})
    assert late.status_code == 422 and late.json["errors"] == {"token": ["link expired"]}
    assert sign_in(world.api, "sam@example.test", PASSWORD).status_code == 200


def test_a_link_still_valid_a_minute_before_its_end_works(world):
    world.account("sam@example.test")
    world.api.post("/api/auth/password-reset", json={"email": "sam@example.test"})
    world.round()
    token = link_in(world.mailbox.received[0].text, "/password-reset")
    world.clock = NOW + timedelta(minutes=29)
    weak = world.api.post("/api/auth/password-reset/confirm", json={"token": token, "password": "court"})
    assert weak.status_code == 422 and "password" in weak.json["errors"]
    done = world.api.post("/api/auth/password-reset/confirm", json={"token": token, "password": "tout nouveau secret"})
    assert done.status_code == 204, "a refused weak password must leave the link usable"


def test_a_reset_for_an_unknown_address_answers_the_same_and_sends_nothing(world):
    world.account("sam@example.test")
    known = world.api.post("/api/auth/password-reset", json={"email": "sam@example.test"})
    unknown = world.api.post("/api/auth/password-reset", json={"email": "personne@example.test"})
    assert (known.status_code, known.json) == (unknown.status_code, unknown.json) == (202, known.json)
    world.round()
    assert [m.recipients for m in world.mailbox.received] == [["sam@example.test"]]


def test_reset_requests_are_rate_limited_per_address_asked(world, monkeypatch):
    monkeypatch.setenv("PASSWORD_RESET_RATE_LIMIT_ACCOUNT", "3 per hour")
    for _ in range(3):
        assert world.api.post("/api/auth/password-reset", json={"email": "x@example.test"}).status_code == 202
    refused = world.api.post("/api/auth/password-reset", json={"email": "X@example.test"})
    assert refused.status_code == 429
    assert world.api.post("/api/auth/password-reset", json={"email": "y@example.test"}).status_code == 202


# -- confirmation, preferences, unsubscribe ------------------------------------------------------------
def absence_event(account_id: str, site_id: str, basket: str = "basket-1") -> dict:
    return new_event("relay.basket.absence_declared", "/veilleuse/relay", {
        "basket_id": basket, "distribution_id": "distribution-1", "site_id": site_id, "account_id": account_id,
        "distribution_date": "2026-11-05", "starts_at": "2026-11-05T17:00:00+00:00",
        "ends_at": "2026-11-05T19:00:00+00:00", "basket_kind": "small", "quantity": 1, "status": "absent",
        "absences_used": 1, "absence_allowance": 2}, subject=basket)


def test_nothing_but_the_confirmation_goes_to_an_address_not_yet_confirmed(world):
    signed_up = world.api.post("/api/accounts", json={"email": "neo@example.test", "password": PASSWORD,
                                                      "display_name": "Néo", "language": "fr"})
    assert signed_up.status_code == 201
    account_id = signed_up.json["id"]
    assert world.deliver(absence_event(account_id, world.site_id, "basket-1")) == "applied"
    world.round()
    [confirmation] = world.mailbox.received
    assert confirmation.subject == "Confirmez votre adresse e-mail"
    token = link_in(confirmation.text, "/confirm-email")

    assert world.api.post("/api/auth/email-confirmation/confirm", json={"token": token}).status_code == 204
    assert world.deliver(absence_event(account_id, world.site_id, "basket-2")) == "applied"
    world.round()
    assert [m.subject for m in world.mailbox.received][1:] == ["Absence enregistrée pour le 5 nov. 2026"]
    assert world.api.post("/api/auth/email-confirmation/confirm", json={"token": token}).status_code == 422


def test_a_topic_turned_off_is_not_sent_and_the_one_click_unsubscribe_turns_it_off(world):
    sam = world.account("sam@example.test", language="en")
    world.deliver(absence_event(sam.id, world.site_id, "basket-1"))
    world.round()
    [mail] = world.mailbox.received
    assert mail.subject == "Absence recorded for Nov 5, 2026"
    assert mail.message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    url = mail.message["List-Unsubscribe"].strip("<>")
    assert url.startswith(f"{BASE_URL}/unsubscribe?token=") and url in mail.text

    # What a mail program does (RFC 8058): a POST to the URL, no cookie, no CSRF token.
    parts = urlsplit(url)
    clicked = world.gateway.test_client().post(f"{parts.path}?{parts.query}", data="List-Unsubscribe=One-Click",
                                               content_type="application/x-www-form-urlencoded")
    assert clicked.status_code == 200
    token = sign_in(world.api, "sam@example.test", PASSWORD).json["access_token"]
    mine = world.api.get("/api/accounts/me/notifications", headers={"Authorization": f"Bearer {token}"})
    assert mine.json == {"email_confirmed": True, "topics": {"amap": False, "rooms": True, "volunteering": True,
                                                             "grocery": True, "housing": True}}
    world.deliver(absence_event(sam.id, world.site_id, "basket-2"))
    world.round()
    assert len(world.mailbox.received) == 1

    forged = parse_qs(parts.query)["token"][0][:-2] + "xx"
    assert world.gateway.test_client().post(f"/unsubscribe?token={forged}").status_code == 400


def test_preferences_are_changed_through_the_api_and_refuse_unknown_topics(world):
    world.account("sam@example.test")
    auth = {"Authorization": f"Bearer {sign_in(world.api, 'sam@example.test', PASSWORD).json['access_token']}"}
    changed = world.api.patch("/api/accounts/me/notifications", json={"topics": {"rooms": False}}, headers=auth)
    assert changed.status_code == 200 and changed.json["topics"]["rooms"] is False
    bad = world.api.patch("/api/accounts/me/notifications", json={"topics": {"spam": True}}, headers=auth)
    assert bad.status_code == 422 and bad.headers["Content-Type"].startswith("application/problem+json")
    assert world.api.get("/api/accounts/me/notifications").status_code == 401


# -- delivery ---------------------------------------------------------------------------------------------
def test_a_permanent_550_is_marked_failed_and_never_tried_again(world):
    sam = world.account("sam@example.test")
    gone = world.account("parti@example.test")
    world.mailbox.refused.add("parti@example.test")
    world.deliver(absence_event(sam.id, world.site_id, "basket-1"))
    world.deliver(absence_event(gone.id, world.site_id, "basket-2"))
    assert world.round() == {"decided": 2, "sent": 1, "failed": 1}
    assert world.statuses() == {"sent": 1, "failed": 1}
    for hours in (1, 24):
        world.round(NOW + timedelta(hours=hours))
    assert [m.recipients for m in world.mailbox.received] == [["sam@example.test"]]
    with world.db.sessions() as session:
        failed = session.scalars(select(Notification).where(Notification.status == "failed")).one()
        assert failed.attempts == 1 and failed.last_error == "smtp 550 at rcpt"
        assert session.scalars(select(OutgoingMail)).all() == [], "a finished mail keeps no content"
    admin = world.account("admin@example.test", roles=("admin",))
    auth = {"Authorization": f"Bearer {sign_in(world.api, admin.email, PASSWORD).json['access_token']}"}
    report = world.api.get("/api/notifications/report", headers=auth).json
    assert report["counts"] == {"queued": 0, "sent": 1, "failed": 1}
    assert [f["reason"] for f in report["failures"]] == ["smtp 550 at rcpt"]
    assert "example.test" not in str(report)


def test_while_the_server_is_away_mails_wait_with_a_growing_delay_then_go_once(world):
    sam = world.account("sam@example.test")
    world.deliver(absence_event(sam.id, world.site_id))
    world.mailbox.stop()
    assert world.round() == {"decided": 1, "postponed": 1}
    assert world.round(NOW + timedelta(seconds=59)) is None, "tried again before its delay"
    assert world.round(NOW + timedelta(minutes=1)) == {"postponed": 1}
    assert world.round(NOW + timedelta(minutes=2)) is None, "the second delay is longer"
    world.mailbox.start()
    assert world.round(NOW + timedelta(minutes=3)) == {"sent": 1}
    assert world.round(NOW + timedelta(hours=2)) is None
    assert len(world.mailbox.received) == 1


def test_a_redelivered_event_sends_nothing_more(world):
    sam = world.account("sam@example.test")
    event = absence_event(sam.id, world.site_id)
    assert world.deliver(event) == "applied"
    world.round()
    assert world.deliver(event) == "duplicate"
    world.round(NOW + timedelta(hours=1))
    assert len(world.mailbox.received) == 1


def test_an_event_without_its_ids_is_dead_lettered(world):
    event = new_event("relay.basket.absence_declared", "/veilleuse/relay", {"basket_id": "b"})
    assert world.deliver(event) == "dead-lettered"


def test_without_a_mail_server_mails_become_eml_files_that_the_admin_page_lists(world, tmp_path):
    world.notifications = Notifications(world.settings, mail=MailSettings(
        smtp_url=None, mail_from="Veilleuse <no-reply@veilleuse.test>", files_dir=tmp_path / "mail",
        base_url=BASE_URL))
    world.gateway.extensions["veilleuse.notifier"] = world.notifications.notifier
    world.account("sam@example.test")
    world.api.post("/api/auth/password-reset", json={"email": "sam@example.test"})
    assert world.round() == {"sent": 1}
    [path] = (tmp_path / "mail").glob("*.eml")
    assert b"sam@example.test" in path.read_bytes()
    assert world.mailbox.received == []


# -- rooms -------------------------------------------------------------------------------------------------
def book_a_room(world, requester_id: str, day: int = 10) -> str:
    """A reservation that waits for a veilleur, made on the booking service as of NOW."""
    from services.booking import service as booking

    with world.booking_db.transaction() as session:
        room = next(iter(booking.list_rooms(session, "la-coroutine")), None) or booking.create_room(
            session, "la-coroutine", "Salle de réunion", 10, approval_required_for=["individual"])
        reservation = booking.request_reservation(
            session, Identity(subject=requester_id, roles=("neighbour",)), room.id,
            datetime(2026, 11, day, 13, 0, tzinfo=timezone.utc), datetime(2026, 11, day, 15, 0, tzinfo=timezone.utc),
            6, title="Atelier couture", now=NOW)
        assert reservation.status == "requested"
        return reservation.id


def booking_event(world, type_: str, reservation_id: str) -> dict:
    return new_event(type_, "/veilleuse/booking", {"reservation_id": reservation_id, "site_id": world.site_id},
                     subject=reservation_id)


def test_an_approved_booking_is_mailed_to_its_requester_with_an_icalendar_file(world):
    sam = world.account("sam@example.test", language="en")
    world.account("camille@example.test")
    reservation_id = book_a_room(world, sam.id)
    staff = identity_header("veilleur-1", roles=("veilleur",))
    assert world.booking.test_client().post(f"/reservations/{reservation_id}/confirm", headers=staff,
                                            json={}).status_code == 200
    world.deliver(booking_event(world, "booking.reservation.confirmed", reservation_id))
    world.round()
    [mail] = world.mailbox.received
    assert mail.recipients == ["sam@example.test"]
    assert mail.subject == "Your booking is confirmed: Salle de réunion, Nov 10, 2026"
    assert "from 14:00 to 16:00" in mail.text and "8 rue Molière" in mail.text
    [attachment] = list(mail.message.iter_attachments())
    assert attachment.get_content_type() == "text/calendar" and attachment.get_filename() == "reservation.ics"
    event = Calendar.from_ical(attachment.get_content()).walk("VEVENT")[0]
    assert event.decoded("dtstart") == datetime(2026, 11, 10, 13, 0, tzinfo=timezone.utc)
    assert event.decoded("dtend") == datetime(2026, 11, 10, 15, 0, tzinfo=timezone.utc)
    assert str(event["summary"]) == "Atelier couture"


def test_a_declined_booking_tells_its_requester_the_reason_in_french(world):
    sam = world.account("sam@example.test", language="fr")
    reservation_id = book_a_room(world, sam.id)
    staff = identity_header("veilleur-1", roles=("veilleur",))
    declined = world.booking.test_client().post(f"/reservations/{reservation_id}/decline", headers=staff,
                                                json={"reason": "La salle est en travaux ce jour-là."})
    assert declined.status_code == 200, declined.json
    world.deliver(booking_event(world, "booking.reservation.declined", reservation_id))
    world.round()
    [mail] = world.mailbox.received
    assert mail.subject == "Votre demande de réservation est refusée : Salle de réunion, 10 nov. 2026"
    assert "Leur raison : La salle est en travaux ce jour-là." in mail.text
    assert list(mail.message.iter_attachments()) == []


def test_requests_to_approve_reach_the_veilleurs_as_one_grouped_message(world):
    sam = world.account("sam@example.test")
    veilleur = world.account("veilleur@example.test", roles=("veilleur",))
    world.account("voisin@example.test")
    first = book_a_room(world, sam.id)
    world.deliver(booking_event(world, "booking.reservation.requested", first))
    world.round()
    assert world.mailbox.received == [], "the first request waits for others"
    world.clock = NOW + timedelta(minutes=5)
    second = book_a_room(world, sam.id, day=11)
    world.deliver(booking_event(world, "booking.reservation.requested", second))
    world.round(NOW + timedelta(minutes=10))
    [mail] = world.mailbox.received
    assert mail.recipients == [veilleur.email]
    assert mail.subject == "2 demandes de réservation attendent à La Coroutine"
    world.round(NOW + timedelta(hours=1))
    assert len(world.mailbox.received) == 1


# -- AMAP ------------------------------------------------------------------------------------------------
def make_distribution(world, holders: list[str]) -> str:
    from services.relay import service as relay

    with world.relay_db.transaction() as session:
        producer = relay.create_producer(session, "Ferme du Pévèle")
        contract = relay.create_contract(
            session, producer.id, "la-coroutine", "Légumes", "thu", "18:00", "20:00", date(2026, 11, 5),
            date(2026, 11, 12), [{"name": "small", "price_cents": 1200}], now=NOW)
        for account_id in holders:
            relay.subscribe(session, contract.id, account_id, "small", now=NOW)
        return relay.list_distributions(session, contract.id)[0].id


def test_the_reminder_the_day_before_gives_each_holder_their_own_pickup_code_once(world):
    sam = world.account("sam@example.test", language="fr")
    alex = world.account("alex@example.test", language="en")
    world.account("voisin@example.test")
    distribution_id = make_distribution(world, [sam.id, alex.id])
    with world.relay_db.sessions() as session:
        from services.relay.models import Basket

        codes = dict(session.execute(select(Basket.account_id, Basket.pickup_code).where(
            Basket.distribution_id == distribution_id)).all())

    assert world.notifications.plan(world.db, NOW) is None, "three days before: not yet"
    eve = datetime(2026, 11, 4, 17, 30, tzinfo=timezone.utc)  # the distribution opens 2026-11-05 18:00 Paris
    assert world.notifications.plan(world.db, eve) == {"reminders": 1}
    world.round(eve)
    assert sorted(m.recipients[0] for m in world.mailbox.received) == ["alex@example.test", "sam@example.test"]
    [to_sam] = world.mailbox.to("sam@example.test")
    [to_alex] = world.mailbox.to("alex@example.test")
    assert to_sam.subject == "Votre panier demain à La Coroutine, 18:00-20:00"
    assert to_alex.subject == "Your basket tomorrow at La Coroutine, 18:00-20:00"
    assert codes[sam.id] in to_sam.text and codes[alex.id] not in to_sam.text
    assert codes[alex.id] in to_alex.text and codes[sam.id] not in to_alex.text
    assert f"{BASE_URL}/baskets" in to_sam.text and "jeudi 5 novembre 2026, de 18:00 à 20:00" in to_sam.text

    later = eve + timedelta(hours=1)
    assert world.notifications.plan(world.db, later) is None
    world.round(later)
    assert len(world.mailbox.received) == 2


def test_internal_endpoints_answer_the_notifier_only(world):
    distribution_id = make_distribution(world, ["someone"])
    path = f"/internal/notifications/distributions/{distribution_id}"
    client = world.relay.test_client()
    notifier = {HEADER: sign_identity(NOTIFIER_IDENTITY, identity_private_key(), 60)}
    assert client.get(path, headers=notifier).status_code == 200
    assert client.get(path).status_code == 401
    admin = identity_header("admin-1", roles=("admin", "veilleur"))
    assert client.get(path, headers=admin).status_code == 403
    program = identity_header("apikey:1", roles=("admin",), kind="program")
    assert client.get(path, headers=program).status_code == 403
    other = {HEADER: sign_identity(Identity(subject="service:other", kind="service"), identity_private_key())}
    assert client.get(path, headers=other).status_code == 403
    assert "/internal" not in str(client.get("/openapi.json").json["paths"])


def test_an_erased_account_gets_a_goodbye_and_leaves_nothing_behind(world):
    sam = world.account("sam@example.test")
    auth = {"Authorization": f"Bearer {sign_in(world.api, 'sam@example.test', PASSWORD).json['access_token']}"}
    world.api.patch("/api/accounts/me/notifications", json={"topics": {"rooms": False}}, headers=auth)
    world.deliver(absence_event(sam.id, world.site_id))
    assert world.api.delete("/api/accounts/me", headers=auth).status_code == 204
    world.round()
    [goodbye] = world.mailbox.received
    assert goodbye.subject == "Votre compte est supprimé"
    with world.db.sessions() as session:
        assert session.scalars(select(Notification.account_id).where(Notification.account_id.is_not(None))).all() == []
