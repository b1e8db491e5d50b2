"""identity.account.erased: the housing consumer forgets the person, once, on SQLite."""
import json

import pytest
from sqlalchemy import func, select

from services.housing import handlers, service
from services.housing.models import GroupMember, HousingRequest, Message, Offer, RoommateGroup
from services.housing.service import Viewer
from shared.bus.consumer import Consumer
from shared.bus.tables import outbox
from shared.events import encode, new_event
from tests.unit.test_housing_api import offer_body, request_body

# Requests expire 60 days after they are made: every test here runs on the test's clock.
pytestmark = pytest.mark.usefixtures("clock")


def load(body: dict) -> dict:
    from services.housing.schemas import OfferCreateSchema, RequestCreateSchema
    schema = RequestCreateSchema() if "stay_months" in body else OfferCreateSchema()
    return schema.load(json.loads(json.dumps(body)))


def erased(account_id: str) -> bytes:
    return encode(new_event("identity.account.erased", "/veilleuse/gateway", {"account_id": account_id}))


def test_erasing_a_newcomer_removes_requests_messages_and_group_memberships(sqlite_database):
    db = sqlite_database("housing")
    newcomer, host, friend = Viewer("newcomer"), Viewer("host"), Viewer("friend")
    with db.transaction() as session:
        request = service.create_request(session, newcomer.subject, **load(request_body(max_roommates=1)))
        service.create_request(session, friend.subject, **load(request_body(max_roommates=1)))
        offer = service.create_offer(session, host.subject, **load(offer_body()))
        service.publish_offer(session, Viewer("veilleur", staff=True), offer.id)
        service.send_message(session, newcomer, request.id, offer.id, "Bonjour")
        service.send_message(session, host, request.id, offer.id, "Bonjour, bienvenue")
        assert service.propose_groups(session)["proposed"] == 1
        request_id, offer_id = request.id, offer.id
    consumer = Consumer(db, "amqp://unused", "veilleuse.events", "veilleuse.dlx", "housing.identity",
                        handlers.HANDLERS)
    body = erased("newcomer")
    assert consumer.apply(body).action == "applied"
    assert consumer.apply(body).action == "duplicate"
    with db.transaction() as session:
        assert session.get(HousingRequest, request_id) is None
        assert session.scalar(select(func.count()).select_from(Message)) == 0
        assert session.scalar(select(func.count()).select_from(RoommateGroup)) == 0
        assert session.scalar(select(func.count()).select_from(GroupMember)) == 0
        assert session.get(Offer, offer_id) is not None
    assert consumer.apply(erased("host")).action == "applied"
    with db.transaction() as session:
        assert session.get(Offer, offer_id) is None
        assert session.scalar(select(func.count()).select_from(HousingRequest)) == 1  # the friend's


def test_an_erasure_without_account_id_is_dead_lettered(sqlite_database):
    db = sqlite_database("housing")
    consumer = Consumer(db, "amqp://unused", "veilleuse.events", "veilleuse.dlx", "housing.identity",
                        handlers.HANDLERS)
    body = encode(new_event("identity.account.erased", "/veilleuse/gateway", {"who": "x"}))
    assert consumer.apply(body).action == "dead-lettered"


def test_events_carry_no_contact_details_or_free_text(sqlite_database):
    db = sqlite_database("housing")
    with db.transaction() as session:
        request = service.create_request(session, "newcomer", **load(request_body(about="J'aime la musique")))
        offer = service.create_offer(session, "host", **load(offer_body(house_rules="Pas de fête")))
        service.publish_offer(session, Viewer("veilleur", staff=True), offer.id)
        service.answer_match(session, Viewer("newcomer"), request.id, offer.id, "interested")
        service.answer_match(session, Viewer("host"), request.id, offer.id, "interested")
    with db.transaction() as session:
        bodies = [row.body for row in session.execute(select(outbox.c.body))]
    types = [json.loads(b)["type"] for b in bodies]
    assert types == ["housing.request.published", "housing.offer.published", "housing.match.accepted"]
    text = " ".join(bodies)
    for secret in ("@example.test", "+33", "musique", "fête", "newcomer", "host"):
        assert secret not in text


def test_the_housekeeping_round_expires_purges_and_proposes(sqlite_database, clock):
    from datetime import timedelta

    from services.housing.worker import housekeeping

    db = sqlite_database("housing")
    long_ago = clock.now() - timedelta(days=100)
    with db.transaction() as session:
        old = service.create_request(session, "old", now=long_ago, **load(request_body()))
        stale = service.create_request(session, "stale", now=clock.now() - timedelta(days=61), **load(request_body()))
        for person in ("a", "b"):
            service.create_request(session, person, **load(request_body(max_roommates=1)))
        old.status, old.expired_at = "expired", long_ago + timedelta(days=60)
        stale_id, old_id = stale.id, old.id
    done = housekeeping(db)
    assert done == {"expire_requests": 1, "purge_expired_requests": 1,
                    "propose_groups": {"proposed": 1, "considered": 2}}
    with db.transaction() as session:
        assert session.get(HousingRequest, old_id) is None
        assert session.get(HousingRequest, stale_id).status == "expired"
        types = [row.type for row in session.execute(select(outbox.c.type))]
    assert types.count("housing.request.expired") == 1


def test_demo_data_can_be_seeded_twice_and_the_demo_room_matches_the_demo_request(sqlite_database):
    from infra.demo_data import demo_id
    from services.housing.demo import seed_housing

    db = sqlite_database("housing")
    seed_housing(db)
    seed_housing(db)
    with db.transaction() as session:
        assert session.scalar(select(func.count()).select_from(Offer)) == 2
        ranked = service.matches_for_request(session, Viewer(demo_id("account", "voisin@coroutine.test")),
                                             demo_id("housing-request", "voisin"))
        assert [m["offer_id"] for m in ranked] == [demo_id("housing-offer", "wazemmes-room")]
