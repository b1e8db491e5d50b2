"""The AMAP coordinator's pages and the distribution desk: producers, season contracts made with their
distributions, moved or cancelled, any day's desk with its counter, name search and closing step, sign-in sheets."""
import re
from datetime import timedelta

import pytest
from babel.dates import format_date

from tests.conftest import Clock
from tests.unit.test_web_relay import desk  # noqa: F401 - the fixture
from tests.unit.web_support import Visitor, build_platform, text_of

ENGLISH_OF_THE_API = ("no basket of this distribution", "This basket was collected", "must close after",
                      "Missing data", "Invalid input", "not a distribution day")


@pytest.fixture
def gateway(tmp_path, monkeypatch, clock):
    return build_platform(tmp_path, monkeypatch, clock)


@pytest.fixture
def veilleur(gateway):
    visitor = Visitor(gateway)
    visitor.sign_in("veilleur@coroutine.test")
    return visitor


def french(day, fmt="full") -> str:
    return format_date(day, fmt, locale="fr")


def thursday_in(weeks: int):
    today = Clock.today()
    return today + timedelta(days=(3 - today.weekday()) % 7 + 7 * weeks)


def no_english(page) -> None:
    text = text_of(page)
    for words in ENGLISH_OF_THE_API:
        assert words not in text, words
    assert ' lang="en"' not in page.get_data(as_text=True).split("<main", 1)[1].replace(
        'class="pickup-code" lang="en"', "")


def new_producer(veilleur, name="Ferme du Mont") -> str:
    made = veilleur.submit("/veilleur/amap/producers/new", {"name": name, "contact": "06 11 22 33 44",
                                                            "produce": "légumes"})
    assert made.status_code == 302 and made.headers["Location"] == "/veilleur/amap/producers", text_of(made)
    page = veilleur.get("/veilleur/amap/producers")
    assert f"Le producteur {name} est enregistré." in text_of(page)
    return re.search(rf'/veilleur/amap/producers/([0-9a-f-]+)/edit">Modifier {name}<',
                     page.get_data(as_text=True)).group(1)


def contract_form(producer_id, first, last, **changes) -> dict:
    return {"site": "la-coroutine", "producer_id": producer_id, "name": "Légumes d'hiver", "weekday": "thu",
            "window_opens": "18h", "window_closes": "19:30", "season_start": first.strftime("%d/%m/%Y"),
            "season_end": last.isoformat(), "kinds.0.name": "petit", "kinds.0.price": "12",
            "kinds.0.solidarity_price": "6", "kinds.0.category": "vegetables", "kinds.1.name": "grand",
            "kinds.1.price": "20,50", "kinds.1.category": "vegetables_and_fruit", "absence_allowance": "2",
            "absence_cutoff_hours": "48", "absent_baskets": "not_prepared", "openers_needed": "1",
            "distributors_needed": "1", "action": "create", **changes}


def test_the_amap_pages_are_for_veilleurs_only(gateway):
    stranger, neighbour = Visitor(gateway), Visitor(gateway)
    neighbour.sign_in("voisin@coroutine.test")
    for path in ("/veilleur/amap", "/veilleur/amap/producers", "/veilleur/amap/producers/new",
                 "/veilleur/amap/contracts/new", "/veilleur/distributions", "/veilleur/sheets"):
        assert stranger.get(path).headers["Location"].startswith("/signin"), path
        assert neighbour.get(path).status_code == 403, path


def test_a_producer_missing_its_name_is_told_on_the_first_submit_then_registered_and_edited(veilleur):
    empty = veilleur.submit("/veilleur/amap/producers/new", {"name": "", "contact": "", "produce": "pommes"})
    assert empty.status_code == 422
    assert 'id="f-name-error"' in empty.get_data(as_text=True)
    assert "Nom de la ferme : Ce champ est obligatoire." in text_of(empty)
    no_english(empty)
    producer_id = new_producer(veilleur)
    edited = veilleur.submit(f"/veilleur/amap/producers/{producer_id}/edit",
                             {"name": "Ferme du Mont-Noir", "contact": "", "produce": "légumes, œufs"})
    assert edited.status_code == 302 and edited.headers["Location"] == "/veilleur/amap/producers"
    assert "Ferme du Mont-Noir" in text_of(veilleur.get("/veilleur/amap/producers"))
    assert veilleur.get("/veilleur/amap/producers/nobody/edit").status_code == 404


def test_every_mistake_of_a_contract_is_named_in_french_on_the_first_submit(veilleur):
    first = thursday_in(3)
    page = veilleur.submit("/veilleur/amap/contracts/new", contract_form(
        "", first, first - timedelta(days=7), name="", window_opens="20:00", window_closes="18h",
        skip_dates="Noël", **{"kinds.0.price": "douze", "kinds.1.solidarity_price": "30"}))
    assert page.status_code == 422
    html, text = page.get_data(as_text=True), text_of(page)
    for field in ("producer_id", "name", "window_closes", "season_end", "skip_dates", "kinds-0-price",
                  "kinds-1-solidarity_price"):
        assert f'id="f-{field}-error"' in html, field
    summary = text.split("Merci de corriger le formulaire", 1)[1]
    for sentence in ("Producteur : Ce champ est obligatoire.", "Nom du contrat : Ce champ est obligatoire.",
                     "Panier 1, prix (euros) : Indiquez un montant en euros, par exemple 12 ou 12,50.",
                     "Panier 2, prix solidaire (euros) : Un prix solidaire ne dépasse pas le prix plein.",
                     "Retrait jusqu'à : Le retrait doit finir après avoir commencé.",
                     "Dernier jour de la saison : La saison doit finir le jour de son début ou après.",
                     "Jours sans distribution : Ce ne sont pas des dates : Noël."):
        assert sentence in summary, sentence
    # The summary follows the order of the form: the producer before the basket kinds, the kinds before the days.
    assert summary.index("Producteur :") < summary.index("Panier 1") < summary.index("Retrait jusqu'à")
    no_english(page)


def test_a_season_is_previewed_then_made_in_bulk_without_the_skipped_days(veilleur):
    producer_id = new_producer(veilleur)
    first = thursday_in(3)
    last, holiday = first + timedelta(weeks=4), first + timedelta(weeks=3)
    form = contract_form(producer_id, first, last, skip_dates=holiday.strftime("%d/%m/%Y"))
    preview = veilleur.submit("/veilleur/amap/contracts/new", {**form, "action": "preview"})
    assert preview.status_code == 200
    text = text_of(preview)
    assert "4 distributions seront créées" in text
    assert french(first) in text and french(last) in text and french(holiday) not in text
    assert "Légumes d'hiver" not in text_of(veilleur.get("/veilleur/amap?site=la-coroutine"))

    stray = veilleur.submit("/veilleur/amap/contracts/new", {**form, "skip_dates": (first + timedelta(days=1))
                                                             .strftime("%d/%m/%Y")})
    assert stray.status_code == 422
    assert "Jours sans distribution : Pas un jour de distribution de cette saison" in text_of(stray)

    made = veilleur.submit("/veilleur/amap/contracts/new", form)
    assert made.status_code == 302 and made.headers["Location"].startswith("/veilleur/amap/contracts/")
    page = text_of(veilleur.get(made.headers["Location"]))
    assert "Le contrat Légumes d'hiver est créé avec ses 4 distributions." in page
    assert "4 distributions" in page and "de 18:00 à 19:30" in page
    assert "part solidaire : 6,00 €" in page and "20,50 € le panier" in page and "légumes et fruits" in page
    assert french(first) in page and french(holiday) not in page
    assert "Légumes d'hiver" in text_of(veilleur.get("/veilleur/amap?site=la-coroutine"))


def contract_with_distributions(veilleur) -> tuple[str, list[str]]:
    producer_id = new_producer(veilleur)
    first = thursday_in(2)
    made = veilleur.submit("/veilleur/amap/contracts/new", contract_form(producer_id, first,
                                                                         first + timedelta(weeks=2)))
    assert made.status_code == 302
    contract_page = made.headers["Location"]
    ids = re.findall(r'/veilleur/amap/distributions/([0-9a-f-]+)/move"', veilleur.get(contract_page)
                     .get_data(as_text=True))
    assert len(ids) == 3
    return contract_page, ids


def test_a_distribution_is_moved_and_another_cancelled_after_a_confirmation(veilleur):
    contract_page, (first, second, _third) = contract_with_distributions(veilleur)
    move_page = f"/veilleur/amap/distributions/{first}/move"
    past = veilleur.submit(move_page, {"date": (Clock.today() - timedelta(days=3)).strftime("%d/%m/%Y"),
                                       "window_opens": "18:00", "window_closes": "19:30"})
    assert past.status_code == 422
    assert "Nouvelle date : Une distribution ne peut pas être déplacée dans le passé." in text_of(past)
    no_english(past)
    same = veilleur.submit(move_page, {"date": thursday_in(2).isoformat(), "window_opens": "18:00",
                                       "window_closes": "19:30"})
    assert same.status_code == 422 and "Changez la date ou les heures de retrait" in text_of(same)
    friday = thursday_in(2) + timedelta(days=1)
    moved = veilleur.submit(move_page, {"date": friday.strftime("%d/%m/%Y"), "window_opens": "17h30",
                                        "window_closes": "19:30"})
    assert moved.status_code == 302 and moved.headers["Location"] == contract_page
    page = text_of(veilleur.get(contract_page))
    assert f"La distribution est déplacée au {french(friday)}, de 17:30 à 19:30" in page

    confirm = veilleur.get(f"/veilleur/amap/distributions/{second}/cancel")
    assert confirm.status_code == 200 and "Oui, annuler cette distribution" in text_of(confirm)
    cancelled = veilleur.submit(f"/veilleur/amap/distributions/{second}/cancel", {})
    assert cancelled.status_code == 302
    page = text_of(veilleur.get(contract_page))
    assert f"La distribution du {french(thursday_in(3))} est annulée ; ses abonnés sont prévenus." in page
    assert "annulée" in page
    again = veilleur.submit(contract_page, {}, action=f"/veilleur/amap/distributions/{second}/cancel")
    assert again.status_code == 302
    assert "Cette distribution est annulée : elle ne peut plus changer." in text_of(veilleur.get(contract_page))


def demo_distribution(veilleur) -> tuple[str, object]:
    """The demo contract's first distribution, next Thursday, with Sam's and Dominique's baskets."""
    day = thursday_in(0) if thursday_in(0) > Clock.today() else thursday_in(1)
    page = veilleur.get(f"/veilleur/distributions?site=la-coroutine&day={day.strftime('%d/%m/%Y')}")
    assert page.status_code == 200
    found = re.search(r'href="/veilleur/distributions/([0-9a-f-]+)"', page.get_data(as_text=True))
    return found.group(1), day


def test_any_days_distributions_are_listed_with_their_desk_and_sheet(veilleur):
    distribution_id, day = demo_distribution(veilleur)
    page = veilleur.get(f"/veilleur/distributions?site=la-coroutine&day={day.isoformat()}")
    text = text_of(page)
    assert f"Distributions du {french(day)}" in text and "de 18:00 à 20:00 : Ferme du Pévèle" in text
    html = page.get_data(as_text=True)
    assert f'href="/veilleur/distributions/{distribution_id}/sheet"' in html
    assert f"day={(day + timedelta(days=1)).isoformat()}" in html and f"day={(day - timedelta(days=1)).isoformat()}" \
        in html
    empty = text_of(veilleur.get(f"/veilleur/distributions?site=la-coroutine&day={day + timedelta(days=1)}"))
    assert "Pas de distribution ce jour-là." in empty
    # The place chosen is remembered for the next page.
    veilleur.get("/veilleur/distributions?site=mutualab")
    assert "Contrats AMAP · Mutualab" in text_of(veilleur.get("/veilleur/amap"))


def test_the_sign_in_sheet_prints_one_page_per_distribution_and_comes_as_csv_without_codes(veilleur):
    distribution_id, day = demo_distribution(veilleur)
    sheet = veilleur.get(f"/veilleur/distributions/{distribution_id}/sheet")
    assert sheet.status_code == 200
    html, text = sheet.get_data(as_text=True), text_of(sheet)
    assert html.count('class="sheet"') == 1
    assert f"Feuille d'émargement : Ferme du Pévèle, {french(day)}" in text
    assert "Dominique" in text and "Sam" in text and "2 paniers à remettre" in text and "Signature" in text
    assert text.index("Dominique") < text.index("Sam")
    assert "pickup-code" not in html
    day_sheets = veilleur.get(f"/veilleur/sheets?site=la-coroutine&day={day.isoformat()}").get_data(as_text=True)
    assert day_sheets.count('class="sheet"') == 1
    css = veilleur.get("/static/web.css").get_data(as_text=True)
    assert "@page { size: A4" in css and ".sheet { break-after: page;" in css
    csv = veilleur.get(f"/veilleur/distributions/{distribution_id}/sheet.csv")
    assert csv.status_code == 200 and csv.mimetype == "text/csv"
    assert csv.headers["Content-Disposition"] == f'attachment; filename="emargement-{day.isoformat()}.csv"'
    rows = csv.get_data(as_text=True).splitlines()
    assert rows[0].startswith("nom,panier") and any(row.startswith("Sam,small") for row in rows)


def test_the_desk_counts_finds_by_name_and_closes_only_after_a_confirmation(desk):  # noqa: F811
    veilleur, _voisin, distribution = desk
    desk_path = f"/veilleur/distributions/{distribution['id']}"
    page = veilleur.get(desk_path)
    text, html = text_of(page), page.get_data(as_text=True)
    assert "0 paniers récupérés sur 1" in text
    assert 'class="code-input"' in html and 'role="search"' in html and "pages.js" in html
    assert 'data-name="sam"' in html
    found = text_of(veilleur.get(f"{desk_path}?q=SÂM"))
    assert "Remettre à Sam" in found and "1 noms affichés sur 1" in found
    assert "Personne de ce nom à cette distribution." in text_of(veilleur.get(f"{desk_path}?q=zoé"))

    asked = veilleur.submit(desk_path, {}, action=f"{desk_path}/close")
    assert asked.status_code == 302 and asked.headers["Location"] == f"{desk_path}/close"
    confirm = text_of(veilleur.get(f"{desk_path}/close"))
    assert "1 panier attend encore" in confirm and "Oui, clore la distribution" in confirm
    assert "Clore la distribution…" in text_of(veilleur.get(desk_path))  # still open
    basket_id = re.search(r'name="basket_id" value="([^"]+)"', html).group(1)
    assert veilleur.submit(desk_path, {"basket_id": basket_id}, action=f"{desk_path}/collections").status_code == 302
    assert "1 paniers récupérés sur 1" in text_of(veilleur.get(desk_path))
    closed = veilleur.submit(f"{desk_path}/close", {"confirm": "yes"})
    assert closed.status_code == 302 and closed.headers["Location"] == desk_path
    text = text_of(veilleur.get(desk_path))
    assert "La distribution est close" in text and "Clore la distribution…" not in text
    late = veilleur.submit(desk_path, {"confirm": "yes"}, action=f"{desk_path}/close")
    assert late.status_code == 302
    assert "Cette distribution est close : plus rien ne peut être remis." in text_of(veilleur.get(desk_path))


def test_the_desks_refusals_are_french_sentences_from_the_problems_code(desk):  # noqa: F811
    veilleur, voisin, distribution = desk
    desk_path = f"/veilleur/distributions/{distribution['id']}"
    blank = veilleur.submit(desk_path, {"code": ""}, action=f"{desk_path}/collections")
    assert blank.status_code == 422 and "Tapez le code que montre la personne" in text_of(blank)
    wrong = veilleur.submit(desk_path, {"code": "ZZZZZZ"}, action=f"{desk_path}/collections")
    assert wrong.status_code == 422
    assert "Aucun panier de cette distribution n'a ce code : vérifiez-le avec la personne." in text_of(wrong)
    no_english(wrong)
    code = next(b["pickup_code"] for b in voisin.client.get("/api/relay/baskets?mine=true", headers={
        "Authorization": f"Bearer {token_of(voisin)}"}).get_json() if b["distribution_id"] == distribution["id"])
    assert veilleur.submit(desk_path, {"code": code}, action=f"{desk_path}/collections").status_code == 302
    again = veilleur.submit(desk_path, {"code": code}, action=f"{desk_path}/collections")
    assert again.status_code == 409
    assert re.search(r"Ce panier a déjà été remis à \d\d:\d\d\.", text_of(again))
    assert 'id="f-code-error"' in again.get_data(as_text=True)
    no_english(again)
    veilleur.switch_language("en", desk_path)
    english = veilleur.submit(desk_path, {"code": "ZZZZZZ"}, action=f"{desk_path}/collections")
    assert "No basket of this distribution has this code: check it with the person." in text_of(english)


def token_of(visitor) -> str:
    with visitor.client.session_transaction() as session:
        return session["token"]
