"""AMAP relay pages: a neighbour's basket code, absence and proxy; the veilleur's distribution desk."""
import re

import pytest

from tests.e2e.web_support import todays_distribution
from tests.unit.web_support import Visitor, build_platform, text_of


@pytest.fixture
def gateway(tmp_path, monkeypatch, clock):
    return build_platform(tmp_path, monkeypatch, clock)


def token(visitor) -> str:
    with visitor.client.session_transaction() as session:
        return session["token"]


def api_caller(client):
    def post(path, body, headers):
        if body is None:
            response = client.get(path, headers=headers or {})
        else:
            response = client.post(path, json=body, headers=headers or {})
        return response.status_code, response.get_json()
    return post


@pytest.fixture
def desk(gateway):
    """A veilleur and a neighbour signed in, and a distribution today with the neighbour's basket."""
    veilleur, voisin = Visitor(gateway), Visitor(gateway)
    veilleur.sign_in("veilleur@coroutine.test")
    voisin.sign_in("voisin@coroutine.test")
    distribution = todays_distribution(api_caller(veilleur.client),
                                       {"Authorization": f"Bearer {token(veilleur)}"},
                                       {"Authorization": f"Bearer {token(voisin)}"})
    return veilleur, voisin, distribution


def pickup_codes(page) -> list[str]:
    return re.findall(r'class="pickup-code" lang="en">([A-Z0-9]+)<', page.get_data(as_text=True))


def test_a_neighbour_finds_the_basket_code_of_the_demo_contract(gateway):
    voisin = Visitor(gateway)
    voisin.sign_in("voisin@coroutine.test")
    page = voisin.get("/baskets")
    assert page.status_code == 200
    text = text_of(page)
    assert "Ferme du Pévèle" in text and "Code de retrait" in text and "à récupérer" in text
    codes = pickup_codes(page)
    assert codes and all(len(code) == 6 for code in codes)


def test_a_neighbour_declares_an_absence_and_makes_a_proxy_code(gateway):
    voisin = Visitor(gateway)
    voisin.sign_in("voisin@coroutine.test")
    page = voisin.get("/baskets").get_data(as_text=True)
    first, second = re.findall(r'action="/baskets/([^"]+)/absence"', page)[:2]
    away = voisin.submit("/baskets", {}, action=f"/baskets/{first}/absence")
    assert away.status_code == 302
    text = text_of(voisin.get("/baskets"))
    assert "Votre absence est notée" in text and "absent·e, non préparé" in text
    voisin.submit("/baskets", {}, action=f"/baskets/{second}/proxy")
    page = voisin.get("/baskets")
    assert "Code pour la personne qui vient à votre place" in text_of(page)
    assert len(set(pickup_codes(page))) == len(pickup_codes(page))
    withdrawn = voisin.submit("/baskets", {}, action=f"/baskets/{second}/proxy/withdraw")
    assert withdrawn.status_code == 302
    assert "La procuration est retirée." in text_of(voisin.get("/baskets"))


def test_an_absence_beyond_the_allowance_is_refused_with_the_reason(gateway):
    voisin = Visitor(gateway)
    voisin.sign_in("voisin@coroutine.test")
    baskets = re.findall(r'action="/baskets/([^"]+)/absence"', voisin.get("/baskets").get_data(as_text=True))
    for basket_id in baskets[:2]:
        voisin.submit("/baskets", {}, action=f"/baskets/{basket_id}/absence")
    refused = voisin.submit("/baskets", {}, action=f"/baskets/{baskets[2]}/absence")
    assert refused.status_code == 302
    page = voisin.get("/baskets")
    assert 'class="flash flash--error"' in page.get_data(as_text=True)
    assert text_of(page).count("absent·e, non préparé") == 2


def test_the_site_page_and_the_dashboard_show_todays_distribution(desk):
    veilleur, voisin, distribution = desk
    assert "Distribution AMAP du jour" in text_of(voisin.get("/sites/la-coroutine"))
    assert "de 00:00 à 23:59 : Ferme des tests" in text_of(voisin.get("/sites/la-coroutine"))
    assert voisin.get("/veilleur").status_code == 403
    dashboard = veilleur.get("/veilleur?site=la-coroutine")
    assert f'href="/veilleur/distributions/{distribution["id"]}"' in dashboard.get_data(as_text=True)


def test_the_veilleur_ticks_a_basket_off_by_code_after_a_wrong_one(desk):
    veilleur, voisin, distribution = desk
    desk_path = f"/veilleur/distributions/{distribution['id']}"
    assert "Sam" in text_of(veilleur.get(desk_path)) and "à récupérer" in text_of(veilleur.get(desk_path))
    wrong = veilleur.submit(desk_path, {"code": "ZZZZZZ"}, action=f"{desk_path}/collections")
    assert wrong.status_code == 422
    assert 'id="f-code-error"' in wrong.get_data(as_text=True)
    codes_today = [b["pickup_code"] for b in voisin.client.get(
        "/api/relay/baskets?mine=true", headers={"Authorization": f"Bearer {token(voisin)}"}).get_json()
        if b["distribution_id"] == distribution["id"]]
    assert len(codes_today) == 1 and codes_today[0] in pickup_codes(voisin.get("/baskets"))
    done = veilleur.submit(desk_path, {"code": codes_today[0].lower()}, action=f"{desk_path}/collections")
    assert done.status_code == 302
    text = text_of(veilleur.get(desk_path))
    assert "Panier remis à Sam." in text and "récupéré" in text
    again = veilleur.submit(desk_path, {"code": codes_today[0]}, action=f"{desk_path}/collections")
    assert again.status_code == 409 and 'id="f-code-error"' in again.get_data(as_text=True)


def test_the_veilleur_ticks_by_name_checks_in_the_delivery_and_closes(desk):
    veilleur, _voisin, distribution = desk
    desk_path = f"/veilleur/distributions/{distribution['id']}"
    page = veilleur.get(desk_path).get_data(as_text=True)
    assert "Remettre à Sam" in page
    bad = veilleur.submit(desk_path, {"arrived.small": "-1", "arrived.large": "0"}, action=f"{desk_path}/delivery")
    assert bad.status_code == 422 and 'id="f-arrived-small-error"' in bad.get_data(as_text=True)
    checked = veilleur.submit(desk_path, {"arrived.small": "1", "arrived.large": "0"}, action=f"{desk_path}/delivery")
    assert checked.status_code == 302
    assert "small : 1 attendus, 1 arrivés, 0 récupérés" in text_of(veilleur.get(desk_path))
    basket_id = re.search(r'name="basket_id" value="([^"]+)"', veilleur.get(desk_path).get_data(as_text=True)).group(1)
    handed = veilleur.submit(desk_path, {"basket_id": basket_id}, action=f"{desk_path}/collections")
    assert handed.status_code == 302
    closed = veilleur.submit(f"{desk_path}/close", {"confirm": "yes"})
    assert closed.status_code == 302
    text = text_of(veilleur.get(desk_path))
    assert "La distribution est close ; 0 panier(s)" in text and "Clore la distribution" not in text.split("close ;")[1]


def test_a_neighbour_takes_a_solidarity_share_and_sees_its_baskets(gateway):
    newcomer = Visitor(gateway)
    newcomer.submit("/signup", {"email": "awa@example.test", "display_name": "Awa",
                                "password": "un mot de passe long", "language": "fr"})
    listing = newcomer.get("/amap?site=la-coroutine")
    text = text_of(listing)
    assert "Légumes de saison — Ferme du Pévèle" in text and "Chaque jeudi de 18:00 à 20:00" in text
    assert "part solidaire : 6,00 €" in text
    share_path = re.search(r'href="(/amap/[^"]+)"', listing.get_data(as_text=True)).group(1)
    too_many = newcomer.submit(share_path, {"basket_kind": "small", "quantity": "50", "display_name": "Awa"})
    assert too_many.status_code == 422 and 'id="f-quantity-error"' in too_many.get_data(as_text=True)
    taken = newcomer.submit(share_path, {"basket_kind": "small", "quantity": "1", "solidarity": "yes",
                                         "display_name": "Awa"})
    assert taken.status_code == 302 and taken.headers["Location"] == "/baskets"
    page = newcomer.get("/baskets")
    text = text_of(page)
    assert "Votre part est prise" in text and "part solidaire" in text and "Code de retrait" in text
    again = newcomer.submit(share_path, {"basket_kind": "small", "quantity": "1", "display_name": "Awa"})
    assert again.status_code == 409 and 'class="error-summary"' in again.get_data(as_text=True)
