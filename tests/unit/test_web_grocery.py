"""Grocery checkout for the veilleur: card number, budget left, refusals explained, near-expiry list."""
import re

import pytest

from tests.e2e.web_support import grocery_household
from tests.unit.test_web_relay import api_caller, token
from tests.unit.web_support import Visitor, build_platform, text_of


@pytest.fixture
def counter(tmp_path, monkeypatch, clock):
    gateway = build_platform(tmp_path, monkeypatch, clock)
    veilleur, admin = Visitor(gateway), Visitor(gateway)
    veilleur.sign_in("veilleur@coroutine.test")
    admin.sign_in("admin@coroutine.test")
    card, product = grocery_household(api_caller(veilleur.client),
                                      {"Authorization": f"Bearer {token(veilleur)}"},
                                      {"Authorization": f"Bearer {token(admin)}"})
    return veilleur, card, product


def product_id(page, name: str) -> str:
    html = page.get_data(as_text=True)
    return re.search(rf'<label for="f-qty-([0-9a-f-]+)">{re.escape(name)}', html).group(1)


def test_the_cashier_sees_the_budget_left_of_a_card(counter):
    veilleur, card, _product = counter
    page = veilleur.get(f"/veilleur/checkout?site=la-coroutine&card_number={card.lower()}")
    assert page.status_code == 200
    text = text_of(page)
    assert f"Carte {card}" in text and "Budget restant ce mois-ci : 30,00 €" in text


def test_an_unknown_card_is_said_next_to_the_card_number(counter):
    veilleur, _card, _product = counter
    page = veilleur.get("/veilleur/checkout?site=la-coroutine&card_number=EPI-XXXX-XXXX")
    assert page.status_code == 404
    assert 'id="f-card_number-error"' in page.get_data(as_text=True)
    assert "Aucun foyer n'a ce numéro de carte" in text_of(page)


def test_a_sale_within_the_budget_shows_the_total_and_the_budget_left(counter):
    veilleur, card, _product = counter
    form_page = veilleur.get(f"/veilleur/checkout?site=la-coroutine&card_number={card}")
    pasta = product_id(form_page, "Pâtes 500 g")
    sold = veilleur.submit(f"/veilleur/checkout?site=la-coroutine&card_number={card}",
                           {"site": "la-coroutine", "card_number": card, "payment_method": "cash",
                            f"qty.{pasta}": "3"}, action="/veilleur/checkout")
    assert sold.status_code == 201, text_of(sold)
    text = text_of(sold)
    assert "Vente enregistrée" in text and "À payer : 0,36 €" in text
    assert "Budget restant ce mois-ci : 29,64 €" in text


def test_a_sale_over_the_budget_is_refused_with_the_amount_left(counter):
    veilleur, card, product = counter
    refused = veilleur.submit(f"/veilleur/checkout?site=la-coroutine&card_number={card}",
                              {"site": "la-coroutine", "card_number": card, "payment_method": "cash",
                               f"qty.{product['id']}": "1"}, action="/veilleur/checkout")
    assert refused.status_code == 409
    text = text_of(refused)
    assert "Refusé : ce panier revient à 60,00 €, et il ne reste que 30,00 € ce mois-ci." in text
    assert "Vente enregistrée" not in text


def test_a_bad_quantity_is_shown_next_to_its_product(counter):
    veilleur, card, product = counter
    page = veilleur.submit(f"/veilleur/checkout?site=la-coroutine&card_number={card}",
                           {"site": "la-coroutine", "card_number": card, "payment_method": "cash",
                            f"qty.{product['id']}": "beaucoup"}, action="/veilleur/checkout")
    assert page.status_code == 422
    assert f'id="f-qty-{product["id"]}-error"' in page.get_data(as_text=True)


def test_the_near_expiry_list_shows_a_lot_due_tomorrow_to_sell_first(counter, clock):
    from datetime import timedelta

    veilleur, _card, product = counter
    lot = veilleur.client.post("/api/grocery/lots", headers={"Authorization": f"Bearer {token(veilleur)}"}, json={
        "product_id": product["id"], "quantity": 2, "source": "donation", "donor": "Banque alimentaire",
        "expiry_kind": "dlc", "expiry_date": (clock.today() + timedelta(days=1)).isoformat()})
    assert lot.status_code == 201, lot.get_json()
    page = veilleur.get("/veilleur/near-expiry?site=la-coroutine")
    assert page.status_code == 200
    text = text_of(page)
    assert "Colis de fêtes 2 pièces" in text and "À vendre en premier" in text


def test_a_neighbour_cannot_open_the_checkout(tmp_path, monkeypatch, clock):
    voisin = Visitor(build_platform(tmp_path, monkeypatch, clock))
    voisin.sign_in("voisin@coroutine.test")
    assert voisin.get("/veilleur/checkout").status_code == 403


def test_a_veilleur_registers_a_household_and_gets_its_card_number(counter):
    veilleur, _card, _product = counter
    page = veilleur.submit("/veilleur/households/new", {
        "site": "la-coroutine", "referrer_organisation": "CCAS de Lille", "household_size": "2", "resources": "900",
        "charges": "420,50"})
    # Registered once: the answer is a redirect to the household's page, so reloading it registers nothing more.
    assert page.status_code == 302 and page.headers["Location"].startswith("/veilleur/grocery/households/")
    text = text_of(veilleur.get(page.headers["Location"]))
    assert "Inscrit et éligible : carte EPI-" in text and "Éligible" in text
    assert "Reste à vivre : 7,99 € par personne et par jour." in text and "Plafond mensuel : 45,00 €." in text
    card = re.search(r"Carte (EPI-[A-Z0-9]{4}-[A-Z0-9]{4})", text).group(1)
    assert "Budget restant ce mois-ci : 45,00 €" in text_of(
        veilleur.get(f"/veilleur/checkout?site=la-coroutine&card_number={card}"))


def test_a_household_over_the_threshold_is_told_why_and_bad_figures_are_shown_next_to_them(counter):
    veilleur, _card, _product = counter
    rich = veilleur.submit("/veilleur/households/new", {"site": "la-coroutine", "referrer_organisation": "CCAS",
                                                        "household_size": "1", "resources": "3000", "charges": "500"})
    assert rich.status_code == 302
    shown = text_of(veilleur.get(rich.headers["Location"]))
    assert "Non éligible" in shown and "Le seuil est de 10,00 €" in shown
    assert "Inscrit, mais pas éligible avec ces chiffres" in shown
    bad = veilleur.submit("/veilleur/households/new", {"site": "la-coroutine", "referrer_organisation": "",
                                                       "household_size": "0", "resources": "mille", "charges": "1"})
    assert bad.status_code == 422 and 'id="f-resources-error"' in bad.get_data(as_text=True)
    api = veilleur.submit("/veilleur/households/new", {"site": "la-coroutine", "referrer_organisation": "",
                                                       "household_size": "0", "resources": "100", "charges": "1"})
    assert api.status_code == 422
    html = api.get_data(as_text=True)
    assert 'id="f-household_size-error"' in html and 'id="f-referrer_organisation-error"' in html
