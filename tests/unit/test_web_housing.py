"""Housing pages: a newcomer posts a request, sees ranked homes with reasons, both say yes, contacts show."""
import re
from datetime import timedelta

import pytest

from tests.conftest import Clock
from tests.unit.web_support import Visitor, build_platform, text_of


@pytest.fixture
def gateway(tmp_path, monkeypatch, clock):
    return build_platform(tmp_path, monkeypatch, clock)


def signed_in(gateway, email):
    visitor = Visitor(gateway)
    visitor.sign_in(email)
    return visitor


def request_form(**changes) -> dict:
    return {"arrival_date": (Clock.today() + timedelta(days=12)).isoformat(), "stay_months": "6",
            "budget": "480", "household_size": "1", "kind_wanted": "any", "languages": ["es", "fr"],
            "areas": ["wazemmes"], "hours": "quiet", "max_roommates": "0", "about": "Étudiante en master",
            "contact_email": "voisin@coroutine.test", "contact_phone": "", **changes}


def post_request(visitor, **changes):
    return visitor.submit("/housing/requests/new", request_form(**changes))


def test_a_newcomer_posts_a_request_and_sees_the_room_with_reasons_in_french(gateway):
    newcomer = signed_in(gateway, "voisin@coroutine.test")
    form = newcomer.get("/housing/requests/new").get_data(as_text=True)
    assert 'value="voisin@coroutine.test"' in form and '<option value="es">Espagnol</option>' in form
    posted = post_request(newcomer)
    assert posted.status_code == 302, text_of(posted)
    page = newcomer.get(posted.headers["Location"])
    text = text_of(page)
    assert "Votre demande est publiée" in text
    assert "Une chambre, Wazemmes: 420,00 €" in text
    assert "Vous parlez tous deux : espagnol, français." in text
    assert "À Wazemmes, un des quartiers souhaités." in text
    assert "Le loyer charges comprises est 60,00 € sous le budget." in text


def test_request_errors_are_shown_next_to_their_fields(gateway):
    newcomer = signed_in(gateway, "voisin@coroutine.test")
    bad = post_request(newcomer, budget="beaucoup")
    assert bad.status_code == 422 and 'id="f-budget-error"' in bad.get_data(as_text=True)
    none = post_request(newcomer, languages=[], budget="5")
    assert none.status_code == 422
    html = none.get_data(as_text=True)
    assert 'id="f-languages-error"' in html and 'id="f-budget-error"' in html


def test_both_sides_say_yes_and_then_see_each_others_contact(gateway):
    newcomer, host = signed_in(gateway, "voisin@coroutine.test"), signed_in(gateway, "asso@coroutine.test")
    request_page = newcomer.get(post_request(newcomer).headers["Location"])
    match_path = re.search(r'href="(/housing/matches/[^"]+)"', request_page.get_data(as_text=True)).group(1)
    assert "Les coordonnées ne sont partagées que lorsque" in text_of(newcomer.get(match_path))
    newcomer.submit(match_path, {}, action=f"{match_path}/interest")
    assert "Votre intérêt est envoyé" in text_of(newcomer.get(match_path))
    assert "asso@coroutine.test" not in newcomer.get(match_path).get_data(as_text=True)
    host_page = host.get(match_path)
    assert host_page.status_code == 200 and "L'autre côté : intéressé·e" in text_of(host_page)
    host.submit(match_path, {}, action=f"{match_path}/interest")
    assert "Vous êtes tous deux intéressés" in text_of(host.get(match_path))
    assert "voisin@coroutine.test" in text_of(host.get(match_path))
    assert "asso@coroutine.test" in text_of(newcomer.get(match_path))


def test_messages_are_exchanged_before_consent(gateway):
    newcomer, host = signed_in(gateway, "voisin@coroutine.test"), signed_in(gateway, "asso@coroutine.test")
    request_page = newcomer.get(post_request(newcomer).headers["Location"])
    match_path = re.search(r'href="(/housing/matches/[^"]+)"', request_page.get_data(as_text=True)).group(1)
    empty = newcomer.submit(match_path, {"body": ""})
    assert empty.status_code == 422 and 'id="f-body-error"' in empty.get_data(as_text=True)
    sent = newcomer.submit(match_path, {"body": "Bonjour, la chambre est-elle calme ?"})
    assert sent.status_code == 302
    assert "Bonjour, la chambre est-elle calme ?" in text_of(host.get(match_path))


def test_an_offer_is_checked_by_a_veilleur_before_it_is_published(gateway):
    host, veilleur = signed_in(gateway, "asso@coroutine.test"), signed_in(gateway, "veilleur@coroutine.test")
    offer = {"kind": "room", "rent": "350", "charges": "30", "deposit": "350",
             "available_from": (Clock.today() + timedelta(days=5)).isoformat(), "available_until": "",
             "area": "moulins", "max_occupants": "1", "languages": ["fr"], "hours": "flexible",
             "house_rules": "Calme après 22 h.", "contact_email": "asso@coroutine.test", "contact_phone": ""}
    address = host.submit("/housing/offers/new", {**offer, "house_rules": "Au 12 rue des Postes"})
    assert address.status_code == 422 and 'id="f-house_rules-error"' in address.get_data(as_text=True)
    saved = host.submit("/housing/offers/new", offer)
    assert saved.status_code == 302
    assert "en attente de vérification" in text_of(host.get(saved.headers["Location"]))
    assert host.get("/housing/review").status_code == 403
    queue = veilleur.get("/housing/review")
    assert "Moulins: 380,00 €" in text_of(queue)
    offer_id = saved.headers["Location"].rsplit("/", 1)[1]
    published = veilleur.submit("/housing/review", {}, action=f"/housing/review/{offer_id}/publish")
    assert published.status_code == 302
    assert "L'offre est publiée." in text_of(veilleur.get("/housing/review"))
    assert "publiée" in text_of(host.get(f"/housing/offers/{offer_id}"))


def test_my_housing_page_lists_my_requests_and_offers(gateway):
    host = signed_in(gateway, "asso@coroutine.test")
    text = text_of(host.get("/housing"))
    assert "Mes offres" in text and "Une chambre, Wazemmes, 420,00 €" in text


def test_two_newcomers_are_proposed_a_roommate_group_and_one_agrees(gateway):
    first, second = signed_in(gateway, "voisin@coroutine.test"), signed_in(gateway, "asso@coroutine.test")
    veilleur = signed_in(gateway, "veilleur@coroutine.test")
    paths = [post_request(person, max_roommates="1").headers["Location"]
             for person in (first, second)]
    with veilleur.client.session_transaction() as session:
        staff = {"Authorization": f"Bearer {session['token']}"}
    run = veilleur.client.post("/api/housing/groups/proposals", headers=staff, json={})
    assert run.status_code in (200, 201) and run.get_json()["proposed"] >= 1, run.get_json()
    page = first.get(paths[0])
    assert "Un groupe de colocation vous est proposé" in text_of(page)
    agree = re.search(r'action="(/housing/groups/[^"]+/agree)"', page.get_data(as_text=True)).group(1)
    answered = first.submit(paths[0], {"back": paths[0]}, action=agree)
    assert answered.status_code == 302 and answered.headers["Location"] == paths[0]
    text = text_of(first.get(paths[0]))
    assert "Votre réponse est enregistrée." in text and "1 membre a accepté." in text
    evil = first.submit(paths[0], {"back": "https://evil.example/"}, action=agree)
    assert evil.headers["Location"] == "/housing"


def test_a_newcomer_reports_an_offer_and_the_veilleur_reads_why(gateway):
    newcomer, veilleur = signed_in(gateway, "voisin@coroutine.test"), signed_in(gateway, "veilleur@coroutine.test")
    request_page = newcomer.get(post_request(newcomer).headers["Location"])
    match_path = re.search(r'href="(/housing/matches/[^"]+)"', request_page.get_data(as_text=True)).group(1)
    offer_id = match_path.rsplit("/", 1)[1]
    reported = newcomer.submit(match_path, {"reason": "scam", "comment": "On me demande un virement avant visite",
                                            "back": match_path}, action=f"/housing/offers/{offer_id}/report")
    assert reported.status_code == 302 and reported.headers["Location"] == match_path
    assert "Merci : une personne bénévole va examiner cette offre." in text_of(newcomer.get(match_path))
    queue = text_of(veilleur.get("/housing/review"))
    assert "1 signalement ouvert" in queue
    assert "Cela ressemble à une arnaque : On me demande un virement avant visite" in queue
