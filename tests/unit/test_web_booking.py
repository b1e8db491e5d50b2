"""Room booking pages: an association sees the price, requests a room; a veilleur approves it; cancel."""
import re
from datetime import date, timedelta

import pytest

from tests.conftest import PARIS, Clock
from tests.unit.web_support import Visitor, build_platform, text_of


def next_tuesday() -> str:
    today = Clock.today()
    return (today + timedelta(days=(1 - today.weekday()) % 7 or 7)).isoformat()


@pytest.fixture
def people(tmp_path, monkeypatch, clock):
    gateway = build_platform(tmp_path, monkeypatch, clock)
    asso, veilleur = Visitor(gateway), Visitor(gateway)
    asso.sign_in("asso@coroutine.test")
    veilleur.sign_in("veilleur@coroutine.test")
    return asso, veilleur


def meeting_room(visitor) -> str:
    html = visitor.get("/sites/la-coroutine/book").get_data(as_text=True)
    return re.search(r'<option value="([^"]+)"[^>]*>Salle de réunion \(10\)', html).group(1)


def request_form(room: str, **changes) -> dict:
    return {"room": room, "date": next_tuesday(), "starts": "10:00", "ends": "12:00", "attendees": "8",
            "title": "Réunion revenu de base", "public": "yes", **changes}


def test_the_site_page_links_each_room_to_its_booking_form(people):
    asso, _veilleur = people
    html = asso.get("/sites/la-coroutine").get_data(as_text=True)
    assert re.search(r'href="/sites/la-coroutine/book\?room=[^"]+">Réserver Salle de réunion<', html)


def test_an_association_sees_that_the_room_is_free_before_asking(people):
    asso, _veilleur = people
    page = asso.submit("/sites/la-coroutine/book", {**request_form(meeting_room(asso)), "action": "quote"})
    assert page.status_code == 200, text_of(page)
    text = text_of(page)
    assert "Gratuit : un don à la tirelire est bienvenu." in text
    assert "Une personne de permanence confirme la demande." in text
    assert 'value="Réunion revenu de base"' in page.get_data(as_text=True)


def test_a_request_waits_then_is_confirmed_from_the_dashboard(people):
    asso, veilleur = people
    sent = asso.submit("/sites/la-coroutine/book", {**request_form(meeting_room(asso)), "action": "request"})
    assert sent.status_code == 302 and sent.headers["Location"] == "/reservations"
    text = text_of(asso.get("/reservations"))
    assert "Votre demande est envoyée" in text and "en attente de validation" in text
    dashboard = veilleur.get("/veilleur?site=la-coroutine")
    assert "Réservations en attente de validation" in text_of(dashboard)
    assert "Réunion revenu de base" in text_of(dashboard)
    action = re.search(r'action="(/veilleur/reservations/[^"]+/confirm)"', dashboard.get_data(as_text=True)).group(1)
    confirmed = veilleur.submit("/veilleur?site=la-coroutine", {"site": "la-coroutine"}, action=action)
    assert confirmed.status_code == 302
    assert "Aucune réservation en attente." in text_of(veilleur.get("/veilleur?site=la-coroutine"))
    assert "État : confirmée" in text_of(asso.get("/reservations"))


def test_declining_needs_a_reason_and_the_requester_reads_it(people):
    asso, veilleur = people
    asso.submit("/sites/la-coroutine/book", {**request_form(meeting_room(asso)), "action": "request"})
    dashboard = veilleur.get("/veilleur?site=la-coroutine").get_data(as_text=True)
    action = re.search(r'action="(/veilleur/reservations/[^"]+/decline)"', dashboard).group(1)
    veilleur.submit("/veilleur?site=la-coroutine", {"site": "la-coroutine", "reason": ""}, action=action)
    assert "Indiquez la raison du refus." in text_of(veilleur.get("/veilleur?site=la-coroutine"))
    veilleur.submit("/veilleur?site=la-coroutine", {"site": "la-coroutine", "reason": "Salle en travaux"},
                    action=action)
    text = text_of(asso.get("/reservations"))
    assert "refusée" in text and "Salle en travaux" in text


def test_booking_errors_are_shown_next_to_the_times(people):
    asso, _veilleur = people
    room = meeting_room(asso)
    missing = asso.submit("/sites/la-coroutine/book", {**request_form(room, starts="", date=""), "action": "quote"})
    assert missing.status_code == 422
    html = missing.get_data(as_text=True)
    assert 'id="f-date-error"' in html and 'id="f-starts-error"' in html
    backwards = asso.submit("/sites/la-coroutine/book", {**request_form(room, starts="12:00", ends="10:00"),
                                                         "action": "request"})
    assert backwards.status_code == 422
    assert 'class="error-summary"' in backwards.get_data(as_text=True)


def test_the_requester_cancels_a_reservation(people):
    asso, _veilleur = people
    asso.submit("/sites/la-coroutine/book", {**request_form(meeting_room(asso)), "action": "request"})
    action = re.search(r'action="(/reservations/[^"]+/cancel)"', asso.get("/reservations").get_data(as_text=True))
    cancelled = asso.submit("/reservations", {}, action=action.group(1))
    assert cancelled.status_code == 302
    text = text_of(asso.get("/reservations"))
    assert "La réservation est annulée." in text and "Annuler cette réservation" not in text


def test_todays_confirmed_public_booking_is_on_the_site_page(people, clock):
    asso, veilleur = people
    today = clock.today()
    # The clock is at CLOCK_START, a Tuesday at 10:00: La Coroutine is open until 19:00.
    assert (today.weekday(), clock.now().astimezone(PARIS).hour) == (1, 10)
    room = meeting_room(veilleur)
    sent = veilleur.submit("/sites/la-coroutine/book", {**request_form(room, date=today.isoformat(),
                                                                       starts="11:00", ends="12:00",
                                                                       title="Atelier réparation"),
                                                        "action": "request"})
    assert sent.status_code == 302, text_of(sent)
    dashboard = veilleur.get("/veilleur?site=la-coroutine").get_data(as_text=True)
    confirm = re.search(r'action="(/veilleur/reservations/[^"]+/confirm)"', dashboard)
    if confirm:
        veilleur.submit("/veilleur?site=la-coroutine", {"site": "la-coroutine"}, action=confirm.group(1))
    text = text_of(asso.get("/sites/la-coroutine"))
    assert "Événements publics du jour" in text
    assert "de 11:00 à 12:00" in text and "Atelier réparation (Salle de réunion, La Coroutine)" in text


def test_an_association_member_makes_the_private_calendar_address(people):
    asso, _veilleur = people
    page = asso.get("/reservations")
    assert "Agenda privé de Collectif pour un revenu de base Lille" in text_of(page)
    made = asso.submit("/reservations", {}, action="/reservations/calendar-link")
    assert made.status_code == 201 and made.headers["Cache-Control"] == "no-store"
    link = re.search(r'id="calendar-link">([^<]+)<', made.get_data(as_text=True)).group(1)
    path = link.split("://", 1)[1].split("/", 1)[1]
    feed = asso.client.get("/" + path.replace("&amp;", "&"))
    assert feed.status_code == 200 and b"BEGIN:VCALENDAR" in feed.data


def test_the_public_events_of_a_day_come_from_the_sites_public_feed(people):
    asso, veilleur = people
    tuesday = date.fromisoformat(next_tuesday())
    room = meeting_room(veilleur)
    veilleur.submit("/sites/la-coroutine/book", {**request_form(room, title="Repair café", starts="15:00",
                                                                ends="17:00"), "action": "request"})
    asso.submit("/sites/la-coroutine/book", {**request_form(room, title="Réunion privée", public="",
                                                            starts="10:00", ends="11:00"), "action": "request"})
    dashboard = veilleur.get("/veilleur?site=la-coroutine").get_data(as_text=True)
    for action in re.findall(r'action="(/veilleur/reservations/[^"]+/confirm)"', dashboard):
        veilleur.submit("/veilleur?site=la-coroutine", {"site": "la-coroutine"}, action=action)
    from gateway.web.today import todays_public_bookings

    with veilleur.app.test_request_context("/"):
        lines = todays_public_bookings({"slug": "la-coroutine", "timezone": "Europe/Paris"}, today=tuesday)
        other_day = todays_public_bookings({"slug": "la-coroutine", "timezone": "Europe/Paris"},
                                           today=tuesday + timedelta(days=1))
    assert lines == ["de 15:00 à 17:00 : Repair café (Salle de réunion, La Coroutine)"]
    assert other_day == []


def test_the_room_calendar_shows_free_and_taken_spans_and_links_free_ones_to_the_form(people):
    asso, _veilleur = people
    tuesday = next_tuesday()
    asso.submit("/sites/la-coroutine/book", {**request_form(meeting_room(asso)), "action": "request"})
    page = asso.get(f"/sites/la-coroutine/calendar?week={tuesday}")
    assert page.status_code == 200
    text = text_of(page)
    assert "Mardi" in text and "Dimanche" in text and "Fermé." in text
    assert "de 10:00 à 12:00 : occupé (en attente de validation)" in text
    html = page.get_data(as_text=True).replace("&amp;", "&")
    link = re.search(rf'href="(/sites/la-coroutine/book\?room=[^"]+&date={tuesday}&starts=12:00&ends=19:00)"', html)
    assert link, "the free afternoon links to the booking form"
    form = asso.get(link.group(1)).get_data(as_text=True)
    assert f'value="{tuesday}"' in form and 'value="12:00"' in form and 'value="19:00"' in form
