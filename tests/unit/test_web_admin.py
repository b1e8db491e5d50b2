"""Admin and veilleur pages: sites, rooms, accounts and roles, API keys."""
import re

import pytest

from tests.unit.web_support import Visitor, build_platform, text_of


@pytest.fixture
def gateway(tmp_path, monkeypatch, clock):
    return build_platform(tmp_path, monkeypatch, clock)


@pytest.fixture
def admin(gateway):
    visitor = Visitor(gateway)
    visitor.sign_in("admin@coroutine.test")
    return visitor


def api(visitor, method, path, **kwargs):
    return getattr(visitor.client, method)(path, **kwargs)


def test_admin_pages_are_refused_to_a_neighbour_and_ask_a_stranger_to_sign_in(gateway):
    stranger = Visitor(gateway)
    assert stranger.get("/admin/accounts").headers["Location"].startswith("/signin")
    neighbour = Visitor(gateway)
    neighbour.sign_in("voisin@coroutine.test")
    for path in ("/admin", "/admin/sites", "/admin/rooms", "/admin/accounts", "/admin/api-keys"):
        page = neighbour.get(path)
        assert page.status_code == 403, path
        assert "Accès non autorisé" in text_of(page)


def test_a_veilleur_manages_rooms_but_not_accounts(gateway):
    veilleur = Visitor(gateway)
    veilleur.sign_in("veilleur@coroutine.test")
    assert veilleur.get("/admin/rooms?site=mutualab").status_code == 200
    assert veilleur.get("/admin/accounts").status_code == 403


def test_admin_creates_a_site_with_opening_hours_and_it_has_its_page(admin):
    created = admin.submit("/admin/sites/new", {
        "slug": "co-factory", "name": "Co-factory", "address": "Lille", "description": "", "timezone": "Europe/Paris",
        "hours.tue.0.opens": "09:00", "hours.tue.0.closes": "12:00",
        "hours.tue.1.opens": "14:00", "hours.tue.1.closes": "18:00"})
    assert created.status_code == 302, text_of(created)
    assert "Le lieu Co-factory est créé." in text_of(admin.get("/admin/sites"))
    text = text_of(admin.get("/sites/co-factory"))
    assert "Mardi de 09:00 à 12:00, de 14:00 à 18:00" in text and "Lundi Fermé" in text


def test_site_form_errors_are_shown_next_to_their_fields(admin):
    page = admin.submit("/admin/sites/new", {"slug": "Bad Slug!", "name": "", "address": "Lille",
                                             "timezone": "Mars/Olympus"})
    assert page.status_code == 422
    html = page.get_data(as_text=True)
    assert 'id="f-slug-error"' in html and 'id="f-name-error"' in html
    assert "Cette valeur n&#39;a pas la bonne forme." in html
    half = admin.submit("/admin/sites/new", {"slug": "half", "name": "Half", "address": "Lille",
                                             "timezone": "Europe/Paris", "hours.mon.0.opens": "09:00"})
    assert half.status_code == 422
    assert "Lundi : indiquez l'heure d'ouverture et l'heure de fermeture." in text_of(half)
    late = admin.submit("/admin/sites/new", {"slug": "late", "name": "Late", "address": "Lille",
                                             "timezone": "Europe/Paris", "hours.wed.0.opens": "18:00",
                                             "hours.wed.0.closes": "09:00"})
    assert "Mercredi : 18:00 doit précéder 09:00." in text_of(late)
    assert 'id="f-opening_hours"' in late.get_data(as_text=True)


def test_admin_edits_a_site(admin):
    form = admin.get("/admin/sites/mutualab/edit").get_data(as_text=True)
    assert 'value="08:30"' in form
    saved = admin.submit("/admin/sites/mutualab/edit", {"name": "Mutualab Lille", "address": "Lille centre",
                                                        "description": "", "timezone": "Europe/Paris",
                                                        "hours.fri.0.opens": "10:00", "hours.fri.0.closes": "16:00"})
    assert saved.status_code == 302
    text = text_of(admin.get("/sites/mutualab"))
    assert "Mutualab Lille" in text and "Vendredi de 10:00 à 16:00" in text and "Lundi Fermé" in text


def test_veilleur_creates_a_room_with_prices_in_euros_stored_in_cents(admin):
    created = admin.submit("/admin/rooms/new?site=la-coroutine", {
        "site": "la-coroutine", "name": "Atelier vélo", "capacity": "6", "equipment": "outils\npompe",
        "accessibility": "Plain-pied", "rates.company.hour": "2,50", "rates.company.half_day": "8",
        "rates.company.day": "15", "rates.association.money_box": "yes"})
    assert created.status_code == 302, text_of(created)
    rooms = api(admin, "get", "/api/booking/rooms?site=la-coroutine").get_json()
    room = next(r for r in rooms if r["name"] == "Atelier vélo")
    assert room["equipment"] == ["outils", "pompe"] and room["capacity"] == 6
    assert room["rates"]["company"] == {"hour": 250, "half_day": 800, "day": 1500, "money_box": False}
    assert room["rates"]["association"]["money_box"] is True
    assert "Atelier vélo" in text_of(admin.get("/admin/rooms?site=la-coroutine"))


def test_room_form_errors_come_from_the_page_and_the_api(admin):
    money = admin.submit("/admin/rooms/new", {"site": "la-coroutine", "name": "X", "capacity": "4",
                                              "rates.company.hour": "deux euros"})
    assert money.status_code == 422
    assert 'id="f-rates-company-hour-error"' in money.get_data(as_text=True)
    assert "Indiquez un montant en euros" in text_of(money)
    too_big = admin.submit("/admin/rooms/new", {"site": "la-coroutine", "name": "X", "capacity": "5000"})
    assert too_big.status_code == 422
    assert 'id="f-capacity-error"' in too_big.get_data(as_text=True)
    assert "Indiquez un nombre entre 1 et 1000." in text_of(too_big)


def test_veilleur_edits_then_retires_a_room(admin):
    rooms = api(admin, "get", "/api/booking/rooms?site=mutualab").get_json()
    room = next(r for r in rooms if r["name"] == "Salle de réunion 2")
    form = admin.get(f"/admin/rooms/{room['id']}/edit").get_data(as_text=True)
    assert 'value="2.00"' in form and "tableau blanc" in form
    saved = admin.submit(f"/admin/rooms/{room['id']}/edit", {"name": "Salle Colibri", "capacity": "7",
                                                             "equipment": "tableau blanc", "accessibility": ""})
    assert saved.status_code == 302 and saved.headers["Location"] == "/admin/rooms?site=mutualab"
    retired = admin.submit("/admin/rooms?site=mutualab", {}, action=f"/admin/rooms/{room['id']}/retire")
    assert retired.status_code == 302
    assert "La salle Salle Colibri est retirée" in text_of(admin.get("/admin/rooms?site=mutualab"))
    assert "Salle Colibri" not in text_of(admin.get("/sites/mutualab"))


def test_admin_gives_a_neighbour_the_veilleur_role_and_an_organisation(admin):
    accounts = admin.get("/admin/accounts")
    html = accounts.get_data(as_text=True)
    account_id = re.search(r'href="/admin/accounts/([^"]+)">Changer les rôles de Sam', html).group(1)
    organisations = api(admin, "get", "/api/organisations",
                        headers={"Authorization": f"Bearer {token(admin)}"}).get_json()
    saved = admin.submit(f"/admin/accounts/{account_id}", {"roles": ["neighbour", "veilleur"],
                                                           "organisation_id": organisations[0]["id"]})
    assert saved.status_code == 302
    voisin = next(a for a in api(admin, "get", "/api/accounts",
                                 headers={"Authorization": f"Bearer {token(admin)}"}).get_json()
                  if a["id"] == account_id)
    assert voisin["roles"] == ["neighbour", "veilleur"]
    assert voisin["organisation"]["id"] == organisations[0]["id"]


def token(visitor) -> str:
    with visitor.client.session_transaction() as session:
        return session["token"]


def test_an_api_key_is_shown_once_works_and_can_be_revoked(admin):
    created = admin.submit("/admin/api-keys", {"name": "Coworking app", "roles": ["veilleur"]})
    assert created.status_code == 201 and created.headers["Cache-Control"] == "no-store"
    key = re.search(r'<code class="secret" id="new-key">([^<]+)</code>', created.get_data(as_text=True)).group(1)
    assert key.startswith("vk_")
    listing = admin.get("/admin/api-keys").get_data(as_text=True)
    assert key not in listing and "Coworking app" in listing
    room = {"site": "la-coroutine", "name": "Par programme", "capacity": 3}
    works = admin.client.post("/api/booking/rooms", json=room, headers={"Authorization": f"Bearer {key}"})
    assert works.status_code == 201
    key_id = re.search(r'action="/admin/api-keys/([^"]+)/revoke"', listing).group(1)
    revoked = admin.submit("/admin/api-keys", {}, action=f"/admin/api-keys/{key_id}/revoke")
    assert revoked.status_code == 302
    assert "révoquée le" in text_of(admin.get("/admin/api-keys"))
    refused = admin.client.post("/api/booking/rooms", json=room, headers={"Authorization": f"Bearer {key}"})
    assert refused.status_code == 401


def test_an_api_key_needs_a_name(admin):
    page = admin.submit("/admin/api-keys", {"name": ""})
    assert page.status_code == 422
    assert 'id="f-name-error"' in page.get_data(as_text=True)
    assert "Utilisez entre 1 et 100 caractères." in text_of(page)
