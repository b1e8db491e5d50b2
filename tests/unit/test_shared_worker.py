"""Periodic tasks of the workers: run on time, survive a failing round, stop when asked."""
import threading
import time

from shared.worker import PeriodicTask


def test_a_periodic_task_runs_again_after_a_failing_round_and_stops_when_asked():
    rounds = []

    def task(db):
        rounds.append(db)
        if len(rounds) == 1:
            raise RuntimeError("database away")
        return {"done": len(rounds)}

    periodic = PeriodicTask("test task", task, interval=0.01)
    periodic.db = "the db"
    thread = threading.Thread(target=periodic.run_forever)
    thread.start()
    deadline = time.monotonic() + 5
    while len(rounds) < 3 and time.monotonic() < deadline:
        time.sleep(0.01)
    periodic.stop()
    thread.join(5)
    assert not thread.is_alive()
    assert len(rounds) >= 3 and set(rounds) == {"the db"}


def test_the_first_round_waits_for_its_delay():
    rounds = []
    periodic = PeriodicTask("late task", rounds.append, interval=0.01, first_delay=60)
    thread = threading.Thread(target=periodic.run_forever)
    thread.start()
    time.sleep(0.2)
    periodic.stop()
    thread.join(5)
    assert rounds == []
