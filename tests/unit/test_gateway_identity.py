"""Accounts, tokens, API keys and sites in the gateway, on SQLite."""
import json

import pytest

import gateway
from gateway import service
from shared.bus.tables import outbox
from tests.conftest import app_for


@pytest.fixture
def app(sqlite_database):
    db = sqlite_database("gateway")
    with db.transaction() as session:
        service.register_account(session, "admin@example.test", "admin password 1", "Admin", roles=["admin"])
        service.register_account(session, "sam@example.test", "sam password 12", "Sam")
    app = app_for(gateway.create_app, "gateway", db)
    app.db = db
    return app


def token(client, email, password):
    response = client.post("/api/auth/token", json={"email": email, "password": password})
    assert response.status_code == 200, response.json
    return {"Authorization": f"Bearer {response.json['access_token']}"}


def test_sign_up_then_sign_in_and_read_my_account(app):
    client = app.test_client()
    created = client.post("/api/accounts", json={"email": "New@Example.test", "password": "a long passphrase",
                                                 "display_name": "Nouvelle", "language": "en"})
    assert created.status_code == 201
    assert created.json["email"] == "new@example.test" and created.json["roles"] == ["neighbour"]
    assert "password" not in created.json and "password_hash" not in created.json
    me = client.get("/api/accounts/me", headers=token(client, "new@example.test", "a long passphrase"))
    assert me.json["language"] == "en"


@pytest.mark.parametrize("password", ["short", "aaaaaaaaaaaaaaa", "new@example.test"])
def test_weak_passwords_are_refused_with_the_rule(app, password):
    response = app.test_client().post("/api/accounts", json={
        "email": "new@example.test", "password": password, "display_name": "N"})
    assert response.status_code == 422 and "password" in response.json["errors"]


def test_wrong_password_and_unknown_account_look_the_same(app):
    client = app.test_client()
    wrong = client.post("/api/auth/token", json={"email": "sam@example.test", "password": "not the one!"})
    unknown = client.post("/api/auth/token", json={"email": "nobody@example.test", "password": "not the one!"})
    assert wrong.status_code == unknown.status_code == 401
    assert wrong.json["detail"] == unknown.json["detail"]


def test_duplicate_email_is_a_409(app):
    response = app.test_client().post("/api/accounts", json={
        "email": "SAM@example.test", "password": "another passphrase", "display_name": "Sam bis"})
    assert response.status_code == 409 and "email" in response.json["errors"]


def test_a_password_change_ends_older_sessions(app):
    client = app.test_client()
    old = token(client, "sam@example.test", "sam password 12")
    import time
    time.sleep(1.1)  # tokens carry whole seconds
    changed = client.patch("/api/accounts/me", headers=old,
                           json={"password": "a new long passphrase", "current_password": "sam password 12"})
    assert changed.status_code == 200
    assert client.get("/api/accounts/me", headers=old).status_code == 401
    assert client.get("/api/accounts/me", headers=token(client, "sam@example.test", "a new long passphrase")
                      ).status_code == 200


def test_api_keys_are_stored_hashed_shown_once_and_revocable(app):
    client = app.test_client()
    admin = token(client, "admin@example.test", "admin password 1")
    created = client.post("/api/api-keys", json={"name": "coworking app"}, headers=admin)
    assert created.status_code == 201
    key = created.json["key"]
    with app.db.sessions() as session:
        stored = service.list_api_keys(session)[0]
    assert key not in (stored.secret_hash, stored.prefix) and key.split("_", 2)[2] not in stored.secret_hash
    assert "key" not in client.get("/api/api-keys", headers=admin).json[0]
    program = {"Authorization": f"Bearer {key}"}
    assert client.get("/api/organisations", headers=program).status_code == 200
    assert client.delete(f"/api/api-keys/{created.json['id']}", headers=admin).json["revoked_at"]
    assert client.get("/api/organisations", headers=program).status_code == 401


def test_only_admins_manage_keys_sites_and_roles(app):
    client = app.test_client()
    sam = token(client, "sam@example.test", "sam password 12")
    assert client.post("/api/api-keys", json={"name": "x"}, headers=sam).status_code == 403
    site = {"slug": "x", "name": "X", "address": "Lille"}
    assert client.post("/api/sites", json=site, headers=sam).status_code == 403
    assert client.get("/api/accounts", headers=sam).status_code == 403
    assert client.post("/api/api-keys", json={"name": "x"}).status_code == 401


def test_sites_publish_created_and_updated_with_a_growing_version(app):
    client = app.test_client()
    admin = token(client, "admin@example.test", "admin password 1")
    created = client.post("/api/sites", headers=admin, json={
        "slug": "co-factory", "name": "Co-factory", "address": "Lille",
        "opening_hours": {"mon": [{"opens": "09:00", "closes": "18:00"}]}})
    assert created.status_code == 201
    updated = client.patch("/api/sites/co-factory", headers=admin, json={"name": "Co-Factory"})
    assert updated.json["version"] == 2
    with app.db.sessions() as session:
        bodies = [json.loads(row.body) for row in session.execute(outbox.select().order_by(outbox.c.created_at))]
    assert [b["type"] for b in bodies] == ["platform.site.created", "platform.site.updated"]
    assert [b["data"]["version"] for b in bodies] == [1, 2]
    assert client.get("/api/sites").json[0]["slug"] == "co-factory"


@pytest.mark.parametrize("hours, message", [
    ({"mon": [{"opens": "19:00", "closes": "09:00"}]}, "must come before"),
    ({"mon": [{"opens": "25:00", "closes": "26:00"}]}, "times are HH:MM"),
    ({"mon": [{"opens": "09:00", "closes": "12:00"}, {"opens": "11:00", "closes": "14:00"}]}, "overlap"),
])
def test_opening_hours_are_checked(app, hours, message):
    client = app.test_client()
    admin = token(client, "admin@example.test", "admin password 1")
    response = client.post("/api/sites", headers=admin, json={
        "slug": "s", "name": "S", "address": "Lille", "opening_hours": hours})
    assert response.status_code == 422
    assert message in " ".join(response.json["errors"]["opening_hours"])


def test_security_headers_are_on_every_gateway_response(app):
    response = app.test_client().get("/api/sites")
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["X-Frame-Options"] == "DENY"
    assert "default-src 'self'" in response.headers["Content-Security-Policy"]


def test_unknown_service_is_a_404_problem(app):
    response = app.test_client().get("/api/nothing/here")
    assert response.status_code == 404 and response.content_type == "application/problem+json"


def test_a_service_that_is_down_gives_a_quick_503_problem(app, monkeypatch):
    monkeypatch.setenv("BOOKING_URL", "http://127.0.0.1:9")
    response = app.test_client().get("/api/booking/rooms")
    assert response.status_code == 503
    assert response.json["service"] == "booking" and response.content_type == "application/problem+json"


def test_sign_in_is_rate_limited_per_account_whatever_the_address(app, monkeypatch):
    monkeypatch.setenv("LOGIN_RATE_LIMIT_ACCOUNT", "3 per minute")
    client = app.test_client()
    statuses = [client.post("/api/auth/token", json={"email": "sam@example.test", "password": "guess number x"},
                            environ_base={"REMOTE_ADDR": f"10.9.0.{i}"}).status_code for i in range(5)]
    assert statuses == [401, 401, 401, 429, 429]
    limited = client.post("/api/auth/token", json={"email": "sam@example.test", "password": "sam password 12"},
                          environ_base={"REMOTE_ADDR": "10.9.0.99"})
    assert limited.status_code == 429 and limited.content_type == "application/problem+json"


def test_sign_in_is_rate_limited_per_address(app, monkeypatch):
    monkeypatch.setenv("LOGIN_RATE_LIMIT_ADDRESS", "2 per minute")
    client = app.test_client()
    statuses = [client.post("/api/auth/token", json={"email": f"u{i}@example.test", "password": "whatever 123"},
                            environ_base={"REMOTE_ADDR": "10.8.0.1"}).status_code for i in range(3)]
    assert statuses == [401, 401, 429]
    other = client.post("/api/auth/token", json={"email": "x@example.test", "password": "whatever 123"},
                        environ_base={"REMOTE_ADDR": "10.8.0.2"})
    assert other.status_code == 401


def test_ids_with_reserved_characters_are_forwarded_as_data(app, monkeypatch):
    import threading

    from werkzeug.serving import make_server

    from services.booking import create_app as create_booking
    from shared.db import Database
    from shared.migrations import upgrade

    db_path = app.db.url.replace("gateway", "booking_for_proxy")
    upgrade("booking", db_path)
    booking = app_for(create_booking, "booking", Database(db_path))
    server = make_server("127.0.0.1", 0, booking, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    monkeypatch.setenv("BOOKING_URL", f"http://127.0.0.1:{server.server_port}")
    try:
        for raw in ("a%25b", "%F1%B7%9F%83%C2%99f%25", "x%3Fy", "a%23b"):
            response = app.test_client().get(f"/api/booking/rooms/{raw}")
            assert response.status_code == 404, raw
            assert response.json["title"] == "Room not found"
    finally:
        server.shutdown()


def test_the_session_cookie_is_https_only_when_asked(sqlite_database, monkeypatch):
    db = sqlite_database("gateway")
    assert app_for(gateway.create_app, "gateway", db).config["SESSION_COOKIE_SECURE"] is False
    monkeypatch.setenv("WEB_SECURE_COOKIES", "true")
    assert app_for(gateway.create_app, "gateway", db).config["SESSION_COOKIE_SECURE"] is True
