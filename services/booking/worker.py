"""`python -m services.booking.worker`: the booking outbox relay and consumers."""
from services.booking.handlers import HANDLERS
from shared.worker import run_worker

QUEUES = {"booking.sites": HANDLERS}

if __name__ == "__main__":
    run_worker("booking", QUEUES)
