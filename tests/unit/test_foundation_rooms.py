"""The room catalogue of the booking service, on SQLite, through its HTTP API."""
import pytest

from services.booking import create_app
from services.booking.models import Site
from shared.bus.tables import outbox
from tests.conftest import app_for, identity_header

VEILLEUR = identity_header("v-1", roles=("veilleur",))
NEIGHBOUR = identity_header("n-1", roles=("neighbour",))


@pytest.fixture
def client(sqlite_database):
    db = sqlite_database("booking")
    with db.transaction() as session:
        session.add(Site(id="site-1", slug="la-coroutine", name="La Coroutine", timezone="Europe/Paris",
                         opening_hours={}, version=1))
    app = app_for(create_app, "booking", db)
    client = app.test_client()
    client.db = db
    return client


def outbox_types(db):
    with db.sessions() as session:
        return [row.type for row in session.execute(outbox.select().order_by(outbox.c.created_at))]


def test_veilleur_creates_lists_updates_and_retires_a_room(client):
    created = client.post("/rooms", json={"site": "la-coroutine", "name": "Salle", "capacity": 12},
                          headers=VEILLEUR)
    assert created.status_code == 201
    room = created.json
    assert room["rates"]["association"]["money_box"] is True and room["rates"]["company"]["hour"] == 200
    assert room["created_at"].endswith("+00:00")
    assert [r["id"] for r in client.get("/rooms?site=la-coroutine").json] == [room["id"]]
    updated = client.patch(f"/rooms/{room['id']}", json={"capacity": 14}, headers=VEILLEUR)
    assert updated.status_code == 200 and updated.json["capacity"] == 14
    retired = client.post(f"/rooms/{room['id']}/retire", headers=VEILLEUR)
    assert retired.json["status"] == "retired"
    assert client.get("/rooms?site=la-coroutine").json == []
    assert client.post(f"/rooms/{room['id']}/retire", headers=VEILLEUR).status_code == 409
    assert outbox_types(client.db) == ["booking.room.created", "booking.room.updated", "booking.room.retired"]


def test_changes_need_an_identity_and_the_veilleur_role(client):
    body = {"site": "la-coroutine", "name": "Salle", "capacity": 12}
    assert client.post("/rooms", json=body).status_code == 401
    forbidden = client.post("/rooms", json=body, headers=NEIGHBOUR)
    assert forbidden.status_code == 403 and forbidden.content_type == "application/problem+json"
    assert outbox_types(client.db) == []


def test_a_forged_identity_is_refused(client):
    response = client.post("/rooms", json={"site": "la-coroutine", "name": "S", "capacity": 1},
                           headers={"X-Veilleuse-Identity": "eyJhbGciOiJub25lIn0.e30."})
    assert response.status_code == 401


@pytest.mark.parametrize("body, field", [
    ({"site": "la-coroutine", "name": "S", "capacity": "douze"}, "capacity"),
    ({"site": "la-coroutine", "name": "S", "capacity": 0}, "capacity"),
    ({"site": "la-coroutine", "name": "S" * 121, "capacity": 3}, "name"),
    ({"site": "la-coroutine", "name": "S", "capacity": 3, "colour": "red"}, "colour"),
    ({"name": "S", "capacity": 3}, "site"),
    ({"site": "nowhere", "name": "S", "capacity": 3}, "site"),
    ({"site": "la-coroutine", "name": "S", "capacity": 3, "rates": {"company": {"hour": -5}}}, "rates"),
    ({"site": "la-coroutine", "name": "S", "capacity": 3, "rates": {"company": {"hour": 2.5}}}, "rates"),
])
def test_bad_input_is_a_4xx_problem_naming_the_field(client, body, field):
    response = client.post("/rooms", json=body, headers=VEILLEUR)
    assert 400 <= response.status_code < 500
    assert response.content_type == "application/problem+json"
    assert field in response.json["errors"]
    assert outbox_types(client.db) == []


def test_malformed_json_is_a_400_problem(client):
    response = client.post("/rooms", data="{not json", content_type="application/json", headers=VEILLEUR)
    assert response.status_code == 400
    assert response.json["title"] == "Malformed request body"


def test_unknown_room_id_is_a_404_problem(client):
    response = client.get("/rooms/../../etc")
    assert response.status_code == 404
    response = client.get("/rooms/00000000-0000-0000-0000-000000000000")
    assert response.status_code == 404 and response.json["title"] == "Room not found"


def test_problem_carries_the_request_id_given_by_the_gateway(client):
    response = client.get("/rooms/nope", headers={"X-Request-Id": "abc123"})
    assert response.json["request_id"] == "abc123" and response.headers["X-Request-Id"] == "abc123"


@pytest.mark.parametrize("method, path, kwargs, field", [
    ("get", "/rooms?site=la%00coroutine", {}, "site"),
    ("post", "/rooms", {"json": {"site": "la-coroutine", "name": "Sal\u0000le", "capacity": 3}}, "name"),
    ("get", "/rooms/abc%00def", {}, "path"),
])
def test_nul_characters_are_a_422_problem_not_a_database_error(client, method, path, kwargs, field):
    response = getattr(client, method)(path, headers=VEILLEUR, **kwargs)
    assert response.status_code == 422
    assert response.json["errors"] == {field: ["contains a NUL character"]}
