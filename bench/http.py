"""Measurement 1: GET through nothing, nginx and the gateway, with wrk at a fixed concurrency."""
from __future__ import annotations

import os
import re
import shutil
import string
import subprocess
import time
import urllib.parse
from pathlib import Path

from bench import procs
from bench.platform import WEB_WORKERS, free_port

TEMPLATE = Path(__file__).with_name("nginx.conf.template")
CONNECTIONS = int(os.environ.get("BENCH_CONNECTIONS", "16"))
SECONDS = int(os.environ.get("BENCH_HTTP_SECONDS", "4"))
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "5"))


class Nginx:
    def __init__(self, work_dir: Path, booking_port: int):
        self.dir = work_dir / "nginx"
        self.dir.mkdir(parents=True, exist_ok=True)
        os.chmod(work_dir, 0o755)
        os.chmod(self.dir, 0o755)
        self.port = free_port()
        self.conf = self.dir / "nginx.conf"
        self.conf.write_text(string.Template(TEMPLATE.read_text()).substitute(
            workers=WEB_WORKERS, dir=self.dir, booking_port=booking_port, port=self.port))
        self.process: subprocess.Popen | None = None

    def start(self) -> "Nginx":
        log = open(self.dir / "nginx-stdout.log", "ab")
        nginx = shutil.which("nginx") or shutil.which("nginx", path="/usr/sbin:/usr/bin")
        self.process = subprocess.Popen([nginx, "-c", str(self.conf), "-p", str(self.dir), "-g", "daemon off;"],
                                        stdout=log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 10
        import socket
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"nginx exited: {(self.dir / 'nginx-stdout.log').read_text()[-1000:]}")
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.5).close()
                return self
            except OSError:
                time.sleep(0.1)
        raise RuntimeError("nginx did not start")

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(5)


UNITS = {"us": 1e-3, "ms": 1.0, "s": 1000.0, "m": 60000.0}


def _ms(text: str) -> float:
    number, unit = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text).groups()
    return float(number) * UNITS[unit]


def wrk(url: str, seconds: int = SECONDS, connections: int = CONNECTIONS) -> dict:
    """Run wrk; returns requests/s, p50, p99 (ms), and the count of errors and non-2xx answers."""
    command = [shutil.which("wrk") or "/usr/bin/wrk", "-t1", f"-c{connections}", f"-d{seconds}s",
               "--timeout", "5s", "--latency", url]
    result = subprocess.run(command, capture_output=True, text=True, timeout=seconds + 60)
    out = result.stdout
    if result.returncode != 0 or "Requests/sec" not in out:
        raise RuntimeError(f"wrk failed on {url}: {out}{result.stderr}")
    percentiles = dict(re.findall(r"^\s+(50|75|90|99)%\s+(\S+)", out, re.M))
    requests_done = int(re.search(r"(\d+) requests in", out).group(1))
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    return {"rps": float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)),
            "p50": _ms(percentiles["50"]), "p99": _ms(percentiles["99"]), "requests": requests_done,
            "errors": (int(non2xx.group(1)) if non2xx else 0) + (sum(map(int, errors.groups())) if errors else 0)}


def endpoints(platform) -> dict[str, str]:
    """The two measured paths, relative to the booking service."""
    import requests

    rooms = requests.get(platform.url("booking", "/rooms?site=la-coroutine"), timeout=10).json()
    room = next(r for r in rooms if r["name"] == "Salle de réunion")
    query = urllib.parse.urlencode({"room": room["id"], "starts_at": "2030-03-05T14:00:00+01:00",
                                    "ends_at": "2030-03-05T17:00:00+01:00", "organisation_kind": "company"})
    return {"rooms of a site": "/rooms?site=la-coroutine", "booking quote": f"/quote?{query}"}


def measure(platform, nginx: Nginx, log=print) -> dict:
    """For each path: direct, nginx, gateway; ROUNDS interleaved rounds, medians per path."""
    import requests

    bases = {"direct": platform.url("booking", ""), "nginx": f"http://127.0.0.1:{nginx.port}/api/booking",
             "gateway": platform.url("gateway", "/api/booking")}
    groups = {"gateway": procs.tree(platform.processes["gateway"].pid),
              "booking": procs.tree(platform.processes["booking"].pid),
              "nginx": procs.tree(nginx.process.pid)}
    results: dict = {}
    for label, path in endpoints(platform).items():
        for way, base in bases.items():
            answer = requests.get(base + path, timeout=10)
            if answer.status_code != 200:
                raise RuntimeError(f"{way} {path} answered {answer.status_code}: {answer.text[:300]}")
            wrk(base + path, seconds=2)  # warm up: connections, caches, lazy imports
        runs: dict = {way: [] for way in bases}
        for round_ in range(ROUNDS):
            for way, base in bases.items():
                before = {name: procs.cpu_seconds(pids) for name, pids in groups.items()}
                figures = wrk(base + path)
                figures["cpu_ms"] = {
                    name: round((procs.cpu_seconds(pids) - before[name]) * 1000 / figures["requests"], 3)
                    for name, pids in groups.items()}
                figures["load"] = os.getloadavg()[0]
                runs[way].append(figures)
                log(f"  {label:16} {way:8} round {round_ + 1}: {figures['rps']:7.0f} req/s  "
                    f"p50 {figures['p50']:6.2f} ms  p99 {figures['p99']:6.2f} ms  errors {figures['errors']}  "
                    f"CPU ms/request {figures['cpu_ms']}")
        results[label] = {way: summarise(values) for way, values in runs.items()}
        # Rounds are short and interleaved: a gateway round is compared with the nginx round just before it,
        # which saw the same machine; the median of those ratios is the figure.
        results[label]["ratios"] = {
            "rps": median([g["rps"] / n["rps"] for g, n in zip(runs["gateway"], runs["nginx"])]),
            "p99": median([g["p99"] / n["p99"] for g, n in zip(runs["gateway"], runs["nginx"])])}
        results[label]["path"] = path.split("?")[0]
    return results


def median(values: list[float]) -> float:
    values = sorted(values)
    middle = len(values) // 2
    return values[middle] if len(values) % 2 else (values[middle - 1] + values[middle]) / 2


def summarise(runs: list[dict]) -> dict:
    return {"rps": median([r["rps"] for r in runs]), "p50": median([r["p50"] for r in runs]),
            "p99": median([r["p99"] for r in runs]), "errors": sum(r["errors"] for r in runs),
            "requests": sum(r["requests"] for r in runs), "rounds": runs}
