"""Gunicorn settings shared by every HTTP process (gateway and services)."""
import os

workers = int(os.environ.get("WEB_WORKERS", "2"))
threads = int(os.environ.get("WEB_THREADS", "4"))
worker_class = "gthread"
timeout = 30
graceful_timeout = 10
keepalive = 5
# The longest request line gunicorn allows; longer ones get its own plain 414.
limit_request_line = 8190
accesslog = None  # the app writes one JSON line per request
errorlog = "-"
