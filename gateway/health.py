"""The platform's health at a glance, and the API documentation page."""
from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from gateway.proxy import http_session, upstreams
from shared.bus.amqp import broker_reachable
from shared.db import Database

_pool = ThreadPoolExecutor(max_workers=6, thread_name_prefix="health")


def _service_ready(base: str) -> dict:
    try:
        response = http_session().get(f"{base}/readyz", timeout=(1, 2))
        body = response.json()
        return {"status": "ok" if response.status_code == 200 else "down", "checks": body.get("checks", {})}
    except Exception:  # noqa: BLE001
        return {"status": "down", "checks": {}}


def _database_ok(db: Database) -> str:
    try:
        db.ping()
        return "ok"
    except Exception:  # noqa: BLE001
        return "down"


def aggregate(db: Database, amqp_url: str) -> dict:
    futures = {name: _pool.submit(_service_ready, base) for name, base in upstreams().items()}
    broker = _pool.submit(broker_reachable, amqp_url)
    services = {"gateway": {"status": _database_ok(db)}}
    services.update({name: future.result() for name, future in futures.items()})
    broker_status = "ok" if broker.result() else "down"
    healthy = broker_status == "ok" and all(s["status"] == "ok" for s in services.values())
    return {"health": "ok" if healthy else "degraded", "services": services, "broker": broker_status}


DOCS_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Veilleuse API</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="stylesheet" href="/api/docs/swagger-ui.css"></head>
<body><main><h1 class="visually-hidden">Veilleuse API</h1><div id="swagger-ui"></div></main>
<script src="/api/docs/swagger-ui-bundle.js"></script><script src="/api/docs/init.js"></script>
</body></html>"""
DOCS_INIT = "window.ui = SwaggerUIBundle({url: '/api/openapi.json', dom_id: '#swagger-ui'});\n"
