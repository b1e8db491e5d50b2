"""Secure by default: keys never from the source, who may call before what they send, no cache of secrets."""
from __future__ import annotations

import base64
import hashlib
import hmac
import inspect
import json
import logging
import os
import stat
import subprocess
import sys
import time
from pathlib import Path

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

import gateway
from gateway import service as gateway_service
from services.booking import create_app as create_booking
from services.booking.models import Site
from services.grocery import create_app as create_grocery
from services.housing import create_app as create_housing
from services.relay import create_app as create_relay
from shared import keys
from shared.config import ROOT, Settings
from shared.identity import ACCESS_CHECK, HEADER, Identity, load_identity, sign_identity
from tests.conftest import app_for, identity_header
from tests.unit.web_support import CSRF

# Forging tokens with the short keys of old on purpose.
pytestmark = pytest.mark.filterwarnings("ignore::jwt.warnings.InsecureKeyLengthWarning")
# The keys written in the source until they were removed: nothing may trust them again.
OLD_DEV_KEY = "veilleuse-dev-only-signing-key-change-me-in-production"
OLD_TOKEN_KEYS = (OLD_DEV_KEY + "-tokens", "change-me-token-signing-key")
NEIGHBOUR = identity_header("n-1", roles=("neighbour",))
VEILLEUR = identity_header("v-1", roles=("veilleur",))
PROGRAM = identity_header("apikey:1", roles=("veilleur",), kind="program")
MALFORMED = dict(data='{"name": ', content_type="application/json")


def without_keys(monkeypatch) -> None:
    for name in keys.KEY_FILES:
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(f"{name}_FILE", raising=False)


# -- keys --------------------------------------------------------------------------------------------------
def test_a_gateway_without_keys_refuses_to_start_and_says_what_to_set(sqlite_database, monkeypatch):
    without_keys(monkeypatch)
    with pytest.raises(keys.MissingKey) as refused:
        app_for(gateway.create_app, "gateway", sqlite_database("gateway"))
    message = str(refused.value)
    assert "IDENTITY_PRIVATE_KEY" in message and "IDENTITY_PRIVATE_KEY_FILE" in message
    assert "VEILLEUSE_ENV=development" in message and "make run" in message


@pytest.mark.parametrize("create_app,component", [(create_booking, "booking"), (create_relay, "relay"),
                                                  (create_grocery, "grocery"), (create_housing, "housing")])
def test_a_service_without_the_public_key_refuses_to_start(sqlite_database, monkeypatch, create_app, component):
    without_keys(monkeypatch)
    with pytest.raises(keys.MissingKey, match="IDENTITY_PUBLIC_KEY is not set"):
        app_for(create_app, component, sqlite_database(component))


@pytest.mark.parametrize("missing", ["TOKEN_SIGNING_KEY", "WEB_SECRET_KEY"])
def test_the_gateway_refuses_to_start_without_each_of_its_secrets(sqlite_database, monkeypatch, missing):
    monkeypatch.delenv(f"{missing}_FILE")
    with pytest.raises(keys.MissingKey, match=f"{missing} is not set"):
        app_for(gateway.create_app, "gateway", sqlite_database("gateway"))


def test_the_gateway_refuses_to_start_without_a_shared_storage_for_sign_in_limits(sqlite_database, monkeypatch):
    monkeypatch.delenv("RATELIMIT_STORAGE_URI")
    with pytest.raises(keys.MissingKey, match="RATELIMIT_STORAGE_URI is not set"):
        app_for(gateway.create_app, "gateway", sqlite_database("gateway"))


def test_sign_in_waits_when_its_counter_cannot_be_reached(sqlite_database):
    db = sqlite_database("gateway")
    settings = Settings.from_env("gateway", database_url=db.url, ratelimit_storage_uri="redis://127.0.0.1:1/0")
    client = gateway.create_app({"SETTINGS": settings, "DATABASE": db, "TESTING": True}).test_client()
    response = client.post("/api/auth/token", json={"email": "sam@example.test", "password": "whatever 123"})
    assert response.status_code == 503 and response.content_type == "application/problem+json"
    assert response.headers["Retry-After"] == "5"
    ready = client.get("/readyz").json
    assert ready["status"] == "degraded" and ready["checks"]["sign_in_limits"] == "down"


def test_a_short_token_key_is_refused(sqlite_database, monkeypatch):
    monkeypatch.delenv("TOKEN_SIGNING_KEY_FILE")
    monkeypatch.setenv("TOKEN_SIGNING_KEY", "short")
    with pytest.raises(keys.MissingKey, match="too short"):
        app_for(gateway.create_app, "gateway", sqlite_database("gateway"))


def test_a_key_given_twice_is_refused(monkeypatch):
    monkeypatch.setenv("TOKEN_SIGNING_KEY", "x" * 40)
    with pytest.raises(keys.MissingKey, match="Both TOKEN_SIGNING_KEY and TOKEN_SIGNING_KEY_FILE"):
        keys.token_signing_key()


def test_an_unknown_environment_is_refused(monkeypatch):
    monkeypatch.setenv("VEILLEUSE_ENV", "staging")
    with pytest.raises(keys.MissingKey, match="VEILLEUSE_ENV='staging' is unknown"):
        keys.development_mode()


def test_development_mode_uses_the_checkout_keys_made_once_and_says_so(tmp_path, monkeypatch, caplog,
                                                                       sqlite_database):
    without_keys(monkeypatch)
    monkeypatch.delenv("RATELIMIT_STORAGE_URI")
    monkeypatch.setenv("VEILLEUSE_ENV", "development")
    monkeypatch.setenv("VAR_DIR", str(tmp_path))
    monkeypatch.setattr(keys, "_announced", set())
    with caplog.at_level(logging.WARNING):
        app = app_for(gateway.create_app, "gateway", sqlite_database("gateway"))
    made = tmp_path / "keys" / "identity-private.pem"
    assert made.exists() and stat.S_IMODE(made.stat().st_mode) == 0o600
    first = made.read_bytes()
    signed = sign_identity(Identity("x"), app.extensions["veilleuse.settings"].identity_private_key)
    service = app_for(create_booking, "booking", sqlite_database("booking"))
    with service.test_request_context(headers={HEADER: signed}):
        assert load_identity().subject == "x"  # the service read the public key of the same pair
    app_for(gateway.create_app, "gateway", sqlite_database("gateway"))
    assert made.read_bytes() == first  # made once, then read
    logged = " ".join(record.getMessage() for record in caplog.records)
    assert "development mode" in logged and str(made) in logged
    assert "sign-in attempts are counted in memory, per process" in logged
    assert app.config["RATELIMIT_STORAGE_URI"] == "memory://"


def run_keys_command(*args: str) -> str:
    done = subprocess.run([sys.executable, "-m", "shared.keys", *args], cwd=ROOT, capture_output=True, text=True,
                          timeout=60, check=True)
    return done.stdout


def test_make_keys_makes_random_private_keys_once_per_directory(tmp_path):
    first = run_keys_command(str(tmp_path / "a"))
    contents = {name: (tmp_path / "a" / f).read_bytes() for name, f in keys.KEY_FILES.items()}
    assert run_keys_command(str(tmp_path / "a")) == first
    assert {name: (tmp_path / "a" / f).read_bytes() for name, f in keys.KEY_FILES.items()} == contents
    for name, file_name in keys.KEY_FILES.items():
        path = tmp_path / "a" / file_name
        assert f"{name}_FILE={path}" in first.splitlines()
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE((tmp_path / "a").stat().st_mode) == 0o700
    run_keys_command(str(tmp_path / "b"))
    for file_name in keys.KEY_FILES.values():
        assert (tmp_path / "b" / file_name).read_bytes() != (tmp_path / "a" / file_name).read_bytes()


def test_the_compose_lines_hold_the_same_keys_on_one_line_each(tmp_path, monkeypatch):
    lines = dict(line.split("=", 1) for line in run_keys_command("--compose", str(tmp_path)).splitlines())
    assert set(lines) == set(keys.KEY_FILES)
    without_keys(monkeypatch)
    for name, value in lines.items():
        monkeypatch.setenv(name, value)
    token = sign_identity(Identity("x"), keys.identity_private_key())
    assert jwt.decode(token, keys.identity_public_key(), algorithms=["EdDSA"], audience="veilleuse-services")
    assert keys.token_signing_key() == (tmp_path / "token-signing.key").read_text().strip()


@pytest.mark.parametrize("app_factory", ["gateway:create_app()", "services.booking:create_app()"])
def test_a_process_without_keys_does_not_start(tmp_path, app_factory):
    """Under gunicorn, as the Procfile and compose start them: it exits at once, saying what is missing."""
    env = {key: value for key, value in os.environ.items()
           if not key.startswith(tuple(keys.KEY_FILES)) and key != "VEILLEUSE_ENV"}
    env.update(VAR_DIR=str(tmp_path), WEB_WORKERS="2")
    started = time.monotonic()
    done = subprocess.run([sys.executable, "-m", "gunicorn", "--config", "infra/gunicorn.conf.py", "--bind",
                           "127.0.0.1:0", app_factory], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=60)
    assert done.returncode != 0
    assert "is not set" in done.stderr and "VEILLEUSE_ENV=development" in done.stderr
    assert time.monotonic() - started < 30
    assert not (tmp_path / "keys").exists(), "no key may be made outside development mode"


def test_no_key_is_written_in_the_source():
    """The development keys that `shared/config.py` and `gateway/web` held are gone from every code path."""
    for path in [*ROOT.glob("shared/**/*.py"), *ROOT.glob("gateway/**/*.py"), *ROOT.glob("services/**/*.py"),
                 *ROOT.glob("infra/**/*.py"), ROOT / "docker-compose.yml"]:
        text = path.read_text()
        for word in ("dev-only", "change-me", "DEV_SIGNING_KEY", "DEV_SECRET_KEY"):
            assert word not in text, f"{path.relative_to(ROOT)} holds {word!r}"


# -- identities --------------------------------------------------------------------------------------------
@pytest.fixture
def booking(sqlite_database):
    db = sqlite_database("booking")
    with db.transaction() as session:
        session.add(Site(id="site-1", slug="la-coroutine", name="La Coroutine", timezone="Europe/Paris",
                         opening_hours={}, version=1))
    return app_for(create_booking, "booking", db).test_client()


def admin_claims() -> dict:
    now = int(time.time())
    return {"sub": "a-1", "kind": "account", "roles": ["admin", "veilleur"], "aud": "veilleuse-services",
            "iss": "veilleuse-gateway", "iat": now, "exp": now + 60}


ROOM = {"site": "la-coroutine", "name": "Salle", "capacity": 4}


def hs256_by_hand(claims: dict, secret: bytes) -> str:
    """What PyJWT refuses to make: an HMAC token keyed with the public key (the algorithm-confusion attack)."""
    def part(data: bytes) -> str:
        return base64.urlsafe_b64encode(data).rstrip(b"=").decode()

    head = part(json.dumps({"alg": "HS256", "typ": "JWT"}).encode()) + "." + part(json.dumps(claims).encode())
    return head + "." + part(hmac.new(secret, head.encode(), hashlib.sha256).digest())


def test_a_service_refuses_an_identity_signed_with_hmac_or_by_another_key_pair(booking):
    forged = {
        "HS256 with the old repository key": jwt.encode(admin_claims(), OLD_DEV_KEY, algorithm="HS256"),
        "EdDSA with another key pair": jwt.encode(admin_claims(), Ed25519PrivateKey.generate(), algorithm="EdDSA"),
        "HS256 with the public key as secret": hs256_by_hand(
            admin_claims(), Path(os.environ["IDENTITY_PUBLIC_KEY_FILE"]).read_bytes()),
    }
    for label, token in forged.items():
        response = booking.post("/rooms", json=ROOM, headers={HEADER: token})
        assert response.status_code == 401, label
        assert response.content_type == "application/problem+json"
    signed = jwt.encode(admin_claims(), keys.identity_private_key(), algorithm="EdDSA")
    assert booking.post("/rooms", json=ROOM, headers={HEADER: signed}).status_code == 201


# -- who may call, before what they send ---------------------------------------------------------------------
def test_a_neighbour_creating_a_room_is_refused_whatever_the_body(booking):
    for body in (dict(json=ROOM), dict(json={"unexpected": 1}), MALFORMED, dict(json=[1, 2])):
        response = booking.post("/rooms", headers=NEIGHBOUR, **body)
        assert response.status_code == 403, (body, response.json)
        assert response.json["title"] == "Forbidden"
        anonymous = booking.post("/rooms", **body)
        assert anonymous.status_code == 401, (body, anonymous.json)


def test_the_body_is_still_checked_for_those_who_may_call(booking):
    invalid = booking.post("/rooms", headers=VEILLEUR, json={"unexpected": 1})
    assert invalid.status_code == 422 and "unexpected" in invalid.json["errors"]
    assert booking.post("/rooms", headers=VEILLEUR, **MALFORMED).status_code == 400


def test_a_program_booking_is_refused_before_its_body_is_read(booking):
    response = booking.post("/reservations", headers=PROGRAM, json={"unexpected": 1})
    assert response.status_code == 403 and "API key" in response.json["detail"]


def test_a_bad_query_from_someone_without_the_role_is_a_403_not_a_422(sqlite_database):
    grocery = app_for(create_grocery, "grocery", sqlite_database("grocery")).test_client()
    assert grocery.get("/sites/la-coroutine/near-expiry?days=many", headers=NEIGHBOUR).status_code == 403
    assert grocery.get("/sites/la-coroutine/near-expiry?days=many").status_code == 401


def test_a_nul_character_from_an_anonymous_caller_is_a_401(booking):
    response = booking.post("/rooms", data='{"name": "a\\u0000b"}', content_type="application/json")
    assert response.status_code == 401
    assert booking.post("/rooms", headers=VEILLEUR, data='{"name": "a\\u0000b"}',
                        content_type="application/json").status_code == 422


@pytest.fixture
def gateway_app(sqlite_database):
    db = sqlite_database("gateway")
    with db.transaction() as session:
        gateway_service.register_account(session, "admin@example.test", "admin password 1", "Admin",
                                         roles=["admin"])
        gateway_service.register_account(session, "sam@example.test", "sam password 12", "Sam")
    return app_for(gateway.create_app, "gateway", db)


def bearer(client, email: str, password: str) -> dict:
    token = client.post("/api/auth/token", json={"email": email, "password": password}).json["access_token"]
    return {"Authorization": f"Bearer {token}"}


def test_the_gateway_checks_who_calls_before_the_body(gateway_app):
    client = gateway_app.test_client()
    sam = bearer(client, "sam@example.test", "sam password 12")
    for body in (dict(json={"unexpected": 1}), MALFORMED):
        assert client.post("/api/sites", **body).status_code == 401
        assert client.post("/api/sites", headers=sam, **body).status_code == 403
        assert client.post("/api/sites", headers={"Authorization": "Bearer nope"}, **body).status_code == 401
        assert client.patch("/api/accounts/someone", headers=sam, **body).status_code == 403
        assert client.post("/api/api-keys", headers=sam, **body).status_code == 403
        assert client.patch("/api/accounts/me", **body).status_code == 401
    admin = bearer(client, "admin@example.test", "admin password 1")
    assert client.post("/api/sites", headers=admin, json={"unexpected": 1}).status_code == 422


def test_a_token_signed_with_an_old_repository_key_is_refused(gateway_app):
    client = gateway_app.test_client()
    with gateway_app.extensions["veilleuse.db"].sessions() as session:
        admin = gateway_service.list_accounts(session)[0]
    for key in OLD_TOKEN_KEYS:
        forged = gateway_service.issue_token(admin, key, 3600)["access_token"]
        response = client.get("/api/accounts", headers={"Authorization": f"Bearer {forged}"})
        assert response.status_code == 401
    genuine = gateway_service.issue_token(admin, gateway_app.extensions["veilleuse.settings"].token_key, 3600)
    assert client.get("/api/accounts", headers={"Authorization": f"Bearer {genuine['access_token']}"}
                      ).status_code == 200


CHECKS_IN_THE_BODY = ("require_roles(", "require_person(", "auth.require_admin(", "auth.require_caller()",
                      "Viewer.of(require")


@pytest.mark.parametrize("create_app,component", [
    (gateway.create_app, "gateway"), (create_booking, "booking"), (create_relay, "relay"),
    (create_grocery, "grocery"), (create_housing, "housing")])
def test_every_role_check_of_an_api_view_is_declared_so_that_it_runs_first(sqlite_database, create_app,
                                                                          component):
    """A view that checks a role in its body checks it after flask-smorest parsed the body: use the decorators
    of shared.identity (roles_required, person_required, signed_in) or gateway.auth instead."""
    app = app_for(create_app, component, sqlite_database(component))
    late = []
    for rule in app.url_map.iter_rules():
        view = app.view_functions[rule.endpoint]
        view_class = getattr(view, "view_class", None)
        if view_class is None:
            continue
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            handler = getattr(view_class, method.lower())
            source = inspect.getsource(inspect.unwrap(handler))
            if any(check in source for check in CHECKS_IN_THE_BODY) and not hasattr(handler, ACCESS_CHECK):
                late.append(f"{method} {rule.rule}")
    assert not late, f"these views check a role inside, after reading the body: {late}"


# -- no cache keeps a secret ---------------------------------------------------------------------------------
def test_answers_with_a_token_or_a_key_are_not_stored(gateway_app):
    client = gateway_app.test_client()
    token = client.post("/api/auth/token", json={"email": "admin@example.test", "password": "admin password 1"})
    assert token.status_code == 200 and token.headers["Cache-Control"] == "no-store"
    assert token.headers["Pragma"] == "no-cache"
    admin = {"Authorization": f"Bearer {token.json['access_token']}"}
    key = client.post("/api/api-keys", headers=admin, json={"name": "coworking", "roles": []})
    assert key.status_code == 201 and key.json["key"] and key.headers["Cache-Control"] == "no-store"
    assert "no-store" not in client.get("/api/sites").headers.get("Cache-Control", "")


def test_the_sign_in_page_that_sets_the_session_cookie_is_not_stored(gateway_app):
    client = gateway_app.test_client()
    page = client.get("/signin")
    csrf = CSRF.search(page.get_data(as_text=True)).group(1)
    signed_in = client.post("/signin", data={"email": "sam@example.test", "password": "sam password 12",
                                             "csrf_token": csrf})
    assert signed_in.status_code == 302
    assert any(c.startswith("veilleuse_session=") for c in signed_in.headers.getlist("Set-Cookie"))
    assert signed_in.headers["Cache-Control"] == "no-store"


def test_a_new_private_calendar_address_is_not_stored(booking):
    member = identity_header("m-1", roles=("neighbour",), organisation_id="org-1", organisation_kind="association")
    made = booking.post("/calendars/organisations/org-1/token", headers=member)
    assert made.status_code == 201 and made.json["token"]
    assert made.headers["Cache-Control"] == "no-store"


def test_settings_hold_no_key_until_a_process_reads_its_own():
    settings = Settings.from_env("booking")
    assert settings.identity_private_key is None and settings.token_key is None and settings.web_secret_key is None
