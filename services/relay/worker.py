"""`python -m services.relay.worker`: the relay outbox relay and consumers."""
from services.relay.handlers import HANDLERS
from shared.worker import run_worker

QUEUES = {"relay.sites": HANDLERS}

if __name__ == "__main__":
    run_worker("relay", QUEUES)
