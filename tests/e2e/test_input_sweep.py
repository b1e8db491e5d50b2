"""Whatever is thrown at any operation of the merged OpenAPI through the gateway, the answer is never a
5xx, and every error is application/problem+json: arbitrary JSON, bytes, deep nesting, huge numbers,
odd Unicode, as anonymous and as a signed-in person. Plus the gateway's own answers to bad input."""
from __future__ import annotations

import json
import re
import socket
import uuid
from urllib.parse import quote, urlsplit

import pytest
import requests
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

PROBLEM = "application/problem+json"
# Erasing one's own account would erase the sweeping account.
SKIPPED = {("DELETE", "/api/accounts/me")}
EXAMPLES = 400
PASSWORD = "sweeping passphrase 1"

ODD_TEXT = st.sampled_from(["\ud800", "AG \udfff", "\x00", "\u202e", "🏠" * 50, "é" * 3000, "", " ", "%00",
                            "../../etc", "\ufeff", "\u0301", "𝔘𝔫𝔦𝔠𝔬𝔡𝔢", "null", "١٢٣"])
HUGE = st.sampled_from([10**30, -(10**30), 2**63, 2**31, 1e308, -1e-308, 0.1, 2.5])
SCALARS = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False, allow_infinity=False),
                    st.text(max_size=40), ODD_TEXT, HUGE)
JSON_VALUES = st.recursive(SCALARS, lambda inner: st.one_of(
    st.lists(inner, max_size=4), st.dictionaries(st.one_of(st.text(max_size=12), ODD_TEXT), inner, max_size=5)),
    max_leaves=20)


def deep(levels: int) -> str:
    return '{"title":' + "[" * levels + "]" * levels + "}"


# Bodies every operation gets, each one as raw bytes with its content type.
EDGE_BODIES = [
    (deep(1000).encode(), "application/json"),
    (b'{"\\ud800": 1}', "application/json"),
    (b'{"title": "AG \\udfff", "attendees": 2.5}', "application/json"),
    (b'{"attendees": NaN, "quantity": 1e999}', "application/json"),
    (b'{"n": ' + b"9" * 5000 + b"}", "application/json"),
    (b'{"name": "a\\u0000b"}', "application/json"),
    (b"\xff\xfe\x00garbage", "application/json"),
    (b"<xml/>", "application/xml"),
    (b"[" * 10 + b"]" * 9, "application/json"),
]


def operations(system) -> list[tuple[str, str]]:
    spec = requests.get(system.url("/api/openapi.json"), timeout=10).json()
    assert "x-unavailable-services" not in spec["info"], spec["info"]
    found = [(method.upper(), path) for path, item in spec["paths"].items() for method in item
             if method in ("get", "post", "put", "patch", "delete") and (method.upper(), path) not in SKIPPED]
    assert len(found) > 60, "the merged spec lost operations"
    return found


def url_of(system, template: str, parameter: str) -> str:
    return system.url(re.sub(r"\{[^}]+\}", quote(parameter.encode("utf-8", "surrogatepass"), safe=""), template))


@pytest.fixture(scope="module")
def sweep_identities(system):
    email = f"sweep-{uuid.uuid4().hex[:8]}@example.test"
    requests.post(system.url("/api/accounts"), timeout=10, json={
        "email": email, "password": PASSWORD, "display_name": "Sweep"}).raise_for_status()
    return {"anonymous": {}, "neighbour": {"Authorization": f"Bearer {system.token(email, PASSWORD)}"}}


def check(response: requests.Response, what: str) -> None:
    assert response.status_code < 500, f"{what}: {response.status_code} {response.text[:300]}"
    if response.status_code >= 400:
        assert response.headers.get("Content-Type", "").startswith(PROBLEM), \
            f"{what}: {response.status_code} {response.headers.get('Content-Type')} {response.text[:200]}"
        body = response.json()
        assert body["status"] == response.status_code and body.get("request_id"), what


def test_edge_bodies_on_every_operation_as_anonymous_and_signed_in(system, sweep_identities):
    session = requests.Session()
    for method, template in operations(system):
        for raw, media_type in EDGE_BODIES:
            for who, headers in sweep_identities.items():
                response = session.request(method, url_of(system, template, "x"), data=raw, timeout=10,
                                           headers={**headers, "Content-Type": media_type})
                check(response, f"{who} {method} {template} {raw[:30]!r}")


def test_arbitrary_input_on_every_operation_never_gets_a_5xx(system, sweep_identities):
    session = requests.Session()
    ops = operations(system)

    @given(operation=st.sampled_from(ops), who=st.sampled_from(sorted(sweep_identities)),
           parameter=st.one_of(st.text(min_size=1, max_size=30), ODD_TEXT.filter(bool)),
           body=st.one_of(JSON_VALUES.map(lambda v: json.dumps(v).encode("utf-8", "surrogatepass")),
                          st.binary(max_size=200)),
           query=st.dictionaries(st.text(min_size=1, max_size=8), st.one_of(st.text(max_size=20), ODD_TEXT),
                                 max_size=3))
    @settings(max_examples=EXAMPLES, deadline=None, database=None, derandomize=True,
              suppress_health_check=list(HealthCheck))
    def sweep(operation, who, parameter, body, query):
        method, template = operation
        query = {key.encode("utf-8", "surrogatepass"): value.encode("utf-8", "surrogatepass")
                 for key, value in query.items()}
        response = session.request(method, url_of(system, template, parameter), params=query,
                                    data=None if method == "GET" else body, timeout=10,
                                    headers={**sweep_identities[who], "Content-Type": "application/json"})
        check(response, f"{who} {method} {template} {parameter!r} {body[:60]!r}")

    sweep()


# -- what the gateway itself answers --------------------------------------------------------------
def raw_request(system, request: bytes) -> tuple[int, dict, bytes]:
    host = urlsplit(system.base_url)
    with socket.create_connection((host.hostname, host.port), timeout=10) as sock:
        sock.sendall(request)
        data = b""
        while chunk := sock.recv(65536):
            data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    headers = dict(line.split(": ", 1) for line in lines[1:])
    return int(lines[0].split()[1]), {k.lower(): v for k, v in headers.items()}, body


def test_a_nul_character_in_a_header_is_a_problem_with_a_request_id_through_the_gateway(system):
    status, headers, body = raw_request(system, b"POST /api/booking/reservations HTTP/1.1\r\nHost: x\r\n"
                                                b"Idempotency-Key: a\x00b\r\nContent-Length: 2\r\n"
                                                b"Connection: close\r\n\r\n{}")
    assert status == 400 and headers["content-type"] == PROBLEM
    problem = json.loads(body)
    assert problem["request_id"] == headers["x-request-id"] and "Idempotency-Key" in problem["errors"]


def test_deep_json_a_lone_surrogate_and_a_big_body_are_problems_through_the_gateway(system):
    # Each path as a caller who may use it (a refused caller hears 401 or 403 before the body is read).
    callers = {"/api/booking/reservations": system.auth("voisin@coroutine.test"),
               "/api/relay/producers": system.auth("admin@coroutine.test"), "/api/auth/token": {}}
    for path, auth in callers.items():
        response = requests.post(system.url(path), data=deep(1000), timeout=10,
                                 headers={"Content-Type": "application/json", **auth})
        assert response.status_code == 400 and response.json()["errors"]["body"], path
    anonymous = requests.post(system.url("/api/booking/reservations"), data=deep(1000), timeout=10,
                              headers={"Content-Type": "application/json"})
    assert anonymous.status_code == 401 and anonymous.headers["Content-Type"] == PROBLEM
    surrogate = requests.post(system.url("/api/auth/token"), data=b'{"\\ud800": 1}', timeout=10,
                              headers={"Content-Type": "application/json"})
    assert surrogate.status_code == 422 and surrogate.headers["Content-Type"] == PROBLEM
    assert surrogate.json()["request_id"] == surrogate.headers["X-Request-Id"]
    big = requests.post(system.url("/api/booking/reservations"), data=b"x" * 1_000_000, timeout=10,
                        headers={"Content-Type": "application/json"})
    assert big.status_code == 413 and big.headers["Content-Type"] == PROBLEM


def test_the_gateway_answers_405_with_the_allow_of_the_path_and_options_lists_only_its_methods(system):
    put = requests.put(system.url("/api/booking/reservations"), json={}, timeout=10)
    assert put.status_code == 405 and put.headers["Content-Type"] == PROBLEM
    assert set(put.headers["Allow"].split(", ")) == {"GET", "HEAD", "OPTIONS", "POST"}
    options = requests.options(system.url("/api/booking/rooms/some-room/retire"), timeout=10)
    assert set(options.headers["Allow"].split(", ")) == {"OPTIONS", "POST"}
    accounts = requests.put(system.url("/api/accounts"), json={}, timeout=10, allow_redirects=False)
    assert accounts.status_code == 405 and set(accounts.headers["Allow"].split(", ")) == \
        {"GET", "HEAD", "OPTIONS", "POST"}
    me = requests.patch(system.url("/api/accounts/me"), headers=system.auth("voisin@coroutine.test"), timeout=10)
    assert me.status_code == 422 and me.headers["Content-Type"] == PROBLEM
