"""Gunicorn settings shared by every HTTP process (gateway and services)."""
import os

workers = int(os.environ.get("WEB_WORKERS", "2"))
threads = int(os.environ.get("WEB_THREADS", "4"))
worker_class = "infra.gunicorn_worker.ProblemWorker"  # gthread, with problem+json for its own refusals
timeout = 30
graceful_timeout = 10
keepalive = 5
# The longest request line gunicorn allows; longer ones get a 414 problem.
limit_request_line = 8190
accesslog = None  # the app writes one JSON line per request
errorlog = "-"
