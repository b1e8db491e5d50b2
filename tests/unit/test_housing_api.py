"""Housing through its HTTP API on SQLite: requests, offers, review, ranking, consent, messages, groups."""
from datetime import datetime, timedelta

import pytest

from services.housing import create_app, service
from tests.conftest import CLOCK_START, Clock, app_for, identity_header

NEWCOMER = identity_header("newcomer-1")
HOST = identity_header("host-1")
VEILLEUR = identity_header("veilleur-1", roles=("veilleur",))
STRANGER = identity_header("stranger-1")


def arrival(days=20) -> str:
    return (Clock.today() + timedelta(days=days)).isoformat()


def request_body(**overrides) -> dict:
    body = {"arrival_date": arrival(), "stay_months": 6, "max_budget_cents": 50_000, "areas": ["wazemmes", "moulins"],
            "household_size": 1, "languages": ["es", "fr"], "hours": "quiet", "about": "Étudiante, calme.",
            "contact_email": "newcomer@example.test"}
    body.update(overrides)
    return body


def offer_body(**overrides) -> dict:
    body = {"kind": "room", "rent_cents": 40_000, "charges_cents": 6_000, "deposit_cents": 40_000,
            "available_from": arrival(10), "area": "wazemmes", "max_occupants": 1, "furnished": True,
            "languages": ["es", "en"], "hours": "quiet", "house_rules": "No parties after 22:00.",
            "contact_email": "host@example.test", "contact_phone": "+33 6 12 34 56 78"}
    body.update(overrides)
    return body


@pytest.fixture
def db(sqlite_database):
    return sqlite_database("housing")


@pytest.fixture
def client(db, clock):
    """The housing API, with the test's clock at CLOCK_START: requests expire 60 days after it."""
    return app_for(create_app, "housing", db).test_client()


def post_request(client, headers=NEWCOMER, **overrides):
    response = client.post("/requests", json=request_body(**overrides), headers=headers)
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def published_offer(client, headers=HOST, **overrides):
    response = client.post("/offers", json=offer_body(**overrides), headers=headers)
    assert response.status_code == 201, response.get_json()
    offer = response.get_json()
    published = client.post(f"/offers/{offer['id']}/publish", headers=VEILLEUR)
    assert published.status_code == 200, published.get_json()
    return published.get_json()


def test_a_request_is_active_for_60_days_and_its_owner_sees_the_contact(client, clock):
    clock.move_to(CLOCK_START, tick=False)
    created = post_request(client)
    assert created["status"] == "active"
    assert created["contact_email"] == "newcomer@example.test"
    assert datetime.fromisoformat(created["expires_at"]) == CLOCK_START + timedelta(days=60)
    assert client.get(f"/requests/{created['id']}", headers=STRANGER).status_code == 404


@pytest.mark.parametrize("overrides, field", [
    ({"max_budget_cents": -100}, "max_budget_cents"),
    ({"max_budget_cents": 900_000_000}, "max_budget_cents"),
    ({"languages": ["xx"]}, "languages"),
    ({"languages": ["spanish"]}, "languages"),
    ({"household_size": 0}, "household_size"),
    ({"areas": ["12 rue Molière"]}, "areas"),
    ({"contact_email": None}, "contact_email"),
    ({"street_address": "8 rue Molière"}, "street_address"),
    ({"stay_months": 0}, "stay_months"),
])
def test_bad_requests_are_problems_naming_the_field(client, overrides, field):
    response = client.post("/requests", json=request_body(**overrides), headers=NEWCOMER)
    assert response.status_code == 422
    assert response.headers["Content-Type"].startswith("application/problem+json")
    assert field in response.get_json()["errors"]


@pytest.mark.parametrize("overrides, field", [
    ({"rent_cents": -1}, "rent_cents"),
    ({"rent_cents": 100_000_000}, "rent_cents"),
    ({"available_from": arrival(30), "available_until": arrival(5)}, "available_until"),
    ({"deposit_cents": 200_000}, "deposit_cents"),
    ({"languages": ["zz"]}, "languages"),
    ({"address": "8 rue Molière"}, "address"),
    ({"house_rules": "Come to 8 rue Molière at noon"}, "house_rules"),
    ({"max_occupants": 0}, "max_occupants"),
])
def test_bad_offers_are_problems_naming_the_field(client, overrides, field):
    response = client.post("/offers", json=offer_body(**overrides), headers=HOST)
    assert response.status_code == 422
    assert field in response.get_json()["errors"]


def test_an_offer_is_published_only_by_a_veilleur_and_shows_an_area_without_contact(client):
    offer = client.post("/offers", json=offer_body(), headers=HOST).get_json()
    assert offer["status"] == "pending"
    assert client.get(f"/offers/{offer['id']}", headers=STRANGER).status_code == 404
    assert client.post(f"/offers/{offer['id']}/publish", headers=NEWCOMER).status_code == 403
    assert client.post(f"/offers/{offer['id']}/publish", headers=VEILLEUR).get_json()["status"] == "published"
    seen = client.get(f"/offers/{offer['id']}", headers=STRANGER).get_json()
    assert seen["area_name"] == "Wazemmes"
    assert "contact_email" not in seen and "contact_phone" not in seen
    assert client.get(f"/offers/{offer['id']}", headers=HOST).get_json()["contact_email"] == "host@example.test"


def test_a_rejected_offer_carries_its_reason(client):
    offer = client.post("/offers", json=offer_body(), headers=HOST).get_json()
    rejected = client.post(f"/offers/{offer['id']}/reject", json={"reason": "Rent far above the area's prices"},
                           headers=VEILLEUR).get_json()
    assert rejected["status"] == "rejected"
    assert client.get(f"/offers/{offer['id']}", headers=HOST).get_json()["rejection_reason"].startswith("Rent")


def test_a_report_sends_a_published_offer_back_to_review(client):
    offer = published_offer(client)
    report = client.post(f"/offers/{offer['id']}/reports", json={"reason": "scam"}, headers=STRANGER)
    assert report.status_code == 201
    assert client.get(f"/offers/{offer['id']}", headers=HOST).get_json()["status"] == "pending"
    assert client.post(f"/offers/{offer['id']}/reports", json={"reason": "scam"}, headers=STRANGER).status_code == 409
    pending = client.get("/offers?status=pending", headers=VEILLEUR).get_json()
    assert [o["id"] for o in pending] == [offer["id"]] and pending[0]["open_reports"] == 1
    assert client.get("/offers?status=pending", headers=NEWCOMER).status_code == 403


def test_the_newcomer_sees_the_offer_ranked_with_reasons(client):
    request = post_request(client)
    good = published_offer(client)
    published_offer(client, headers=identity_header("host-2"), area="fives", languages=["de"], rent_cents=44_000)
    published_offer(client, headers=identity_header("host-3"), rent_cents=60_000)  # over budget
    ranked = client.get(f"/requests/{request['id']}/matches", headers=NEWCOMER).get_json()
    assert len(ranked) == 2
    best = ranked[0]
    assert best["offer_id"] == good["id"] and best["score"] > ranked[1]["score"]
    codes = {r["code"]: r for r in best["reasons"]}
    assert codes["common_language"]["languages"] == ["es"]
    assert codes["common_language"]["text"] == "You both speak Spanish."
    assert codes["under_budget"]["amount_cents"] == 4_000
    assert codes["under_budget"]["text"] == "Rent with charges is 40 € under the budget."
    assert codes["wished_area"]["area"] == "wazemmes"
    assert best["contact"] is None and "contact_email" not in best["offer"]


def test_the_host_sees_the_request_without_budget_or_contact(client):
    request = post_request(client)
    offer = published_offer(client)
    ranked = client.get(f"/offers/{offer['id']}/matches", headers=HOST).get_json()
    assert [m["seeker_id"] for m in ranked] == [request["id"]]
    assert "max_budget_cents" not in ranked[0]["request"] and "contact_email" not in ranked[0]["request"]
    assert ranked[0]["contact"] is None


def test_contact_details_only_after_both_sides_are_interested(client):
    request = post_request(client)
    offer = published_offer(client)
    path = f"/matches/{request['id']}/{offer['id']}"
    assert client.get(f"{path}/contact", headers=NEWCOMER).status_code == 403
    assert client.post(f"{path}/interest", headers=NEWCOMER).get_json()["contact"] is None
    assert client.get(f"{path}/contact", headers=HOST).status_code == 403
    host_view = client.post(f"{path}/interest", headers=HOST).get_json()
    assert host_view["consent"] == {"mine": "interested", "theirs": "interested", "mutual": True}
    assert host_view["contact"] == [{"contact_email": "newcomer@example.test", "contact_phone": None}]
    newcomer_view = client.get(path, headers=NEWCOMER).get_json()
    assert newcomer_view["contact"][0]["contact_email"] == "host@example.test"
    client.post(f"{path}/withdraw", headers=NEWCOMER)
    assert client.get(f"{path}/contact", headers=HOST).status_code == 403


def test_messages_flow_between_the_sides_and_nobody_else(client):
    request = post_request(client)
    offer = published_offer(client)
    path = f"/matches/{request['id']}/{offer['id']}/messages"
    assert client.post(path, json={"body": "Hola, ¿la habitación sigue libre?"}, headers=NEWCOMER).status_code == 201
    assert client.post(path, json={"body": "Sí."}, headers=HOST).status_code == 201
    thread = client.get(path, headers=NEWCOMER).get_json()
    assert [(m["sender_side"], m["mine"]) for m in thread] == [("seeker", True), ("host", False)]
    stranger = client.post(path, json={"body": "hello"}, headers=STRANGER)
    assert stranger.status_code == 404 and stranger.get_json()["title"] == "No match with you"


def test_a_message_about_an_offer_that_does_not_match_is_refused(client):
    request = post_request(client)
    offer = published_offer(client, rent_cents=80_000, deposit_cents=0)
    response = client.post(f"/matches/{request['id']}/{offer['id']}/messages", json={"body": "hi"}, headers=NEWCOMER)
    assert response.status_code == 409
    assert response.get_json()["reasons"][0]["code"] == "over_budget"


def test_declining_closes_messages_and_hides_the_match(client):
    request = post_request(client)
    offer = published_offer(client)
    path = f"/matches/{request['id']}/{offer['id']}"
    client.post(f"{path}/decline", headers=HOST)
    assert client.post(f"{path}/messages", json={"body": "hi"}, headers=NEWCOMER).status_code == 409
    assert client.get(f"/requests/{request['id']}/matches", headers=NEWCOMER).get_json() == []


def test_changing_a_request_changes_its_ranking_at_once(client):
    request = post_request(client)
    published_offer(client)
    assert len(client.get(f"/requests/{request['id']}/matches", headers=NEWCOMER).get_json()) == 1
    client.patch(f"/requests/{request['id']}", json={"max_budget_cents": 30_000}, headers=NEWCOMER)
    assert client.get(f"/requests/{request['id']}/matches", headers=NEWCOMER).get_json() == []


def test_three_compatible_newcomers_are_proposed_a_group_that_forms_when_all_agree(client, db):
    people = [identity_header(f"newcomer-{n}") for n in range(3)]
    requests = [post_request(client, headers=h, max_roommates=2, kind_wanted="whole_flat") for h in people]
    post_request(client, headers=identity_header("loner"), max_roommates=0)
    assert client.post("/groups/proposals", headers=NEWCOMER).status_code == 403
    run = client.post("/groups/proposals", headers=VEILLEUR).get_json()
    assert run == {"proposed": 1, "considered": 3}
    group = client.get(f"/requests/{requests[0]['id']}/group", headers=people[0]).get_json()
    assert group["status"] == "proposed"
    assert sorted(m["request"]["id"] for m in group["members"]) == sorted(r["id"] for r in requests)
    assert {r["code"] for r in group["reasons"]} >= {"common_language", "shared_area"}
    for headers in people[:2]:
        assert client.post(f"/groups/{group['id']}/agree", headers=headers).get_json()["status"] == "proposed"
    formed = client.post(f"/groups/{group['id']}/agree", headers=people[2]).get_json()
    assert formed["status"] == "formed"
    flat = published_offer(client, kind="whole_flat", rent_cents=120_000, deposit_cents=0, max_occupants=3)
    ranked = client.get(f"/groups/{group['id']}/matches", headers=people[1]).get_json()
    assert [m["offer_id"] for m in ranked] == [flat["id"]]
    host_side = client.get(f"/offers/{flat['id']}/matches", headers=HOST).get_json()
    assert [m["seeker_kind"] for m in host_side] == ["group"]
    assert client.get(f"/groups/{group['id']}", headers=STRANGER).status_code == 404


def test_declining_a_group_dissolves_it_and_it_is_not_proposed_again(client):
    people = [identity_header(f"newcomer-{n}") for n in range(2)]
    requests = [post_request(client, headers=h, max_roommates=1) for h in people]
    client.post("/groups/proposals", headers=VEILLEUR)
    group = client.get(f"/requests/{requests[0]['id']}/group", headers=people[0]).get_json()
    assert client.post(f"/groups/{group['id']}/decline", headers=people[1]).status_code == 204
    assert client.get(f"/requests/{requests[0]['id']}/group", headers=people[0]).status_code == 404
    assert client.post("/groups/proposals", headers=VEILLEUR).get_json()["proposed"] == 0


def test_requests_expire_after_60_days_and_are_deleted_after_the_retention(client, db, clock):
    request = post_request(client)
    later = clock.now() + timedelta(days=61)
    with db.transaction() as session:
        assert service.expire_requests(session, later) == 1
    assert client.get(f"/requests/{request['id']}", headers=NEWCOMER).get_json()["status"] == "expired"
    assert client.get(f"/requests/{request['id']}/matches", headers=NEWCOMER).status_code == 409
    with db.transaction() as session:
        assert service.purge_expired_requests(session, later + timedelta(days=29)) == 0
        assert service.purge_expired_requests(session, later + timedelta(days=31)) == 1
    assert client.get(f"/requests/{request['id']}", headers=NEWCOMER).status_code == 404


def test_renewing_brings_an_expired_request_back(client, db, clock):
    request = post_request(client)
    with db.transaction() as session:
        service.expire_requests(session, clock.now() + timedelta(days=61))
    renewed = client.post(f"/requests/{request['id']}/renew", headers=NEWCOMER).get_json()
    assert renewed["status"] == "active"


def test_vocabulary_lists_iso_639_1_languages_and_areas(client):
    vocab = client.get("/vocabulary").get_json()
    assert vocab["languages"]["es"] == "Spanish" and len(vocab["languages"]) >= 183
    assert "wazemmes" in vocab["areas"]


def test_a_formed_group_shares_contacts_with_a_host_only_when_every_member_and_the_host_agree(client):
    people = [identity_header(f"newcomer-{n}") for n in range(2)]
    requests = [post_request(client, headers=h, max_roommates=1, contact_email=f"n{n}@example.test")
                for n, h in enumerate(people)]
    client.post("/groups/proposals", headers=VEILLEUR)
    group = client.get(f"/requests/{requests[0]['id']}/group", headers=people[0]).get_json()
    for headers in people:
        client.post(f"/groups/{group['id']}/agree", headers=headers)
    flat = published_offer(client, kind="whole_flat", rent_cents=80_000, deposit_cents=0, max_occupants=2)
    path = f"/matches/{group['id']}/{flat['id']}"
    client.post(f"{path}/interest", headers=HOST)
    first = client.post(f"{path}/interest", headers=people[0]).get_json()
    assert first["consent"] == {"mine": "interested", "theirs": "interested", "mutual": False}
    assert client.get(f"{path}/contact", headers=HOST).status_code == 403
    client.post(f"{path}/interest", headers=people[1])
    contacts = client.get(f"{path}/contact", headers=HOST).get_json()
    assert sorted(c["contact_email"] for c in contacts) == ["n0@example.test", "n1@example.test"]
    assert client.get(f"{path}/contact", headers=people[1]).get_json()[0]["contact_email"] == "host@example.test"


def test_a_reported_offer_stops_taking_messages_and_interest_until_published_again(client):
    request = post_request(client)
    offer = published_offer(client)
    path = f"/matches/{request['id']}/{offer['id']}"
    assert client.post(f"{path}/messages", json={"body": "Bonjour"}, headers=NEWCOMER).status_code == 201
    client.post(f"/offers/{offer['id']}/reports", json={"reason": "scam", "comment": "asks for a wire transfer"},
                headers=STRANGER)
    blocked = client.post(f"{path}/messages", json={"body": "Encore moi"}, headers=NEWCOMER)
    assert blocked.status_code == 409 and blocked.get_json()["title"] == "Offer under review"
    assert client.post(f"{path}/interest", headers=NEWCOMER).status_code == 409
    assert client.get(f"/requests/{request['id']}/matches", headers=NEWCOMER).get_json() == []
    client.post(f"/offers/{offer['id']}/publish", headers=VEILLEUR)
    assert client.post(f"{path}/messages", json={"body": "Encore moi"}, headers=NEWCOMER).status_code == 201
