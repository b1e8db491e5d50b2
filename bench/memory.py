"""Measurement 6: resident memory (VmRSS) of every process of the platform at idle."""
from __future__ import annotations

from bench import procs


def snapshot(platform, nginx=None) -> list[dict]:
    rows = []
    for key, process in platform.processes.items():
        if key.endswith("-worker"):
            rows.append({"process": f"{key} (python -m ...worker)", "pid": process.pid,
                         "rss_mb": procs.rss_mb(process.pid)})
            continue
        rows.append({"process": f"{key} gunicorn master", "pid": process.pid, "rss_mb": procs.rss_mb(process.pid)})
        for index, child in enumerate(procs.children(process.pid), 1):
            rows.append({"process": f"{key} gunicorn worker {index}", "pid": child, "rss_mb": procs.rss_mb(child)})
    if nginx is not None and nginx.process is not None:
        for pid in procs.tree(nginx.process.pid):
            rows.append({"process": "nginx (reference)", "pid": pid, "rss_mb": procs.rss_mb(pid), "reference": True})
    return rows
