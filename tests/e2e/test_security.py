"""From outside, on the running platform: keys from the source are refused; sign-in limits hold exactly."""
from __future__ import annotations

import http.client
import json
import subprocess
import sys
import time
import uuid

import jwt
import pytest
import requests
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from gateway import service as gateway_service
from infra.demo_data import demo_id
from shared.config import ROOT
from shared.keys import identity_private_key
from tests.support.system import APP_FACTORIES, free_port

# Forging tokens with the short keys of old on purpose.
pytestmark = pytest.mark.filterwarnings("ignore::jwt.warnings.InsecureKeyLengthWarning")
# Every key the repository ever held: the dev constants of shared/config.py and gateway/web, compose's defaults.
OLD_DEV_KEY = "veilleuse-dev-only-signing-key-change-me-in-production"
OLD_TOKEN_KEYS = (OLD_DEV_KEY + "-tokens", "change-me-token-signing-key")
OLD_IDENTITY_KEYS = (OLD_DEV_KEY, "change-me-identity-signing-key")
ADMIN_ID = demo_id("account", "admin@coroutine.test")
PROBLEM = "application/problem+json"


class Forged:
    """The admin's id and roles, with a valid-looking token or identity: only the signature is wrong."""

    @staticmethod
    def access_token(key: str) -> str:
        now = int(time.time())
        return jwt.encode({"sub": ADMIN_ID, "iat": now, "exp": now + 3600, "iss": gateway_service.TOKEN_ISSUER,
                           "typ": "access", "jti": uuid.uuid4().hex}, key, algorithm="HS256")

    @staticmethod
    def identity(key, algorithm: str) -> str:
        now = int(time.time())
        return jwt.encode({"sub": ADMIN_ID, "kind": "account", "roles": ["admin", "veilleur"],
                           "aud": "veilleuse-services", "iss": "veilleuse-gateway", "iat": now, "exp": now + 60},
                          key, algorithm=algorithm)


def test_an_access_token_signed_with_a_key_of_the_repository_cannot_read_the_accounts(system):
    for key in OLD_TOKEN_KEYS:
        response = requests.get(system.url("/api/accounts"), timeout=10,
                                headers={"Authorization": f"Bearer {Forged.access_token(key)}"})
        assert response.status_code == 401, key
        assert response.headers["Content-Type"].startswith(PROBLEM)
    admin = requests.get(system.url("/api/accounts"), headers=system.auth("admin@coroutine.test"), timeout=10)
    assert admin.status_code == 200  # the genuine admin still reads them: the refusal is the key's


def test_a_service_refuses_an_identity_the_gateway_did_not_sign(system):
    room = {"site": "la-coroutine", "name": f"Salle {uuid.uuid4().hex[:6]}", "capacity": 4}
    booking = f"http://127.0.0.1:{system.ports['booking']}/rooms"
    forged = {f"HS256 with {key!r}": Forged.identity(key, "HS256") for key in OLD_IDENTITY_KEYS}
    forged["EdDSA from another key pair"] = Forged.identity(Ed25519PrivateKey.generate(), "EdDSA")
    for label, token in forged.items():
        response = requests.post(booking, json=room, headers={"X-Veilleuse-Identity": token}, timeout=10)
        assert response.status_code == 401, label
    genuine = Forged.identity(identity_private_key(), "EdDSA")
    assert requests.post(booking, json=room, headers={"X-Veilleuse-Identity": genuine},
                         timeout=10).status_code == 201


def test_an_anonymous_site_with_an_unexpected_field_is_a_401(system):
    response = requests.post(system.url("/api/sites"), json={"unexpected": 1}, timeout=10)
    assert response.status_code == 401 and response.headers["Content-Type"].startswith(PROBLEM)


def test_a_neighbour_creating_a_room_is_a_403_whether_the_body_is_well_formed_or_not(system):
    neighbour = {**system.auth("voisin@coroutine.test"), "Content-Type": "application/json"}
    for body in ('{"site": "la-coroutine", "name": "Salle", "capacity": 4}', '{"unexpected": 1}', '{"name": '):
        response = requests.post(system.url("/api/booking/rooms"), data=body, headers=neighbour, timeout=10)
        assert response.status_code == 403, (body, response.text)


def test_a_new_private_calendar_address_is_not_stored_on_its_way_through_the_gateway(system):
    member = system.auth("asso@coroutine.test")
    organisation = requests.get(system.url("/api/accounts/me"), headers=member, timeout=10).json()["organisation"]
    made = requests.post(system.url(f"/api/booking/calendars/organisations/{organisation['id']}/token"),
                         headers=member, timeout=10)
    assert made.status_code == 201 and made.headers["Cache-Control"] == "no-store"


# -- sign-in limits, with the documented numbers -------------------------------------------------------------
@pytest.fixture(scope="module")
def two_gateways(system, tmp_path_factory):
    """Two replicas of the gateway, of three gunicorn workers each, with the default limits of the README.

    Their counters are in the Redis of the test run, under a prefix of their own."""
    logs = tmp_path_factory.mktemp("limits")
    env = {key: value for key, value in system.env.items() if not key.startswith("LOGIN_RATE_LIMIT_")}
    env.update(WEB_WORKERS="3", WEB_THREADS="2", RATELIMIT_KEY_PREFIX=f"veilleuse-limits-{uuid.uuid4().hex[:8]}")
    ports = [free_port(), free_port()]
    processes = [subprocess.Popen([sys.executable, "-m", "gunicorn", "--config", "infra/gunicorn.conf.py",
                                   "--bind", f"127.0.0.1:{port}", APP_FACTORIES["gateway"]], cwd=ROOT, env=env,
                                  stdout=open(logs / f"gateway-{port}.log", "ab"), stderr=subprocess.STDOUT)
                 for port in ports]
    try:
        for port, process in zip(ports, processes):
            deadline = time.monotonic() + 60
            while True:
                assert process.poll() is None, f"a gateway replica exited; see {logs}"
                try:
                    if requests.get(f"http://127.0.0.1:{port}/readyz", timeout=2).status_code == 200:
                        break
                except requests.RequestException:
                    pass
                assert time.monotonic() < deadline, "a gateway replica did not start"
                time.sleep(0.2)
        yield ports
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            process.wait(15)


def sign_in(port: int, source: str, email: str, password: str) -> http.client.HTTPResponse:
    """One attempt on a new connection (so that any worker of the replica may take it), from `source`."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30, source_address=(source, 0))
    try:
        connection.request("POST", "/api/auth/token", body=json.dumps({"email": email, "password": password}),
                           headers={"Content-Type": "application/json"})
        response = connection.getresponse()
        response.body = response.read()
        return response
    finally:
        connection.close()


def test_the_tenth_attempt_on_an_account_is_checked_and_the_eleventh_refused_on_any_replica(two_gateways):
    """LOGIN_RATE_LIMIT_ACCOUNT, by default 10 per minute, from ten addresses across two replicas."""
    email = "voisin@coroutine.test"
    statuses = []
    for attempt in range(1, 12):
        port = two_gateways[attempt % 2]
        statuses.append(sign_in(port, f"127.0.0.{10 + attempt}", email, "not the password").status)
    assert statuses == [401] * 10 + [429], statuses
    for port in two_gateways:  # the right password changes nothing, on either replica
        refused = sign_in(port, "127.0.0.30", email, "veilleuse-demo")
        assert refused.status == 429 and refused.getheader("Content-Type").startswith(PROBLEM)
        assert int(refused.getheader("Retry-After")) > 0


def test_the_thirtieth_attempt_from_an_address_is_checked_and_the_thirty_first_refused(two_gateways):
    """LOGIN_RATE_LIMIT_ADDRESS, by default 30 per minute, on 31 different accounts across two replicas."""
    statuses = [sign_in(two_gateways[attempt % 2], "127.0.0.50", f"personne{attempt}@example.test",
                        "not the password").status for attempt in range(1, 32)]
    assert statuses == [401] * 30 + [429], statuses
    assert sign_in(two_gateways[0], "127.0.0.51", "personne1@example.test", "not the password").status == 401
