"""Writing docs/performance.md from the figures of one `make bench` run."""
from __future__ import annotations

from pathlib import Path

from bench import http
from bench.events import EVENT_SECONDS, RATE, RELAY_MESSAGES
from bench.platform import WEB_THREADS, WEB_WORKERS

NOTES = Path(__file__).with_name("NOTES.md")


def _ok(passed: bool) -> str:
    return "met" if passed else "**missed**"


def _ms(value: float) -> str:
    return f"{value:.1f} ms" if value < 100 else f"{value:.0f} ms"


def _load(value) -> str:
    return f"{value:.1f}" if isinstance(value, (int, float)) else " / ".join(f"{v:.1f}" for v in value)


def _cpu(figures: dict, name: str) -> float:
    return sum(x["cpu_ms"][name] for x in figures["rounds"]) / len(figures["rounds"])


def render(r: dict) -> str:
    m, h, ev, rl, av, mt = r["machine"], r["http"], r["events"], r["relay"], r["availability"], r["matching"]
    rows = []
    for label, ways in h.items():
        ratio, p99_ratio = ways["ratios"]["rps"], ways["ratios"]["p99"]
        rows.append((f"1. `GET` {label}: gateway / nginx throughput", "≥ 0.6×", f"{ratio:.3f}×", ratio >= 0.6))
        rows.append((f"1. `GET` {label}: gateway / nginx p99", "≤ 1.5×", f"{p99_ratio:.3f}×", p99_ratio <= 1.5))
    rows.append(("2. event latency p50, HTTP commit → handler", "≤ 5 ms", _ms(ev["p50"]), ev["p50"] <= 5))
    rows.append(("2. event latency p99", "≤ 25 ms", _ms(ev["p99"]), ev["p99"] <= 25))
    rows.append(("3. outbox relay / raw transactional publisher", "≥ 0.5×", f"{rl['ratio_tx']:.3f}×",
                 rl["ratio_tx"] >= 0.5))
    rows.append(("4. availability of a room over a month, p95 (use case)", "≤ 10 ms", _ms(av["use_case"]["p95"]),
                 av["use_case"]["p95"] <= 10))
    rows.append(("5. ranking 10,000 offers (median of runs)", "≤ 50 ms", _ms(mt["rank"]["median_ms"]),
                 mt["rank"]["median_ms"] <= 50))
    rows.append(("5. proposing groups among 2,000 newcomers (median)", "≤ 2 s",
                 _ms(mt["propose_typical"]["median_ms"]), mt["propose_typical"]["median_ms"] <= 2000))
    if "reminders" in r:
        rem = r["reminders"]
        ok = rem["received"] == rem["baskets"] and rem["total_s"] <= rem["target_s"]
        rows.append((f"7. AMAP reminders of one distribution with {rem['baskets']:,} baskets, planned, decided "
                     "and sent by SMTP", f"≤ {rem['target_s']:.0f} s",
                     f"{rem['total_s']:.1f} s (decide {rem['decide_s']:.1f} s, send {rem['send_s']:.1f} s)", ok))
    platform_rss = [p for p in r["memory_idle_after"] + r["memory_idle_start"] if not p.get("reference")]
    biggest = max(platform_rss, key=lambda p: p["rss_mb"] or 0)
    rows.append(("6. resident memory of every process at idle (largest)", "≤ 100 MB",
                 f"{biggest['rss_mb']:.0f} MB ({biggest['process']})", biggest["rss_mb"] <= 100))

    out = [
        "# Performance",
        "",
        "Figures of one `make bench` run, written by `bench/report.py` (do not edit by hand: run `make bench`"
        " again). What was profiled and changed, and what remains, is at the end (from `bench/NOTES.md`).",
        "",
        f"Run of {r['started']}, {r['duration_s']} s. Machine: {m['nproc']} CPUs ({m['cpu']}), "
        f"{m['memory_mb']:,} MB of memory, Python {m['python']}, nginx {m['nginx']}. "
        f"Load average (1, 5, 15 min) at the start {_load(m['load_at_start'])}, at the end "
        f"{_load(r['load_at_end'])}: the machine is shared, and every figure below is given with the 1-minute "
        "load average seen when it was taken. Everything (load generator, proxies, services, PostgreSQL, RabbitMQ) "
        "runs on these cores, so the ratios matter more than the absolute numbers.",
        "",
        "## Summary",
        "",
        "| measure | target | this run | |",
        "| --- | --- | --- | --- |",
        *[f"| {name} | {target} | {value} | {_ok(passed)} |" for name, target, value, passed in rows],
        "",
        "## 1. HTTP: direct, through nginx, through the gateway",
        "",
        f"`wrk -t1 -c{http.CONNECTIONS} -d{http.SECONDS}s --latency`, {http.ROUNDS} interleaved rounds per path "
        "(direct, nginx, gateway, then again), after a 2 s warm-up of each; the table gives the median of the rounds, "
        "and the summary the median over the rounds of gateway ÷ nginx, each gateway round against the nginx round "
        "run just before it (the machine is shared: adjacent rounds saw the same load). "
        f"Worker budget: the gateway and the booking service run under gunicorn with {WEB_WORKERS} processes × "
        f"{WEB_THREADS} threads (gthread, `infra/gunicorn.conf.py`, as in production); nginx has "
        f"`worker_processes {WEB_WORKERS}`, keep-alive connections to the service, and writes an access log like "
        "the gateway writes its JSON log line. Anonymous requests (no token: the gateway verifies none). "
        "CPU ms/request is the CPU time of the proxy's or the service's processes (from /proc) divided by the "
        "requests served.",
        "",
        "| path | way | requests/s | p50 | p99 | vs nginx (req/s, p99) | proxy CPU ms/request "
        "| service CPU ms/request | errors | load |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for label, ways in h.items():
        nginx = ways["nginx"]
        for way in ("direct", "nginx", "gateway"):
            f = ways[way]
            proxy_cpu = "–" if way == "direct" else f"{_cpu(f, way):.2f}"
            vs = f"{f['rps'] / nginx['rps']:.2f}×, {f['p99'] / nginx['p99']:.2f}×" if way != "nginx" else "1×"
            out.append(f"| {label} (`{ways['path']}`) | {way} | {f['rps']:.0f} | {_ms(f['p50'])} | {_ms(f['p99'])} | "
                       f"{vs} | {proxy_cpu} | {_cpu(f, 'booking'):.2f} | "
                       f"{f['errors']} | {_load(sum(x['load'] for x in f['rounds']) / len(f['rounds']))} |")
    out += [
        "",
        "Every round:",
        "",
        "| path | way | round | requests/s | p50 | p99 | gateway ÷ nginx (req/s, p99) | load |",
        "| --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for label, ways in h.items():
        for way in ("direct", "nginx", "gateway"):
            for index, f in enumerate(ways[way]["rounds"], 1):
                ref = ways["nginx"]["rounds"][index - 1]
                vs = f"{f['rps'] / ref['rps']:.2f}×, {f['p99'] / ref['p99']:.2f}×" if way == "gateway" else ""
                out.append(f"| {label} | {way} | {index} | {f['rps']:.0f} | {_ms(f['p50'])} | {_ms(f['p99'])} | "
                           f"{vs} | {_load(f['load'])} |")
    cpu = ev.get("cpu_ms_per_event", {})
    out += [
        "",
        "## 2. Event latency, HTTP commit → consumer's handler",
        "",
        f"`POST /rooms` on the booking service (a veilleur's signed identity), open loop at {RATE}/s for "
        f"{EVENT_SECONDS} s from 16 client threads; the booking worker's `OutboxRelay` (woken by `LISTEN/NOTIFY`) "
        "publishes with publisher confirms; a consumer built on `shared.bus.consumer.Consumer` (its own process, "
        "quorum queue `bench.latency`, inbox in PostgreSQL) records in its handler `now − event.time`. The "
        "event's `time` is taken inside the business transaction, just before its commit.",
        "",
        "| rate asked | posted | rate reached | answers | events received | p50 | p95 | p99 | max "
        "| outbox → sent, p50 / p99 | load |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |",
        *[f"| {e['rate']}/s | {e['posted']} | {e['achieved_rate']}/s | "
          f"{', '.join(f'{k}: {v}' for k, v in e['statuses'].items())} | {e['received']} | {_ms(e['p50'])} | "
          f"{_ms(e['p95'])} | {_ms(e['p99'])} | {_ms(e['max'])} | "
          f"{_ms(e.get('outbox_p50', float('nan')))} / {_ms(e.get('outbox_p99', float('nan')))} | {_load(e['load'])} |"
          for e in (r.get("events_low"), ev) if e],
        "",
        f"At {ev['rate']}/s, CPU per event: " + ", ".join(f"{name} {value:.2f} ms" for name, value in cpu.items())
        + f"; the client's lateness (how long after its due time a request was sent), p99: "
        f"{_ms(ev['client_late_p99_ms'])}. The first line is the same measurement at a lower rate (run first), to "
        "show the latency of the path itself when the machine is not saturated. Each run waits until the "
        "consumer has received every event. *Outbox → sent* is the relay's share, read from the booking outbox "
        "(`sent_at − created_at`: from the row's insertion to the end of its batch's publishing, confirms "
        "included).",
        "",
        "## 3. Outbox relay throughput",
        "",
        f"{RELAY_MESSAGES} events of about 250 bytes, each to a topic exchange bound to one quorum queue (as in "
        "production). `OutboxRelay.run_until_empty` drains an outbox table in PostgreSQL (batches of 200, "
        "`FOR UPDATE SKIP LOCKED`, publisher confirms, rows marked sent) against two raw pika publishers on the "
        "same broker: one AMQP transaction per message (`tx_select`, `basic_publish`, `tx_commit`), the reference "
        "of the target, and publisher confirms waited for one by one.",
        "",
        "| publisher | seconds | messages/s | in the queue after | relay / it | load |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for name, title in (("relay", "OutboxRelay (confirms)"), ("raw_tx", "raw pika, a transaction per message"),
                        ("raw_confirm", "raw pika, confirms one by one")):
        f = rl[name]
        ratio = "–" if name == "relay" else f"{rl['relay']['per_second'] / f['per_second']:.2f}×"
        out.append(f"| {title} | {f['seconds']} | {f['per_second']:.0f} | {f['in_queue']} | {ratio} | "
                   f"{_load(f['load'])} |")
    out += [
        "",
        "## 4. Availability with 100,000 reservations",
        "",
        f"{av['rows']:,} reservations written with `COPY` in {av['insert_seconds']} s over the {av['rooms']} rooms of "
        "the demo sites (four a day each from 2024 on; 85 % confirmed, 5 % requested, 5 % cancelled, 5 % declined), "
        "then `ANALYZE`. Measured: the availability of *Salle de réunion* over March 2027 "
        f"({av['busy_in_month']} busy spans), with the use case `services.booking.service.availability` in one "
        "transaction (in the bench's process), and with `GET /availability?room=&from=&to=` on the service (one "
        "client), the two interleaved, after a `CHECKPOINT` and 20 warm-up calls.",
        "",
        "| how | p50 | p95 | max | samples |",
        "| --- | --- | --- | --- | --- |",
        f"| use case | {_ms(av['use_case']['p50'])} | {_ms(av['use_case']['p95'])} | {_ms(av['use_case']['max'])} | "
        f"{av['use_case']['samples']} |",
        f"| HTTP endpoint (direct) | {_ms(av['http']['p50'])} | {_ms(av['http']['p95'])} | {_ms(av['http']['max'])} | "
        f"{av['http']['samples']} |",
        "",
        f"Load: {_load(av['load'])}.",
        "",
        "## 5. Housing matching",
        "",
        "`services.housing.matching.rank` (limit 50) over 10,000 offers that all pass the request's hard filters "
        "(the worst case: each one is scored), and `services.housing.roommates.propose` over 2,000 newcomers: "
        "typical (arrivals over 6 months, 1-3 of 15 languages, 0-3 of 10 areas) and worst (arrivals within 10 "
        "days, all speaking French, no area wish: each newcomer is compared with its 100 next arrivals).",
        "",
        "| what | runs | median | max | result |",
        "| --- | --- | --- | --- | --- |",
        *[f"| {title} | {mt[key]['runs']} | {_ms(mt[key]['median_ms'])} | {_ms(mt[key]['max_ms'])} | {what} |"
          for title, key, what in (
              ("rank 10,000 offers", "rank", "best 50"),
              ("propose groups, 2,000 typical", "propose_typical", f"{mt['propose_typical']['groups']} groups"),
              ("propose groups, 2,000 worst", "propose_worst", f"{mt['propose_worst']['groups']} groups"))],
        "",
        f"Load: {_load(mt['load'])}.",
        "",
        "## 6. Resident memory at idle",
        "",
        "VmRSS from `/proc/<pid>/status` of every process, 5 s after the platform became healthy, and 5 s after "
        "all the load above.",
        "",
        "| process | after start | after the load |",
        "| --- | --- | --- |",
    ]
    after = {p["process"]: p["rss_mb"] for p in r["memory_idle_after"]}
    for p in r["memory_idle_start"]:
        later = after.get(p["process"])
        out.append(f"| {p['process']} | {p['rss_mb']:.0f} MB | {'–' if later is None else f'{later:.0f} MB'} |")
    out += [
        "",
        "## Reproduce",
        "",
        "```sh",
        "make bench      # installs nginx-light and wrk with apt-get when missing, then python -m bench",
        "```",
        "",
        "It needs the local PostgreSQL (`BENCH_DATABASE_URL`, else `TEST_DATABASE_URL`, else "
        "`postgresql://postgres@127.0.0.1:5432/postgres`; it creates and drops `bench_<run>_*` databases) and "
        "RabbitMQ (`AMQP_URL`; a vhost `veilleuse-bench-<run>` is made with `rabbitmqctl` when it is there, else the "
        "default vhost is used). Everything listens on 127.0.0.1 on free ports; everything started is stopped at "
        "the end; logs stay in `/tmp/veilleuse-bench-*` with `results.json`. Knobs: `BENCH_WEB_WORKERS` (2), "
        "`BENCH_WEB_THREADS` (4), `BENCH_CONNECTIONS` (16), `BENCH_HTTP_SECONDS` (4), `BENCH_ROUNDS` (5), "
        "`BENCH_EVENT_RATE` (200), `BENCH_EVENT_SECONDS` (10), `BENCH_RELAY_MESSAGES` (2000), "
        "`BENCH_RESERVATIONS` (100000), `BENCH_AVAILABILITY_SAMPLES` (200). Run it when the machine is quiet: the "
        "load average is in every table for that reason.",
        "",
        NOTES.read_text().strip(),
        "",
    ]
    return "\n".join(out)
