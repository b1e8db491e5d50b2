"""End to end through the gateway: health, identity, and the room catalogue on the bus."""
import requests

from shared.bus.tail import Tap

PROBLEM = "application/problem+json"


def test_healthz_reports_every_service_and_the_broker_ok(system):
    report = requests.get(system.url("/healthz"), timeout=10).json()
    assert report["status"] == "ok"
    assert report["broker"] == "ok"
    assert set(report["services"]) == {"gateway", "booking", "relay", "grocery", "housing"}
    assert all(s["status"] == "ok" for s in report["services"].values())


def test_veilleur_creates_a_room_and_the_bus_carries_it_with_the_request_id(system):
    tap = Tap(system.amqp_url, ["booking.#"])
    try:
        sites = requests.get(system.url("/api/sites"), timeout=10).json()
        coroutine = next(site for site in sites if site["slug"] == "la-coroutine")
        response = requests.post(
            system.url("/api/booking/rooms"), headers=system.auth("veilleur@coroutine.test"),
            json={"site": coroutine["id"], "name": "Atelier couture", "capacity": 6,
                  "equipment": ["machines à coudre"]}, timeout=10)
        assert response.status_code == 201, response.text
        room = response.json()
        request_id = response.headers["X-Request-Id"]
        events = tap.wait_for(lambda e: e["type"] == "booking.room.created" and e["subject"] == room["id"])
        assert len(events) == 1
        event = events[0]
        assert event["correlationid"] == request_id
        assert event["specversion"] == "1.0" and event["source"] == "/veilleuse/booking"
        assert event["data"]["site_id"] == coroutine["id"] and event["data"]["capacity"] == 6
        listed = requests.get(system.url("/api/booking/rooms"), params={"site": "la-coroutine"}, timeout=10).json()
        assert room["id"] in [r["id"] for r in listed]
    finally:
        tap.close()


def test_creating_a_room_needs_a_token_and_the_veilleur_role(system):
    body = {"site": "la-coroutine", "name": "Salle interdite", "capacity": 4}
    anonymous = requests.post(system.url("/api/booking/rooms"), json=body, timeout=10)
    assert anonymous.status_code == 401
    assert anonymous.headers["Content-Type"].startswith(PROBLEM)
    assert anonymous.json()["status"] == 401
    neighbour = requests.post(system.url("/api/booking/rooms"), json=body,
                              headers=system.auth("voisin@coroutine.test"), timeout=10)
    assert neighbour.status_code == 403
    assert neighbour.headers["Content-Type"].startswith(PROBLEM)
    assert neighbour.json()["request_id"] == neighbour.headers["X-Request-Id"]


def test_a_bad_token_is_a_401_problem_and_not_forwarded_anonymously(system):
    response = requests.get(system.url("/api/booking/rooms"), headers={"Authorization": "Bearer nonsense"},
                            timeout=10)
    assert response.status_code == 401
    assert response.headers["Content-Type"].startswith(PROBLEM)


def test_bad_input_through_the_gateway_is_a_problem_naming_the_field(system):
    response = requests.post(system.url("/api/booking/rooms"), headers=system.auth("veilleur@coroutine.test"),
                             json={"site": "la-coroutine", "name": "x" * 500, "capacity": "ten", "color": 1},
                             timeout=10)
    assert response.status_code == 422
    errors = response.json()["errors"]
    assert {"name", "capacity", "color"} <= set(errors)


def test_merged_openapi_lists_the_gateway_and_every_service(system):
    spec = requests.get(system.url("/api/openapi.json"), timeout=10).json()
    assert "/api/auth/token" in spec["paths"]
    assert "/api/booking/rooms" in spec["paths"]
    assert "/api/booking/rooms/{room_id}" in spec["paths"]
    assert "x-unavailable-services" not in spec["info"]
    docs = requests.get(system.url("/api/docs"), timeout=10)
    assert docs.status_code == 200 and "/api/docs/swagger-ui-bundle.js" in docs.text
    assert requests.get(system.url("/api/docs/swagger-ui-bundle.js"), timeout=10).status_code == 200


def test_erasing_ones_account_publishes_identity_account_erased_without_personal_data(system):
    tap = Tap(system.amqp_url, ["identity.#"])
    try:
        created = requests.post(system.url("/api/accounts"), json={
            "email": "partant@example.test", "password": "un mot de passe long", "display_name": "Partant"},
            timeout=10)
        assert created.status_code == 201, created.text
        headers = {"Authorization": f"Bearer {system.token('partant@example.test', 'un mot de passe long')}"}
        assert requests.delete(system.url("/api/accounts/me"), headers=headers, timeout=10).status_code == 204
        events = tap.wait_for(lambda e: e["type"] == "identity.account.erased")
        assert events and events[0]["data"] == {"account_id": created.json()["id"]}
        assert "partant" not in str(events[0]).lower()
        again = requests.get(system.url("/api/accounts/me"), headers=headers, timeout=10)
        assert again.status_code == 401
    finally:
        tap.close()
