"""`python -m gateway.worker`: publishes the gateway's outbox (identity and site events)."""
from shared.worker import run_worker

QUEUES: dict = {}

if __name__ == "__main__":
    run_worker("gateway", QUEUES)
