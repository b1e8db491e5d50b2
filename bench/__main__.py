"""`make bench` (`python -m bench`): starts the platform and nginx, measures, writes docs/performance.md."""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import traceback
from pathlib import Path

from bench import availability, events, http, matching, memory, reminders, report
from bench.platform import Platform
from shared.config import ROOT

TOOLS = {"nginx": "nginx-light", "wrk": "wrk"}


def tool_path(tool: str) -> str | None:
    return shutil.which(tool) or shutil.which(tool, path="/usr/sbin:/usr/bin:/sbin:/bin")


def ensure_tools() -> None:
    """nginx (the reference proxy) and wrk (the load generator) from Debian, installed when missing."""
    missing = [package for tool, package in TOOLS.items() if not tool_path(tool)]
    if not missing:
        return
    print(f"installing {' '.join(missing)} with apt-get")
    # RUNLEVEL=1 keeps the package scripts from starting a system nginx on port 80.
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive", "RUNLEVEL": "1"}
    subprocess.run(["apt-get", "update", "-qq"], check=True, env=env)
    subprocess.run(["apt-get", "install", "-y", "-qq", *missing], check=True, env=env)


def machine() -> dict:
    meminfo = dict(line.split(":", 1) for line in Path("/proc/meminfo").read_text().splitlines())
    cpu = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")), "unknown")
    nginx_version = subprocess.run([tool_path("nginx"), "-v"], capture_output=True, text=True).stderr.strip()
    return {"nproc": os.cpu_count(), "memory_mb": int(meminfo["MemTotal"].split()[0]) // 1024, "cpu": cpu,
            "python": sys.version.split()[0], "nginx": nginx_version.replace("nginx version: ", ""),
            "load_at_start": os.getloadavg()}


def main() -> int:
    ensure_tools()
    work = Path(tempfile.mkdtemp(prefix="veilleuse-bench-"))
    results: dict = {"machine": machine(), "started": time.strftime("%Y-%m-%d %H:%M:%S %z")}
    print(f"machine: {results['machine']}\nlogs in {work}")
    began = time.monotonic()
    platform = Platform(work)
    nginx = None
    ok = False
    try:
        print("starting the platform (PostgreSQL databases, vhost, gunicorn, workers)")
        platform.start()
        nginx = http.Nginx(work, platform.ports["booking"]).start()
        time.sleep(5)
        results["memory_idle_start"] = memory.snapshot(platform, nginx)
        print("7. AMAP reminders of a distribution with 2,000 baskets")
        results["reminders"] = reminders.measure()
        print("5. housing matching")
        results["matching"] = matching.measure()
        print("1. HTTP: direct, nginx, gateway")
        results["http"] = http.measure(platform, nginx)
        print("4. availability with 100,000 reservations")
        results["availability"] = availability.measure(platform)
        print("3. outbox relay vs raw publisher")
        results["relay"] = events.relay_throughput(platform)
        print("2. event latency")
        results["events_low"] = events.event_latency(platform, rate=events.LOW_RATE, seconds=5, label="low")
        results["events"] = events.event_latency(platform)
        time.sleep(5)
        results["memory_idle_after"] = memory.snapshot(platform, nginx)
        ok = True
    except Exception:  # noqa: BLE001 - stop everything, keep the logs, say what failed
        traceback.print_exc()
        print(f"the benchmark failed; logs are in {work}")
    finally:
        if nginx is not None:
            nginx.stop()
        platform.cleanup()
    results["duration_s"] = round(time.monotonic() - began)
    results["load_at_end"] = os.getloadavg()
    (work / "results.json").write_text(json.dumps(results, indent=2, default=str))
    if not ok:
        return 1
    out = ROOT / "docs" / "performance.md"
    out.write_text(report.render(results))
    print(f"wrote {out} (raw figures: {work / 'results.json'})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
