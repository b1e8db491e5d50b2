"""Pages for everyone: home, site page, language switch, sign in/up, my account, CSRF."""
import pytest

from tests.unit.web_support import Visitor, build_platform, text_of


@pytest.fixture
def gateway(tmp_path, monkeypatch, clock):
    return build_platform(tmp_path, monkeypatch, clock)


@pytest.fixture
def visitor(gateway):
    return Visitor(gateway)


def test_home_lists_every_site_with_a_link_in_french_by_default(visitor):
    page = visitor.get("/")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert '<html lang="fr">' in html
    assert 'href="/sites/la-coroutine"' in html and 'href="/sites/mutualab"' in html
    assert "Vos tiers-lieux de quartier" in text_of(page)
    assert 'href="#main"' in html and 'id="main"' in html


def test_site_page_shows_address_hours_in_french_and_rooms_from_booking(visitor):
    text = text_of(visitor.get("/sites/la-coroutine"))
    assert "8 rue Molière, 59800 Lille" in text
    assert "Lundi de 09:00 à 19:00" in text
    assert "Samedi de 10:00 à 18:00" in text
    assert "Dimanche Fermé" in text
    assert "Salle de réunion" in text and "10 personnes" in text
    assert "Makerspace" in text and "Open space" not in text


def test_an_unknown_site_is_a_404_page(visitor):
    page = visitor.get("/sites/nowhere")
    assert page.status_code == 404
    assert page.mimetype == "text/html" and "Page introuvable" in text_of(page)


def test_site_page_still_shows_when_booking_is_down(tmp_path, monkeypatch, clock):
    visitor = Visitor(build_platform(tmp_path, monkeypatch, clock, booking_up=False))
    page = visitor.get("/sites/la-coroutine")
    assert page.status_code == 200
    text = text_of(page)
    assert "8 rue Molière" in text and "La liste des salles n'est pas disponible" in text


def test_the_switch_speaks_english_and_comes_back_to_the_same_page(visitor):
    switched = visitor.switch_language("en", "/sites/mutualab")
    assert switched.status_code == 302 and switched.headers["Location"] == "/sites/mutualab"
    page = visitor.get("/sites/mutualab")
    assert '<html lang="en">' in page.get_data(as_text=True)
    text = text_of(page)
    assert "Monday 08:30 to 19:30" in text and "Sunday Closed" in text and "Opening hours" in text
    assert "Français" in text


def test_the_switch_never_redirects_to_another_host(visitor):
    switched = visitor.submit("/", {"lang": "en", "next": "//evil.example/"}, action="/language")
    assert switched.headers["Location"] == "/"


def test_a_form_without_its_csrf_token_is_refused_but_the_json_api_is_not(visitor):
    refused = visitor.client.post("/signin", data={"email": "voisin@coroutine.test", "password": "veilleuse-demo"})
    assert refused.status_code == 400 and "Le formulaire a expiré" in text_of(refused)
    api = visitor.client.post("/api/auth/token", json={"email": "voisin@coroutine.test",
                                                       "password": "veilleuse-demo"})
    assert api.status_code == 200 and api.get_json()["access_token"]


def test_signing_in_opens_my_account_and_the_cookie_is_httponly_and_lax(visitor):
    response = visitor.sign_in("voisin@coroutine.test")
    assert response.headers["Location"] == "/account"
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
    text = text_of(visitor.get("/account"))
    assert "voisin@coroutine.test" in text and "Sam (voisin)" in text and "voisin·e" in text


def test_a_wrong_password_is_said_in_french_and_keeps_the_email(visitor):
    page = visitor.submit("/signin", {"email": "voisin@coroutine.test", "password": "nope"})
    assert page.status_code == 401
    assert "L'adresse e-mail ou le mot de passe n'est pas correct." in text_of(page)
    assert 'value="voisin@coroutine.test"' in page.get_data(as_text=True)
    assert visitor.get("/account").status_code == 302


def test_sign_in_goes_back_to_the_page_asked_for(visitor):
    asked = visitor.get("/admin/sites")
    assert asked.status_code == 302 and asked.headers["Location"].startswith("/signin?next=/admin/sites")
    response = visitor.submit("/signin?next=/admin/sites", {"email": "admin@coroutine.test",
                                                          "password": "veilleuse-demo", "next": "/admin/sites"})
    assert response.headers["Location"] == "/admin/sites"


def test_sign_up_shows_api_errors_next_to_their_fields_in_french(visitor):
    page = visitor.submit("/signup", {"email": "not-an-email", "display_name": "Awa", "password": "short",
                                      "language": "fr"})
    assert page.status_code == 422
    html = page.get_data(as_text=True)
    assert 'id="f-email-error"' in html and "Cette adresse e-mail n&#39;est pas valide." in html
    assert 'aria-invalid="true"' in html and 'aria-describedby="f-email-error"' in html
    assert 'value="Awa"' in html
    short = visitor.submit("/signup", {"email": "awa@example.test", "display_name": "Awa", "password": "short",
                                       "language": "fr"})
    assert 'id="f-password-error"' in short.get_data(as_text=True)
    assert "Utilisez au moins 10 caractères." in text_of(short)


def test_sign_up_with_a_taken_email_says_so_next_to_the_email(visitor):
    page = visitor.submit("/signup", {"email": "voisin@coroutine.test", "display_name": "Autre",
                                      "password": "un mot de passe long", "language": "fr"})
    assert page.status_code == 409
    assert "Un compte utilise déjà cette adresse e-mail" in text_of(page)
    assert 'id="f-email-error"' in page.get_data(as_text=True)


def test_signing_up_in_english_signs_in_and_speaks_english(visitor):
    response = visitor.submit("/signup", {"email": "newcomer@example.test", "display_name": "Newcomer",
                                          "password": "a long enough password", "language": "en"})
    assert response.status_code == 302 and response.headers["Location"] == "/account"
    page = visitor.get("/account")
    assert '<html lang="en">' in page.get_data(as_text=True)
    assert "newcomer@example.test" in text_of(page) and "Delete my account" in text_of(page)


def test_the_accounts_preferred_language_is_used_at_sign_in(visitor, gateway):
    visitor.sign_in("voisin@coroutine.test")
    saved = visitor.submit("/account", {"action": "profile", "display_name": "Sam", "language": "en"})
    assert saved.status_code == 302
    assert "Your changes are saved." in text_of(visitor.get("/account"))
    visitor.submit("/account", {}, action="/signout")
    other = Visitor(gateway)
    assert '<html lang="fr">' in other.get("/").get_data(as_text=True)
    other.sign_in("voisin@coroutine.test")
    assert '<html lang="en">' in other.get("/").get_data(as_text=True)


def test_a_bad_current_password_is_shown_next_to_it(visitor):
    visitor.sign_in("voisin@coroutine.test")
    page = visitor.submit("/account", {"action": "password", "current_password": "wrong-password",
                                       "password": "another long password"})
    assert page.status_code == 422
    assert 'id="f-current_password-error"' in page.get_data(as_text=True)
    assert "Indiquez votre mot de passe actuel" in text_of(page)


def test_changing_the_password_keeps_me_signed_in(visitor):
    visitor.sign_in("voisin@coroutine.test")
    changed = visitor.submit("/account", {"action": "password", "current_password": "veilleuse-demo",
                                          "password": "a brand new password"})
    assert changed.status_code == 302
    assert visitor.get("/account").status_code == 200


def test_sign_out_ends_the_session_and_keeps_the_language(visitor):
    visitor.switch_language("en")
    visitor.sign_in("voisin@coroutine.test")
    visitor.switch_language("en")
    visitor.submit("/", {}, action="/signout")
    assert visitor.get("/account").status_code == 302
    assert '<html lang="en">' in visitor.get("/").get_data(as_text=True)


def test_an_expired_token_sends_me_to_sign_in_again(visitor):
    visitor.sign_in("voisin@coroutine.test")
    with visitor.client.session_transaction() as session:
        session["token"] = "expired-or-forged"
    page = visitor.get("/account")
    assert page.status_code == 302 and page.headers["Location"].startswith("/signin")
    assert "Votre session est terminée" in text_of(visitor.get(page.headers["Location"]))


def test_deleting_my_account_needs_the_box_ticked_then_forgets_me(visitor):
    visitor.sign_in("voisin@coroutine.test")
    refused = visitor.submit("/account", {}, action="/account/delete")
    assert refused.status_code == 422 and "Cochez la case" in text_of(refused)
    deleted = visitor.submit("/account", {"confirm": "yes"}, action="/account/delete")
    assert deleted.status_code == 302
    assert "Votre compte est supprimé" in text_of(visitor.get("/"))
    again = visitor.submit("/signin", {"email": "voisin@coroutine.test", "password": "veilleuse-demo"})
    assert again.status_code == 401


def test_a_language_picked_before_signing_in_wins_over_the_accounts(visitor):
    visitor.switch_language("en", "/signin")
    visitor.sign_in("voisin@coroutine.test")
    assert '<html lang="en">' in visitor.get("/account").get_data(as_text=True)


def test_an_unexpected_error_on_a_page_is_a_page_not_json(visitor, monkeypatch):
    from gateway.web import pages

    def broken(*_args, **_kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(pages, "todays_sections", broken)
    page = visitor.get("/sites/la-coroutine")
    assert page.status_code == 500 and page.mimetype == "text/html"
    assert "Un problème est survenu" in text_of(page)
    api = visitor.client.get("/api/nowhere/at-all")
    assert api.status_code == 404 and api.mimetype == "application/problem+json"
