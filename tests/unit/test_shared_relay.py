"""The outbox relay's bookkeeping with a fake broker: what it marks sent, counts, sets aside, leaves alone."""
import pika
import pytest
from sqlalchemy import select

from shared.bus.relay import ConfirmingPublisher, OutboxRelay
from shared.bus.tables import outbox
from tests.support.bus import record_example


class FakeChannel:
    """Answers each publish by the row's room_id: "nack", "returned", "oversize" (channel closed), "cut"."""

    def __init__(self, connection):
        self.connection, self.published, self.open = connection, [], True

    def confirm_delivery(self):
        pass

    def basic_publish(self, exchange, routing_key, body, properties, mandatory):
        assert self.open and mandatory
        answer = self.connection.answers.get(properties.message_id)
        self.published.append(properties.message_id)
        if answer == "nack":
            raise pika.exceptions.NackError([])
        if answer == "returned":
            raise pika.exceptions.UnroutableError([])
        if answer == "oversize":
            self.open = False
            raise pika.exceptions.ChannelClosedByBroker(406, "PRECONDITION_FAILED - message size 200 is larger "
                                                             "than configured max size 100")
        if answer == "cut":
            raise pika.exceptions.StreamLostError("Transport indicated EOF")


class FakeConnection:
    def __init__(self, answers):
        self.answers, self.channels = answers, []

    def channel(self):
        self.channels.append(FakeChannel(self))
        return self.channels[-1]


def rows(db):
    with db.sessions() as session:
        return {row.id: row for row in session.execute(select(outbox))}


@pytest.fixture
def db(sqlite_database):
    return sqlite_database("booking")


def record(db, n):
    ids = []
    for i in range(n):
        with db.transaction() as session:
            ids.append(record_example(session, "booking.room.created", str(i))["id"])
    return ids


def test_confirmed_rows_are_marked_sent_and_refused_or_returned_ones_are_not(db):
    ids = record(db, 4)
    connection = FakeConnection({ids[1]: "nack", ids[2]: "returned", ids[3]: "oversize"})
    relay = OutboxRelay(db, "amqp://unused", "veilleuse.events")
    outcome = relay.publish_pending(ConfirmingPublisher(connection, "veilleuse.events"))
    assert outcome.confirmed == [ids[0]] and outcome.returned == [ids[2]]
    assert set(outcome.refused) == {ids[1], ids[3]}
    found = rows(db)
    assert found[ids[0]].sent_at is not None
    assert [(found[i].sent_at, found[i].attempts) for i in ids[1:]] == [(None, 1), (None, 0), (None, 1)]
    assert found[ids[3]].last_error.startswith("refused by the broker: 406 PRECONDITION_FAILED - message size")
    assert len(connection.channels) == 2, "a fresh channel after the broker closed one on a refused row"


def test_a_row_refused_max_attempts_times_is_set_aside_and_no_longer_tried(db):
    ids = record(db, 2)
    connection = FakeConnection({ids[0]: "nack"})
    relay = OutboxRelay(db, "amqp://unused", "veilleuse.events", max_attempts=3)
    publisher = ConfirmingPublisher(connection, "veilleuse.events")
    for _ in range(3):
        relay.publish_pending(publisher)
    row = rows(db)[ids[0]]
    assert (row.attempts, row.sent_at is None, row.set_aside_at is not None) == (3, True, True)
    assert row.last_error == "refused by the broker (basic.nack)"
    tried = sum(len(channel.published) for channel in connection.channels)
    assert relay.publish_pending(publisher).size == 0
    assert sum(len(channel.published) for channel in connection.channels) == tried


def test_a_cut_mid_batch_keeps_the_marks_of_the_rows_confirmed_before_it(db):
    ids = record(db, 10)
    connection = FakeConnection({ids[6]: "cut"})
    relay = OutboxRelay(db, "amqp://unused", "veilleuse.events")
    with pytest.raises(pika.exceptions.StreamLostError):
        relay.publish_pending(ConfirmingPublisher(connection, "veilleuse.events"))
    found = rows(db)
    assert [found[i].sent_at is not None for i in ids] == [True] * 6 + [False] * 4
    assert all(found[i].attempts == 0 for i in ids), "a cut is not the row's fault"
