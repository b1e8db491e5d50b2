"""`python -m services.grocery.worker`: the grocery outbox relay and consumers."""
from services.grocery.handlers import HANDLERS
from shared.worker import run_worker

QUEUES = {"grocery.sites": HANDLERS}

if __name__ == "__main__":
    run_worker("grocery", QUEUES)
