"""End to end through the gateway: a newcomer finds a room, three newcomers team up, erasure forgets."""
import time
import uuid

import requests

from shared.bus.tail import Tap
from tests.support.platform_time import days_ahead

VOISIN, ASSO, VEILLEUR = "voisin@coroutine.test", "asso@coroutine.test", "veilleur@coroutine.test"


def arrival(days=21) -> str:
    return days_ahead(days).isoformat()


def new_account(system, name: str) -> tuple[str, dict]:
    email = f"{name}-{uuid.uuid4().hex[:8]}@example.test"
    password = "un mot de passe long"
    created = requests.post(system.url("/api/accounts"), json={
        "email": email, "password": password, "display_name": name}, timeout=10)
    assert created.status_code == 201, created.text
    return email, {"Authorization": f"Bearer {system.token(email, password)}"}


def post(system, path, headers, json=None, status=None):
    response = requests.post(system.url(f"/api/housing{path}"), headers=headers, json=json, timeout=20)
    if status is not None:
        assert response.status_code == status, response.text
    return response


def get(system, path, headers, status=200):
    response = requests.get(system.url(f"/api/housing{path}"), headers=headers, timeout=20)
    assert response.status_code == status, response.text
    return response.json()


def request_body(email: str, **overrides) -> dict:
    body = {"arrival_date": arrival(), "stay_months": 6, "max_budget_cents": 55_000, "areas": ["wazemmes", "moulins"],
            "languages": ["es", "fr"], "hours": "quiet", "about": "Llego para estudiar.", "contact_email": email}
    body.update(overrides)
    return body


def offer_body(email: str, **overrides) -> dict:
    body = {"kind": "room", "rent_cents": 42_000, "charges_cents": 5_000, "deposit_cents": 42_000,
            "available_from": arrival(7), "area": "wazemmes", "max_occupants": 1, "furnished": True,
            "languages": ["es", "en"], "hours": "quiet", "house_rules": "Calme après 22 h.", "contact_email": email}
    body.update(overrides)
    return body


def publish(system, offer_id):
    post(system, f"/offers/{offer_id}/publish", system.auth(VEILLEUR), status=200)


def test_a_newcomer_and_a_host_find_each_other_and_share_contacts_only_after_both_agree(system):
    tap = Tap(system.amqp_url, ["housing.#"])
    try:
        newcomer, host = system.auth(VOISIN), system.auth(ASSO)
        request = post(system, "/requests", newcomer, request_body(VOISIN), status=201).json()
        offer = post(system, "/offers", host, offer_body(ASSO), status=201).json()
        assert offer["status"] == "pending"
        assert post(system, f"/offers/{offer['id']}/publish", newcomer).status_code == 403
        publish(system, offer["id"])

        ranked = get(system, f"/requests/{request['id']}/matches", newcomer)
        mine = next(m for m in ranked if m["offer_id"] == offer["id"])
        texts = [r["text"] for r in mine["reasons"]]
        assert "You both speak Spanish." in texts
        assert "Rent with charges is 80 € under the budget." in texts
        assert ASSO not in str(ranked)
        host_side = get(system, f"/offers/{offer['id']}/matches", host)
        assert request["id"] in [m["seeker_id"] for m in host_side] and VOISIN not in str(host_side)
        path = f"/matches/{request['id']}/{offer['id']}"
        assert get(system, f"{path}/contact", newcomer, status=403)["title"] == "No consent yet"
        post(system, f"{path}/messages", newcomer, {"body": "¡Hola! ¿Podemos hablar?"}, status=201)
        thread = get(system, f"{path}/messages", host)
        assert [m["sender_side"] for m in thread] == ["seeker"] and VOISIN not in str(thread)

        post(system, f"{path}/interest", newcomer, status=200)
        assert ASSO not in str(get(system, path, newcomer))
        post(system, f"{path}/interest", host, status=200)
        assert get(system, path, newcomer)["contact"][0]["contact_email"] == ASSO
        assert get(system, f"{path}/contact", host)[0]["contact_email"] == VOISIN

        wanted = {"housing.request.published", "housing.offer.published", "housing.match.accepted"}
        tap.wait_for(lambda e: e["type"] == "housing.match.accepted" and e["data"]["offer_id"] == offer["id"])
        seen = [e for e in tap.events() if e["subject"] in (request["id"], offer["id"])
                or e["data"].get("offer_id") == offer["id"]]
        assert wanted <= {e["type"] for e in seen}
        for event in tap.events():
            assert "@" not in str(event["data"]) and "Hola" not in str(event) and "Calme" not in str(event)
    finally:
        tap.close()


def test_three_newcomers_are_proposed_a_group_that_forms_when_all_three_agree(system):
    tap = Tap(system.amqp_url, ["housing.group.#"])
    try:
        people = [new_account(system, f"coloc{n}") for n in range(3)]
        requests_ = [post(system, "/requests", headers, request_body(
            email, languages=["uk", "en"], areas=["fives"], max_roommates=2, kind_wanted="whole_flat",
            arrival_date=arrival(40 + n)), status=201).json() for n, (email, headers) in enumerate(people)]
        post(system, "/groups/proposals", system.auth(VEILLEUR), status=201)
        groups = [get(system, f"/requests/{r['id']}/group", headers) for r, (_e, headers) in zip(requests_, people)]
        assert len({g["id"] for g in groups}) == 1
        group = groups[0]
        assert sorted(m["request"]["id"] for m in group["members"]) == sorted(r["id"] for r in requests_)
        assert any(r["code"] == "common_language" for r in group["reasons"])
        for _email, headers in people[:2]:
            assert post(system, f"/groups/{group['id']}/agree", headers, status=200).json()["status"] == "proposed"
        formed = post(system, f"/groups/{group['id']}/agree", people[2][1], status=200).json()
        assert formed["status"] == "formed"
        events = tap.wait_for(lambda e: e["type"] == "housing.group.formed" and e["subject"] == group["id"])
        assert events and sorted(events[0]["data"]["request_ids"]) == sorted(r["id"] for r in requests_)
        assert "@" not in str(events[0])
    finally:
        tap.close()


def test_erasing_an_account_removes_its_requests_offers_and_messages(system):
    email, headers = new_account(system, "partante")
    request = post(system, "/requests", headers, request_body(email, languages=["it"]), status=201).json()
    own_offer = post(system, "/offers", headers, offer_body(email), status=201).json()
    host_offer = post(system, "/offers", system.auth(ASSO), offer_body(ASSO, languages=["it"]), status=201).json()
    publish(system, host_offer["id"])
    path = f"/matches/{request['id']}/{host_offer['id']}"
    post(system, f"{path}/messages", headers, {"body": "Ciao!"}, status=201)
    assert len(get(system, f"{path}/messages", system.auth(ASSO))) == 1
    deleted = requests.delete(system.url("/api/accounts/me"), headers=headers, timeout=10)
    assert deleted.status_code == 204
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        gone = requests.get(system.url(f"/api/housing{path}/messages"), headers=system.auth(ASSO), timeout=10)
        if gone.status_code == 404:
            break
        time.sleep(0.3)
    assert gone.status_code == 404, gone.text
    host_side = get(system, f"/offers/{host_offer['id']}/matches", system.auth(ASSO))
    assert request["id"] not in [m["seeker_id"] for m in host_side]
    get(system, f"/offers/{own_offer['id']}", system.auth(VEILLEUR), status=404)
