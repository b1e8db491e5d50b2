"""The grocery referent's pages: the site's rules, products and prices (donated AMAP baskets to price), stock
lots with write-offs and inventory counts, and households found by card number, renewed and ended."""
import re

import pytest

from tests.unit.test_web_amap_staff import no_english
from tests.unit.web_support import Visitor, build_platform, text_of


@pytest.fixture
def gateway(tmp_path, monkeypatch, clock):
    return build_platform(tmp_path, monkeypatch, clock)


@pytest.fixture
def referent(gateway):
    """The grocery API lets admins set rules and prices: the demo admin plays the referent."""
    visitor = Visitor(gateway)
    visitor.sign_in("admin@coroutine.test")
    return visitor


def bearer(visitor) -> dict:
    with visitor.client.session_transaction() as session:
        return {"Authorization": f"Bearer {session['token']}"}


def test_the_pages_follow_the_grocery_roles(gateway):
    neighbour, veilleur = Visitor(gateway), Visitor(gateway)
    neighbour.sign_in("voisin@coroutine.test")
    veilleur.sign_in("veilleur@coroutine.test")
    for path in ("/veilleur/grocery", "/veilleur/grocery/households", "/veilleur/grocery/stock",
                 "/veilleur/grocery/lots/new", "/veilleur/grocery/rules", "/veilleur/grocery/products/new"):
        assert neighbour.get(path).status_code == 403, path
    for path in ("/veilleur/grocery", "/veilleur/grocery/households", "/veilleur/grocery/stock",
                 "/veilleur/grocery/lots/new", "/veilleur/grocery/products"):
        assert veilleur.get(path).status_code == 200, path
    # Rules and prices are set by the referent (today: an admin), as the grocery API allows.
    assert veilleur.get("/veilleur/grocery/rules").status_code == 403
    assert veilleur.get("/veilleur/grocery/products/new").status_code == 403
    assert "Fixer les règles" not in text_of(veilleur.get("/veilleur/grocery"))


def test_the_rules_name_every_mistake_on_the_first_submit_then_are_saved(referent):
    bad = referent.submit("/veilleur/grocery/rules?site=la-coroutine", {
        "threshold": "dix", "access_months": "30", "caps.0": "30", "caps.1": "", "caps.2": "60",
        "tiers.0.name": "un palier!", "tiers.0.percentage": "120"})
    assert bad.status_code == 422
    html, text = bad.get_data(as_text=True), text_of(bad)
    for field in ("threshold", "access_months", "caps-2", "tiers-0-name", "tiers-0-percentage"):
        assert f'id="f-{field}-error"' in html, field
    for sentence in ("Seuil (euros par personne et par jour) : Indiquez un montant en euros de 0,01 à 1000",
                     "Durée de l'accès (mois) : Indiquez un nombre entier de mois de 1 à 24.",
                     "3 personnes (euros) : Remplissez les plafonds à partir d'une personne, sans trou.",
                     "Palier 1, pourcentage : Indiquez un pourcentage de 0 à 100."):
        assert sentence in text, sentence
    no_english(bad)
    shrinking = referent.submit("/veilleur/grocery/rules?site=la-coroutine", {
        "threshold": "12", "access_months": "6", "caps.0": "40", "caps.1": "35", "tiers.0.name": "1",
        "tiers.0.percentage": "10"})
    assert "2 personnes (euros) : Un foyer plus grand n'a jamais un plafond plus petit." in text_of(shrinking)
    saved = referent.submit("/veilleur/grocery/rules?site=la-coroutine", {
        "threshold": "12,50", "access_months": "6", "caps.0": "40", "caps.1": "55", "caps.2": "70",
        "tiers.0.name": "1", "tiers.0.percentage": "10", "tiers.1.name": "2", "tiers.1.percentage": "25"})
    assert saved.status_code == 302 and saved.headers["Location"] == "/veilleur/grocery?site=la-coroutine"
    text = text_of(referent.get(saved.headers["Location"]))
    assert "Les règles de l'épicerie de La Coroutine sont enregistrées." in text
    assert "Éligible sous 12,50 € par personne et par jour, pour 6 mois." in text
    assert "palier 2 : 25 % du prix" in text
    rules = referent.client.get("/api/grocery/sites/la-coroutine/rules", headers=bearer(referent)).get_json()
    assert rules["monthly_caps_cents"] == [4000, 5500, 7000] and rules["tier_percentages"] == {"1": 10, "2": 25}
    assert 'value="12,50"' in referent.get("/veilleur/grocery/rules").get_data(as_text=True)


def test_a_product_is_added_and_a_donated_amap_basket_waits_for_its_price(referent):
    # What the grocery makes of an unclaimed AMAP basket: a product of category "amap" at 0, without a tier.
    donated = referent.client.post("/api/grocery/products", headers=bearer(referent), json={
        "site": "la-coroutine", "name": "Légumes de l'AMAP", "category": "amap", "unit": "piece",
        "retail_price_cents": 0})
    assert donated.status_code == 201
    page = text_of(referent.get("/veilleur/grocery/products?site=la-coroutine"))
    waiting = page.split("Paniers AMAP à tarifer", 2)[-1].split("Produits", 1)[0]
    assert "Légumes de l'AMAP" in waiting and "Pâtes 500 g" not in waiting
    edit = f"/veilleur/grocery/products/{donated.get_json()['id']}/edit"
    priced = referent.submit(edit, {"name": "Légumes de l'AMAP", "category": "amap", "price": "8", "tier": "2"})
    assert priced.status_code == 302
    page = text_of(referent.get("/veilleur/grocery/products?site=la-coroutine"))
    assert "Paniers AMAP à tarifer" not in page and "palier 2 : 1,60 €" in page

    bad = referent.submit("/veilleur/grocery/products/new?site=la-coroutine", {
        "name": "", "category": "vrac", "unit": "kg", "price": "gratuit", "deposit": "0,20"})
    assert bad.status_code == 422
    text = text_of(bad)
    assert "Nom du produit : Ce champ est obligatoire." in text
    assert "Prix public (euros par unité) : Indiquez un montant en euros, par exemple 2,50." in text
    assert "Consigne par bouteille (euros) : Une consigne concerne les bouteilles ou bocaux vendus à la pièce." \
        in text
    no_english(bad)
    added = referent.submit("/veilleur/grocery/products/new?site=la-coroutine", {
        "name": "Lentilles vertes", "category": "vrac", "unit": "kg", "price": "4,20", "tier": "1",
        "monthly_limit": "1,5"})
    assert added.status_code == 302
    text = text_of(referent.get(added.headers["Location"]))
    assert "Le produit Lentilles vertes est ajouté." in text and "4,20 € par kg" in text and "palier 1 : 0,42 €" in text


def first_lot(referent, product: str) -> str:
    html = referent.get("/veilleur/grocery/stock?site=la-coroutine").get_data(as_text=True)
    return re.search(rf'/veilleur/grocery/lots/([0-9a-f-]+)">Sortir ou compter {re.escape(product)}<', html).group(1)


def test_a_lot_is_received_written_off_and_counted(referent):
    new_lot = "/veilleur/grocery/lots/new?site=la-coroutine"
    products = referent.client.get("/api/grocery/products?site=la-coroutine").get_json()
    pasta = next(p for p in products if p["name"] == "Pâtes 500 g")
    bad = referent.submit(new_lot, {"product_id": pasta["id"], "quantity": "0", "source": "donation", "donor": "",
                                    "expiry_kind": "dlc", "expiry_date": ""})
    assert bad.status_code == 422
    text = text_of(bad)
    for sentence in ("Quantité reçue : Indiquez une quantité au-dessus de 0",
                     "Donateur : Dites qui l'a donné.",
                     "Date sur l'emballage : Indiquez la date écrite sur l'emballage."):
        assert sentence in text, sentence
    no_english(bad)
    received = referent.submit(new_lot, {"product_id": pasta["id"], "quantity": "12", "source": "donation",
                                         "donor": "Banque alimentaire", "expiry_kind": "ddm",
                                         "expiry_date": "31/12/2030", "storage_place": "réserve"})
    assert received.status_code == 302 and received.headers["Location"] == "/veilleur/grocery/stock?site=la-coroutine"
    stock = text_of(referent.get(received.headers["Location"]))
    assert "12 pièces de Pâtes 500 g sont en stock." in stock and "don (Banque alimentaire)" in stock

    lot = f"/veilleur/grocery/lots/{first_lot(referent, 'Lait demi-écrémé 1 l')}"
    too_much = referent.submit(lot, {"kind": "loss", "quantity": "500"}, action=f"{lot}/write-off")
    assert too_much.status_code == 409
    assert "Ce lot n'en contient pas autant : recomptez-le." in text_of(too_much)
    no_english(too_much)
    written = referent.submit(lot, {"kind": "expiry_write_off", "quantity": "4", "reason": "frigo en panne"},
                              action=f"{lot}/write-off")
    assert written.status_code == 302 and written.headers["Location"] == lot
    page = text_of(referent.get(lot))
    assert "La sortie est enregistrée." in page and "En stock : 20 pièces" in page and "frigo en panne" in page
    same = referent.submit(lot, {"counted": "20"}, action=f"{lot}/count")
    assert same.status_code == 422
    assert "Le compte correspond au stock : il n'y a rien à corriger." in text_of(same)
    counted = referent.submit(lot, {"counted": "18", "count_reason": "inventaire de décembre"}, action=f"{lot}/count")
    assert counted.status_code == 302
    page = text_of(referent.get(lot))
    assert "En stock : 18 pièces" in page and "inventaire -2" in page


def test_a_household_is_found_by_its_card_renewed_and_ended(referent):
    registered = referent.submit("/veilleur/households/new", {
        "site": "la-coroutine", "referrer_organisation": "CCAS de Lille", "household_size": "1", "resources": "600",
        "charges": "400"})
    assert registered.status_code == 302
    household = registered.headers["Location"]
    card = re.search(r"Carte (EPI-[A-Z0-9]{4}-([A-Z0-9]{4}))", text_of(referent.get(household)))
    listing = referent.get(f"/veilleur/grocery/households?site=la-coroutine&card={card.group(2).lower()}")
    assert f'href="{household}"' in listing.get_data(as_text=True) and "1 foyer" in text_of(listing)
    nobody = text_of(referent.get("/veilleur/grocery/households?site=la-coroutine&card=EPI-ZZZZ-ZZZZ"))
    assert "Aucun foyer n'a ce numéro de carte" in nobody

    bad = referent.submit(household, {"referrer_organisation": "", "household_size": "0", "resources": "600",
                                      "charges": "beaucoup"}, action=f"{household}/renew")
    assert bad.status_code == 422
    text = text_of(bad)
    for sentence in ("Service social qui oriente : Ce champ est obligatoire.",
                     "Personnes dans le foyer : Indiquez un nombre entier de 1 à 20.",
                     "Charges fixes mensuelles (euros) : Indiquez un montant en euros, par exemple 450."):
        assert sentence in text, sentence
    renewed = referent.submit(household, {"referrer_organisation": "CCAS de Lille", "household_size": "2",
                                          "resources": "600", "charges": "400"}, action=f"{household}/renew")
    assert renewed.status_code == 302 and renewed.headers["Location"] == household
    page = text_of(referent.get(household))
    assert "Renouvelé : accès jusqu'au" in page and "plafond mensuel 45,00 €" in page and "renouvellement" in page

    unticked = referent.submit(household, {}, action=f"{household}/end")
    assert unticked.status_code == 422
    assert "L'accès de cette carte prend fin aujourd'hui : Cochez la case" in text_of(unticked)
    ended = referent.submit(household, {"confirm": "yes"}, action=f"{household}/end")
    assert ended.status_code == 302
    page = text_of(referent.get(household))
    assert f"L'accès de la carte {card.group(1)} a pris fin." in page and "Accès terminé" in page
    assert "Mettre fin à l'accès" not in page
    twice = referent.submit(f"{household}", {"confirm": "yes"}, action=f"{household}/end")
    assert twice.status_code == 409 and "L'accès de ce foyer a déjà pris fin." in text_of(twice)
    till = text_of(referent.get(f"/veilleur/checkout?site=la-coroutine&card_number={card.group(1)}"))
    assert "Cette carte n'a pas d'accès aujourd'hui" in till and "Budget restant" not in till
