"""`python -m services.housing.worker`: the housing outbox relay and consumers."""
from services.housing.handlers import HANDLERS
from shared.worker import run_worker

QUEUES = {"housing.identity": HANDLERS} if HANDLERS else {}

if __name__ == "__main__":
    run_worker("housing", QUEUES)
