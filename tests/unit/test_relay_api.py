"""The AMAP relay on SQLite through its HTTP API: contracts, shares, check-in, collection, closing."""
import json
from datetime import date, datetime, timedelta, timezone

import pytest

from services.relay import create_app
from services.relay.models import Site
from services.relay.service import CODE_ALPHABET, CODE_LENGTH
from shared.bus.tables import outbox
from tests.conftest import Clock, app_for, identity_header

VEILLEUR = identity_header("veilleur-1", roles=("veilleur",))
VOISIN = identity_header("voisin-1", roles=("neighbour",))
ASSO = identity_header("asso-1", roles=("neighbour",), organisation_kind="association", organisation_id="org-1")
THIRD = identity_header("third-1", roles=("neighbour",))
PROGRAM = identity_header("apikey:1", roles=("neighbour",), kind="program")


@pytest.fixture
def client(sqlite_database, clock):
    """The relay's API, with the test's clock at CLOCK_START: seasons and distributions are dated from it."""
    db = sqlite_database("relay")
    with db.transaction() as session:
        session.add(Site(id="site-1", slug="la-coroutine", name="La Coroutine", timezone="Europe/Paris",
                         opening_hours={}, version=1))
        session.add(Site(id="site-2", slug="mutualab", name="Mutualab", timezone="Europe/Paris",
                         opening_hours={}, version=1))
    app = app_for(create_app, "relay", db)
    client = app.test_client()
    client.db = db
    return client


def outbox_events(db, type_=None):
    with db.sessions() as session:
        rows = session.execute(outbox.select().order_by(outbox.c.created_at)).all()
    found = [json.loads(row.body) for row in rows]
    return [e for e in found if type_ is None or e["type"] == type_]


def next_weekday(weekday: int, weeks_ahead: int = 1) -> date:
    today = Clock.today()
    return today + timedelta(days=(weekday - today.weekday()) % 7 + 7 * weeks_ahead)


def make_contract(client, **overrides):
    producer = client.post("/producers", headers=VEILLEUR, json={
        "name": "Ferme du Pévèle", "contact": "06 00 00 00 00", "produce": "légumes de saison"})
    assert producer.status_code == 201, producer.json
    start = next_weekday(3)  # a Thursday, next week or later
    body = {"producer_id": producer.json["id"], "site": "la-coroutine", "name": "Légumes été",
            "weekday": "thu", "window_opens": "18:00", "window_closes": "20:00",
            "season_start": start.isoformat(), "season_end": (start + timedelta(weeks=3)).isoformat(),
            "basket_kinds": [
                {"name": "small", "description": "Petit panier de légumes", "price_cents": 1200,
                 "solidarity_price_cents": 600},
                {"name": "large", "description": "Grand panier de légumes", "price_cents": 2000}],
            "absence_allowance": 1, "absence_cutoff_hours": 48, **overrides}
    created = client.post("/contracts", headers=VEILLEUR, json=body)
    assert created.status_code == 201, created.json
    return created.json


def distributions(client, contract):
    return client.get(f"/distributions?contract={contract['id']}").json


def subscribe(client, contract, headers, **body):
    response = client.post(f"/contracts/{contract['id']}/subscriptions", headers=headers,
                           json={"basket_kind": "small", **body})
    assert response.status_code == 201, response.json
    return response.json


def my_basket(client, headers, distribution_id):
    mine = client.get("/baskets?mine=true", headers=headers).json
    return next(b for b in mine if b["distribution_id"] == distribution_id)


# -- contracts -------------------------------------------------------------------------------
def test_a_contract_schedules_one_distribution_per_week_in_the_sites_local_time(client):
    contract = make_contract(client)
    found = distributions(client, contract)
    assert len(found) == 4
    assert [d["sequence"] for d in found] == [0, 1, 2, 3]
    for d in found:
        assert date.fromisoformat(d["date"]).weekday() == 3
        starts = datetime.fromisoformat(d["starts_at"])
        assert starts.strftime("%H:%M") == "18:00" and starts.utcoffset() in (timedelta(hours=1), timedelta(hours=2))
        assert datetime.fromisoformat(d["ends_at"]).strftime("%H:%M") == "20:00"
    scheduled = outbox_events(client.db, "relay.distribution.scheduled")
    assert {e["data"]["distribution_id"] for e in scheduled} == {d["id"] for d in found}
    assert outbox_events(client.db, "relay.contract.created")[0]["data"]["basket_kinds"][0] == {
        "name": "small", "price_cents": 1200, "solidarity_price_cents": 600}


def test_a_season_skips_the_dates_it_is_given_and_refuses_a_date_that_is_no_distribution_day(client):
    start = next_weekday(3)
    holiday = start + timedelta(weeks=2)
    contract = make_contract(client, skip_dates=[holiday.isoformat()])
    found = distributions(client, contract)
    assert [d["date"] for d in found] == [(start + timedelta(weeks=w)).isoformat() for w in (0, 1, 3)]
    assert outbox_events(client.db, "relay.contract.created")[0]["data"]["distributions"] == 3
    producer_id = contract["producer_id"]
    body = {"producer_id": producer_id, "site": "la-coroutine", "name": "Hiver", "weekday": "thu",
            "window_opens": "18:00", "window_closes": "20:00", "season_start": start.isoformat(),
            "season_end": (start + timedelta(weeks=1)).isoformat(), "basket_kinds": [{"name": "s", "price_cents": 1}]}
    friday = client.post("/contracts", headers=VEILLEUR, json={**body, "skip_dates": [
        (start + timedelta(days=1)).isoformat()]})
    assert friday.status_code == 422 and list(friday.json["errors"]) == ["skip_dates"]
    assert friday.json["title"] == "Not a distribution day"
    everything = client.post("/contracts", headers=VEILLEUR, json={**body, "skip_dates": [
        start.isoformat(), (start + timedelta(weeks=1)).isoformat()]})
    assert everything.status_code == 422 and list(everything.json["errors"]) == ["skip_dates"]
    assert [c["name"] for c in client.get("/contracts?site=la-coroutine").json] == ["Légumes été"]


def test_distributions_keep_18h_local_across_the_change_to_winter_time(client, sqlite_database):
    from services.relay import service

    with client.db.transaction() as session:
        producer = service.create_producer(session, "Ferme")
        contract = service.create_contract(
            session, producer.id, "la-coroutine", "Automne", "thu", "18:00", "20:00",
            date(2031, 10, 16), date(2031, 10, 30), [{"name": "small", "price_cents": 1000}],
            now=datetime(2031, 1, 1, tzinfo=timezone.utc))
        found = service.list_distributions(session, contract.id)
        # Summer time (UTC+2) before the last Sunday of October, winter time (UTC+1) after.
        assert [d.starts_at.astimezone(timezone.utc).hour for d in found] == [16, 16, 17]


def test_contract_bad_input_is_a_problem_naming_each_field(client):
    response = client.post("/contracts", headers=VEILLEUR, json={
        "producer_id": "x", "site": "la-coroutine", "name": "", "weekday": "thursday", "window_opens": "25:00",
        "window_closes": "20:00", "season_start": "2031-13-01", "season_end": "2031-06-01",
        "basket_kinds": [{"name": "small", "price_cents": -5}], "colour": "green"})
    assert response.status_code == 422
    assert response.content_type == "application/problem+json"
    assert {"name", "weekday", "window_opens", "season_start", "basket_kinds", "colour"} <= set(response.json["errors"])


def test_contract_window_and_producer_are_checked(client):
    producer = client.post("/producers", headers=VEILLEUR, json={"name": "Ferme"}).json
    base = {"producer_id": producer["id"], "site": "la-coroutine", "name": "C", "weekday": "thu",
            "window_opens": "20:00", "window_closes": "18:00", "season_start": "2031-06-01",
            "season_end": "2031-06-30", "basket_kinds": [{"name": "small", "price_cents": 100}]}
    backwards = client.post("/contracts", headers=VEILLEUR, json=base)
    assert backwards.status_code == 422 and "window_closes" in backwards.json["errors"]
    unknown = client.post("/contracts", headers=VEILLEUR, json={**base, "window_opens": "17:00",
                                                                "producer_id": "nobody"})
    assert unknown.status_code == 422 and "producer_id" in unknown.json["errors"]
    site = client.post("/contracts", headers=VEILLEUR, json={**base, "window_opens": "17:00", "site": "nowhere"})
    assert site.status_code == 422 and "site" in site.json["errors"]


def test_only_veilleurs_manage_producers_and_contracts(client):
    assert client.post("/producers", json={"name": "Ferme"}).status_code == 401
    assert client.post("/producers", headers=VOISIN, json={"name": "Ferme"}).status_code == 403
    assert client.get("/producers", headers=VOISIN).status_code == 403
    contract = make_contract(client)
    first = distributions(client, contract)[0]
    for path in ("close", "cancel"):
        assert client.post(f"/distributions/{first['id']}/{path}", headers=VOISIN).status_code == 403
    assert client.post(f"/distributions/{first['id']}/delivery", headers=VOISIN,
                       json={"arrived": {"small": 1}}).status_code == 403
    assert client.get(f"/distributions/{first['id']}/sheet.csv", headers=VOISIN).status_code == 403


# -- subscriptions ---------------------------------------------------------------------------
def test_a_subscriber_gets_a_basket_with_a_short_unguessable_code_at_each_distribution(client):
    contract = make_contract(client)
    share = subscribe(client, contract, VOISIN, display_name="Sam")
    assert share["account_id"] == "voisin-1" and share["unit_price_cents"] == 1200
    assert share["distributions"] == 4 and share["total_cents"] == 4 * 1200
    subscribe(client, contract, ASSO, basket_kind="large")
    mine = client.get("/baskets?mine=true", headers=VOISIN).json
    assert len(mine) == 4
    for basket in mine:
        assert len(basket["pickup_code"]) == CODE_LENGTH and set(basket["pickup_code"]) <= set(CODE_ALPHABET)
        assert basket["basket_kind"] == "small" and basket["status"] == "expected"
    others = client.get("/baskets?mine=true", headers=ASSO).json
    assert all(b["account_id"] == "asso-1" for b in others)
    first = distributions(client, contract)[0]
    staff_view = client.get(f"/distributions/{first['id']}/baskets", headers=VEILLEUR).json
    assert {b["name"] for b in staff_view} == {"Sam", ""}
    assert all("pickup_code" not in b for b in staff_view)
    assert client.get("/baskets?mine=true").status_code == 401


def test_my_baskets_can_be_narrowed_to_one_contract(client):
    first, second = make_contract(client), make_contract(client)
    subscribe(client, first, VOISIN)
    subscribe(client, second, VOISIN)
    assert len(client.get("/baskets?mine=true", headers=VOISIN).json) == 8
    narrowed = client.get(f"/baskets?mine=true&contract={first['id']}", headers=VOISIN).json
    assert len(narrowed) == 4 and {b["contract_id"] for b in narrowed} == {first["id"]}


def test_a_shared_share_alternates_weeks_between_the_two_accounts(client):
    contract = make_contract(client)
    subscribe(client, contract, VOISIN, partner_account_id="asso-1")
    holders = [b["distribution_date"] for b in client.get("/baskets?mine=true", headers=VOISIN).json]
    partner = [b["distribution_date"] for b in client.get("/baskets?mine=true", headers=ASSO).json]
    dates = [d["date"] for d in distributions(client, contract)]
    assert holders == [dates[0], dates[2]] and partner == [dates[1], dates[3]]
    again = client.post(f"/contracts/{contract['id']}/subscriptions", headers=ASSO, json={"basket_kind": "small"})
    assert again.status_code == 409


def test_a_solidarity_share_has_the_reduced_price_and_needs_one(client):
    contract = make_contract(client)
    share = subscribe(client, contract, VOISIN, solidarity=True, quantity=2)
    assert share["unit_price_cents"] == 600 and share["total_cents"] == 600 * 2 * 4
    refused = client.post(f"/contracts/{contract['id']}/subscriptions", headers=ASSO,
                          json={"basket_kind": "large", "solidarity": True})
    assert refused.status_code == 422 and "solidarity" in refused.json["errors"]


def test_subscribing_to_a_full_contract_or_an_unknown_kind_is_refused(client):
    contract = make_contract(client, max_shares=2)
    subscribe(client, contract, VOISIN, quantity=2)
    full = client.post(f"/contracts/{contract['id']}/subscriptions", headers=ASSO, json={"basket_kind": "small"})
    assert full.status_code == 409 and full.json["title"] == "Contract full" and full.json["shares_left"] == 0
    kind = client.post(f"/contracts/{contract['id']}/subscriptions", headers=THIRD, json={"basket_kind": "huge"})
    assert kind.status_code == 422 and "basket_kind" in kind.json["errors"]
    program = client.post(f"/contracts/{contract['id']}/subscriptions", headers=PROGRAM,
                          json={"basket_kind": "small"})
    assert program.status_code == 403


def test_subscribing_to_a_finished_contract_is_refused(client):
    from services.relay import service

    with client.db.transaction() as session:
        producer = service.create_producer(session, "Ferme")
        contract = service.create_contract(session, producer.id, "la-coroutine", "Passé", "thu", "18:00",
                                           "20:00", date(2020, 6, 4), date(2020, 6, 25),
                                           [{"name": "small", "price_cents": 1000}])
    finished = client.post(f"/contracts/{contract.id}/subscriptions", headers=VOISIN, json={"basket_kind": "small"})
    assert finished.status_code == 409 and finished.json["title"] == "Contract finished"


# -- drop-off, collection, closing -----------------------------------------------------------
def test_check_in_records_the_shortfall_and_announces_ready_baskets(client):
    contract = make_contract(client)
    subscribe(client, contract, VOISIN)
    subscribe(client, contract, ASSO)
    subscribe(client, contract, THIRD, basket_kind="large")
    first = distributions(client, contract)[0]
    checked = client.post(f"/distributions/{first['id']}/delivery", headers=VEILLEUR,
                          json={"arrived": {"small": 1, "large": 1}})
    assert checked.status_code == 201, checked.json
    lines = {line["basket_kind"]: line for line in checked.json["kinds"]}
    assert lines["small"]["expected"] == 2 and lines["small"]["arrived"] == 1 and lines["small"]["shortfall"] == 1
    assert checked.json["shortfall"] == 1
    received = outbox_events(client.db, "relay.delivery.received")
    assert received[0]["data"]["shortfall"] == 1 and received[0]["subject"] == first["id"]
    ready = outbox_events(client.db, "relay.basket.ready")
    assert sorted(e["data"]["account_id"] for e in ready) == ["third-1", "voisin-1"]
    assert all(set(e["data"]) >= {"basket_id", "distribution_id", "site_id", "account_id"} for e in ready)
    again = client.post(f"/distributions/{first['id']}/delivery", headers=VEILLEUR, json={"arrived": {"small": 1}})
    assert again.status_code == 409


def test_checking_in_negative_or_unknown_kinds_is_refused(client):
    contract = make_contract(client)
    first = distributions(client, contract)[0]
    negative = client.post(f"/distributions/{first['id']}/delivery", headers=VEILLEUR,
                           json={"arrived": {"small": -1}})
    assert negative.status_code == 422 and "arrived" in negative.json["errors"]
    unknown = client.post(f"/distributions/{first['id']}/delivery", headers=VEILLEUR,
                          json={"arrived": {"potatoes": 3}})
    assert unknown.status_code == 422 and "potatoes" in unknown.json["detail"]


def test_collection_by_code_once_and_wrong_or_reused_codes_are_refused(client):
    contract = make_contract(client)
    subscribe(client, contract, VOISIN)
    first, second = distributions(client, contract)[:2]
    basket = my_basket(client, VOISIN, first["id"])
    collected = client.post(f"/distributions/{first['id']}/collections", headers=VEILLEUR,
                            json={"code": basket["pickup_code"].lower()})
    assert collected.status_code == 201 and collected.json["status"] == "collected"
    reused = client.post(f"/distributions/{first['id']}/collections", headers=VEILLEUR,
                         json={"code": basket["pickup_code"]})
    assert reused.status_code == 409 and reused.json["title"] == "Basket already collected"
    wrong = client.post(f"/distributions/{first['id']}/collections", headers=VEILLEUR, json={"code": "ZZZZZZ"})
    assert wrong.status_code == 422 and "code" in wrong.json["errors"]
    other = my_basket(client, VOISIN, second["id"])
    elsewhere = client.post(f"/distributions/{first['id']}/collections", headers=VEILLEUR,
                            json={"basket_id": other["id"]})
    assert elsewhere.status_code == 422 and elsewhere.json["title"] == "Wrong distribution"
    both = client.post(f"/distributions/{first['id']}/collections", headers=VEILLEUR,
                       json={"code": "ABC", "account_id": "voisin-1"})
    assert both.status_code == 422
    events = outbox_events(client.db, "relay.basket.collected")
    assert len(events) == 1 and events[0]["data"]["account_id"] == "voisin-1"
    assert events[0]["data"]["collected_via"] == "code"
    assert my_basket(client, VOISIN, first["id"])["status"] == "collected"


def test_a_proxy_account_or_a_one_off_code_collects_for_one_distribution(client):
    contract = make_contract(client)
    subscribe(client, contract, VOISIN)
    subscribe(client, contract, ASSO)
    first, second = distributions(client, contract)[:2]
    voisin_basket = my_basket(client, VOISIN, first["id"])
    named = client.post(f"/baskets/{voisin_basket['id']}/proxy", headers=VOISIN, json={"account_id": "third-1"})
    assert named.status_code == 201 and named.json["proxy"] == "account"
    assert [b["role"] for b in client.get("/baskets?mine=true", headers=THIRD).json] == ["proxy"]
    by_proxy = client.post(f"/distributions/{first['id']}/collections", headers=VEILLEUR,
                           json={"account_id": "third-1"})
    assert by_proxy.status_code == 201 and by_proxy.json["id"] == voisin_basket["id"]
    asso_basket = my_basket(client, ASSO, first["id"])
    one_off = client.post(f"/baskets/{asso_basket['id']}/proxy", headers=ASSO, json={})
    code = one_off.json["proxy_code"]
    assert len(code) == CODE_LENGTH and code != asso_basket["pickup_code"]
    by_code = client.post(f"/distributions/{first['id']}/collections", headers=VEILLEUR, json={"code": code})
    assert by_code.status_code == 201 and by_code.json["id"] == asso_basket["id"]
    # The proxy was for one distribution only: the next week is the subscriber's again.
    assert client.post(f"/distributions/{second['id']}/collections", headers=VEILLEUR,
                       json={"account_id": "third-1"}).status_code == 422
    assert client.post(f"/baskets/{asso_basket['id']}/proxy", headers=VOISIN, json={}).status_code == 404
    vias = [e["data"]["collected_via"] for e in outbox_events(client.db, "relay.basket.collected")]
    assert vias == ["proxy", "proxy_code"]


def test_no_more_baskets_are_handed_out_than_arrived(client):
    contract = make_contract(client)
    subscribe(client, contract, VOISIN)
    subscribe(client, contract, ASSO)
    first = distributions(client, contract)[0]
    client.post(f"/distributions/{first['id']}/delivery", headers=VEILLEUR, json={"arrived": {"small": 1}})
    assert client.post(f"/distributions/{first['id']}/collections", headers=VEILLEUR,
                       json={"account_id": "voisin-1"}).status_code == 201
    none_left = client.post(f"/distributions/{first['id']}/collections", headers=VEILLEUR,
                            json={"account_id": "asso-1"})
    assert none_left.status_code == 409 and none_left.json["title"] == "No basket left"


def test_closing_makes_what_is_left_unclaimed_for_the_grocery(client):
    contract = make_contract(client)
    subscribe(client, contract, VOISIN)
    subscribe(client, contract, ASSO)
    subscribe(client, contract, THIRD, basket_kind="large", quantity=2)
    first = distributions(client, contract)[0]
    client.post(f"/distributions/{first['id']}/delivery", headers=VEILLEUR,
                json={"arrived": {"small": 1, "large": 1}})
    client.post(f"/distributions/{first['id']}/collections", headers=VEILLEUR, json={"account_id": "voisin-1"})
    closed = client.post(f"/distributions/{first['id']}/close", headers=VEILLEUR)
    assert closed.status_code == 200, closed.json
    assert closed.json["baskets"] == {"collected": 1, "unclaimed": 1, "not_delivered": 1, "absent": 0}
    unclaimed = outbox_events(client.db, "relay.basket.unclaimed")
    assert len(unclaimed) == 1
    data = unclaimed[0]["data"]
    assert set(data) == {"basket_id", "distribution_id", "site_id", "distribution_date", "producer_id",
                         "basket_kind", "category", "quantity"}
    assert data["basket_kind"] == "large" and data["quantity"] == 1 and data["site_id"] == "site-1"
    # A code for what the basket holds, never the description or the farm's name a veilleur typed.
    assert data["category"] == "vegetables" and data["producer_id"] == contract["producer_id"]
    assert "Grand panier" not in json.dumps(data) and "Pévèle" not in json.dumps(data)
    assert data["distribution_date"] == first["date"]
    assert client.post(f"/distributions/{first['id']}/close", headers=VEILLEUR).status_code == 409
    late = client.post(f"/distributions/{first['id']}/collections", headers=VEILLEUR, json={"account_id": "asso-1"})
    assert late.status_code == 409
    assert "closed" in [e["type"].split(".")[-1] for e in outbox_events(client.db)]


def test_the_worker_closes_distributions_whose_window_has_ended(client):
    from services.relay.worker import tick

    contract = make_contract(client)
    subscribe(client, contract, VOISIN)
    found = distributions(client, contract)
    after_first = datetime.fromisoformat(found[0]["ends_at"]) + timedelta(minutes=1)
    done = tick(client.db, now=after_first)
    assert done["closed"] == [found[0]["id"]]
    assert client.get(f"/distributions/{found[0]['id']}").json["status"] == "closed"
    assert client.get(f"/distributions/{found[1]['id']}").json["status"] == "scheduled"
    assert [e["data"]["basket_kind"] for e in outbox_events(client.db, "relay.basket.unclaimed")] == ["small"]
    assert tick(client.db, now=after_first)["closed"] == []


# -- absences --------------------------------------------------------------------------------
def test_an_absence_declared_in_time_means_no_basket_is_expected(client):
    contract = make_contract(client)
    subscribe(client, contract, VOISIN)
    subscribe(client, contract, ASSO)
    first, second = distributions(client, contract)[:2]
    basket = my_basket(client, VOISIN, first["id"])
    absent = client.post(f"/baskets/{basket['id']}/absence", headers=VOISIN)
    assert absent.status_code == 201 and absent.json["status"] == "absent"
    delivery = client.get(f"/distributions/{first['id']}/delivery", headers=VEILLEUR).json
    assert {line["basket_kind"]: line["expected"] for line in delivery["kinds"]} == {"small": 1, "large": 0}
    beyond = client.post(f"/baskets/{my_basket(client, VOISIN, second['id'])['id']}/absence", headers=VOISIN)
    assert beyond.status_code == 409 and beyond.json["absences_used"] == 1
    client.post(f"/distributions/{first['id']}/delivery", headers=VEILLEUR, json={"arrived": {"small": 1}})
    assert client.post(f"/distributions/{first['id']}/collections", headers=VEILLEUR,
                       json={"code": basket["pickup_code"]}).json["title"] == "Basket absent"
    closed = client.post(f"/distributions/{first['id']}/close", headers=VEILLEUR).json
    assert closed["baskets"]["absent"] == 1 and closed["baskets"]["unclaimed"] == 1
    assert client.post(f"/baskets/{basket['id']}/absence", headers=ASSO).status_code == 404


def test_an_absence_after_the_cutoff_is_refused(client):
    from services.relay import service

    contract = make_contract(client)
    subscribe(client, contract, VOISIN)
    first = distributions(client, contract)[0]
    basket = my_basket(client, VOISIN, first["id"])
    starts = datetime.fromisoformat(first["starts_at"])
    with pytest.raises(service.Problem) as refused:
        with client.db.transaction() as session:
            service.declare_absence(session, basket["id"], "voisin-1", now=starts - timedelta(hours=47))
    assert refused.value.status == 409 and refused.value.slug == "absence-too-late"
    with client.db.transaction() as session:
        assert service.declare_absence(session, basket["id"], "voisin-1",
                                       now=starts - timedelta(hours=49)).status == "absent"


def test_an_offered_absent_basket_stays_for_the_waiting_neighbours(client):
    contract = make_contract(client, absent_baskets="offered")
    subscribe(client, contract, VOISIN)
    first = distributions(client, contract)[0]
    basket = my_basket(client, VOISIN, first["id"])
    assert client.post(f"/baskets/{basket['id']}/absence", headers=VOISIN).json["status"] == "offered"
    given = client.post(f"/distributions/{first['id']}/collections", headers=VEILLEUR,
                        json={"basket_id": basket["id"]})
    assert given.status_code == 201


# -- distributions moved, cancelled; roster; sheet -------------------------------------------
def test_moving_and_cancelling_a_distribution_publish_events(client):
    contract = make_contract(client)
    subscribe(client, contract, VOISIN)
    first, second = distributions(client, contract)[:2]
    new_day = date.fromisoformat(first["date"]) + timedelta(days=1)
    moved = client.post(f"/distributions/{first['id']}/move", headers=VEILLEUR,
                        json={"date": new_day.isoformat(), "window_opens": "17:30"})
    assert moved.status_code == 200 and moved.json["date"] == new_day.isoformat()
    assert datetime.fromisoformat(moved.json["starts_at"]).strftime("%H:%M") == "17:30"
    event = outbox_events(client.db, "relay.distribution.moved")[0]["data"]
    assert event["previous_date"] == first["date"] and event["date"] == new_day.isoformat()
    past = client.post(f"/distributions/{first['id']}/move", headers=VEILLEUR, json={"date": "2020-01-02"})
    assert past.status_code == 422
    cancelled = client.post(f"/distributions/{second['id']}/cancel", headers=VEILLEUR)
    assert cancelled.status_code == 200 and cancelled.json["status"] == "cancelled"
    assert outbox_events(client.db, "relay.distribution.cancelled")[0]["data"]["baskets_cancelled"] == 1
    assert my_basket(client, VOISIN, second["id"])["status"] == "cancelled"
    assert client.post(f"/distributions/{second['id']}/delivery", headers=VEILLEUR,
                       json={"arrived": {"small": 1}}).status_code == 409


def test_volunteers_sign_up_and_a_short_roster_is_published_48_hours_before(client):
    from services.relay.worker import tick

    contract = make_contract(client)
    first = distributions(client, contract)[0]
    signed = client.post(f"/distributions/{first['id']}/roster", headers=VOISIN,
                         json={"role": "opener", "display_name": "Sam"})
    assert signed.status_code == 201 and signed.json["staffed"] is False
    assert client.post(f"/distributions/{first['id']}/roster", headers=VOISIN,
                       json={"role": "opener"}).status_code == 409
    client.post(f"/distributions/{first['id']}/roster", headers=ASSO, json={"role": "distributor"})
    withdrawn = client.delete(f"/distributions/{first['id']}/roster/distributor", headers=ASSO)
    assert withdrawn.status_code == 200 and withdrawn.json["roles"][1]["volunteers"] == []
    starts = datetime.fromisoformat(first["starts_at"])
    assert tick(client.db, now=starts - timedelta(hours=49))["unstaffed"] == []
    assert tick(client.db, now=starts - timedelta(hours=47))["unstaffed"] == [first["id"]]
    assert tick(client.db, now=starts - timedelta(hours=46))["unstaffed"] == []
    data = outbox_events(client.db, "relay.distribution.unstaffed")[0]["data"]
    assert data["openers"] == 1 and data["distributors"] == 0 and data["distributors_needed"] == 1
    assert "Sam" not in json.dumps(data)


def test_the_sign_in_sheet_is_csv_and_a_printable_french_page_without_codes(client):
    contract = make_contract(client)
    subscribe(client, contract, VOISIN, display_name="Sam")
    subscribe(client, contract, ASSO, display_name="=Dominique", basket_kind="large")
    first = distributions(client, contract)[0]
    basket = my_basket(client, VOISIN, first["id"])
    csv_response = client.get(f"/distributions/{first['id']}/sheet.csv", headers=VEILLEUR)
    assert csv_response.status_code == 200 and csv_response.mimetype == "text/csv"
    text = csv_response.get_data(as_text=True)
    assert text.splitlines()[0].startswith("nom,panier,quantité")
    assert "Sam,small,1" in text and "'=Dominique" in text
    assert basket["pickup_code"] not in text
    page = client.get(f"/distributions/{first['id']}/sheet.html", headers=VEILLEUR)
    html = page.get_data(as_text=True)
    assert page.mimetype == "text/html" and '<html lang="fr">' in html
    assert "Feuille d&#x27;émargement" in html and "jeudi" in html and "Sam" in html
    assert basket["pickup_code"] not in html


def test_events_carry_no_contact_data_or_names(client):
    contract = make_contract(client)
    subscribe(client, contract, VOISIN, display_name="Sam Secret")
    first = distributions(client, contract)[0]
    client.post(f"/distributions/{first['id']}/delivery", headers=VEILLEUR, json={"arrived": {"small": 1}})
    client.post(f"/distributions/{first['id']}/collections", headers=VEILLEUR, json={"account_id": "voisin-1"})
    client.post(f"/distributions/{first['id']}/close", headers=VEILLEUR)
    body = json.dumps(outbox_events(client.db))
    assert "Sam Secret" not in body and "06 00 00 00 00" not in body
    assert my_basket(client, VOISIN, first["id"])["pickup_code"] not in body


def test_the_demo_data_subscribes_two_neighbours_once(client):
    from infra.demo_data import demo_id
    from services.relay.demo import seed_relay

    seed_relay(client.db)
    seed_relay(client.db)
    contracts = client.get("/contracts?site=la-coroutine").json
    assert len(contracts) == 1 and len(distributions(client, contracts[0])) == 12
    voisin = identity_header(demo_id("account", "voisin@coroutine.test"))
    mine = client.get("/baskets?mine=true", headers=voisin).json
    assert len(mine) == 12 and all(b["pickup_code"] for b in mine)


def test_a_subscriber_sees_their_shares_and_veilleurs_see_a_contracts_shares(client):
    contract = make_contract(client)
    subscribe(client, contract, VOISIN, display_name="Sam")
    subscribe(client, contract, ASSO, basket_kind="large", partner_account_id="third-1")
    first = distributions(client, contract)[0]
    client.post(f"/baskets/{my_basket(client, VOISIN, first['id'])['id']}/absence", headers=VOISIN)
    mine = client.get("/subscriptions", headers=VOISIN).json
    assert len(mine) == 1 and mine[0]["absences_used"] == 1 and mine[0]["absence_allowance"] == 1
    assert mine[0]["currency"] == "EUR" and mine[0]["distributions"] == 4
    assert [s["partner_account_id"] for s in client.get("/subscriptions", headers=THIRD).json] == ["third-1"]
    assert client.get(f"/contracts/{contract['id']}/subscriptions", headers=VOISIN).status_code == 403
    assert len(client.get(f"/contracts/{contract['id']}/subscriptions", headers=VEILLEUR).json) == 2


def test_a_proxy_can_be_withdrawn_and_only_by_the_holder(client):
    contract = make_contract(client)
    subscribe(client, contract, VOISIN)
    first = distributions(client, contract)[0]
    basket = my_basket(client, VOISIN, first["id"])
    code = client.post(f"/baskets/{basket['id']}/proxy", headers=VOISIN, json={}).json["proxy_code"]
    assert client.delete(f"/baskets/{basket['id']}/proxy", headers=ASSO).status_code == 404
    withdrawn = client.delete(f"/baskets/{basket['id']}/proxy", headers=VOISIN)
    assert withdrawn.status_code == 200 and withdrawn.json["proxy"] is None
    refused = client.post(f"/distributions/{first['id']}/collections", headers=VEILLEUR, json={"code": code})
    assert refused.status_code == 422


def test_a_distribution_whose_baskets_arrived_cannot_move(client):
    contract = make_contract(client)
    first = distributions(client, contract)[0]
    client.post(f"/distributions/{first['id']}/delivery", headers=VEILLEUR, json={"arrived": {"small": 0}})
    moved = client.post(f"/distributions/{first['id']}/move", headers=VEILLEUR, json={"window_opens": "17:00"})
    assert moved.status_code == 409
