"""`python -m services.booking.worker`: the booking outbox relay and consumers."""
from services.booking.handlers import IDENTITY_HANDLERS, SITE_HANDLERS
from shared.worker import run_worker

QUEUES = {"booking.sites": SITE_HANDLERS, "booking.identity": IDENTITY_HANDLERS}

if __name__ == "__main__":
    run_worker("booking", QUEUES)
