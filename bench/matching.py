"""Measurement 5: ranking 10,000 offers for one request, proposing groups among 2,000 newcomers (housing)."""
from __future__ import annotations

import os
import random
import time
from datetime import date, timedelta
from types import SimpleNamespace

from services.housing import matching, roommates

ARRIVAL = date(2027, 9, 1)
AREAS = ["wazemmes", "moulins", "fives", "vieux-lille", "lille-centre", "roubaix", "lomme", "hellemmes",
         "villeneuve-d-ascq", "tourcoing"]
LANGUAGES = ["fr", "en", "es", "ar", "pt", "it", "de", "uk", "ru", "zh", "tr", "fa", "wo", "ro", "pl"]
RANK_RUNS = int(os.environ.get("BENCH_RANK_RUNS", "20"))
PROPOSE_RUNS = int(os.environ.get("BENCH_PROPOSE_RUNS", "3"))


def seeker() -> matching.Seeker:
    return matching.Seeker(id="r1", kind="request", arrival_date=ARRIVAL, stay_months=6, max_budget_cents=60_000,
                           household_size=1, kind_wanted="any", areas=frozenset({"wazemmes", "fives"}),
                           languages=frozenset({"es", "fr"}), hours="quiet")


def offers(count: int, rng: random.Random) -> list[matching.Home]:
    """Offers that all pass the seeker's hard filters (the worst case: every one is scored)."""
    return [matching.Home(
        id=f"o{i}", kind=rng.choice(["room", "whole_flat"]), total_cents=rng.randint(20_000, 60_000),
        available_from=ARRIVAL - timedelta(days=rng.randint(0, 60)) + timedelta(days=rng.randint(0, 14)),
        available_until=rng.choice([None, ARRIVAL + timedelta(days=rng.randint(40, 400))]),
        area=rng.choice(AREAS[:6]), max_occupants=rng.randint(1, 3), furnished=rng.random() < .5,
        languages=frozenset(rng.sample(LANGUAGES[:8], rng.randint(1, 3))), smoking_allowed=rng.random() < .3,
        pets_allowed=rng.random() < .3, hours=rng.choice(["quiet", "late", "flexible"])) for i in range(count)]


def newcomers(count: int, rng: random.Random, spread_days: int = 180, languages=LANGUAGES, areas=AREAS) -> list:
    return [SimpleNamespace(
        id=f"n{i}", arrival_date=ARRIVAL + timedelta(days=rng.randint(0, spread_days)),
        stay_months=rng.randint(1, 24), max_budget_cents=rng.randint(25_000, 70_000),
        areas=rng.sample(areas, rng.randint(0, min(3, len(areas)))),
        languages=rng.sample(languages, rng.randint(1, min(3, len(languages)))),
        smoker=rng.random() < .2, has_pets=rng.random() < .1, hours=rng.choice(["quiet", "late", "flexible"]),
        max_roommates=rng.randint(1, 3), household_size=1, kind_wanted="any", accessibility_needs=[])
        for i in range(count)]


def _timed(fn, runs: int) -> tuple[list[float], object]:
    times, result = [], None
    for _ in range(runs):
        started = time.perf_counter()
        result = fn()
        times.append((time.perf_counter() - started) * 1000)
    return sorted(times), result


def _summary(times: list[float]) -> dict:
    return {"median_ms": times[len(times) // 2], "max_ms": times[-1], "runs": len(times)}


def measure(log=print) -> dict:
    rng = random.Random(8)
    homes = offers(10_000, rng)
    who = seeker()
    passing = sum(matching.passes(who, home) for home in homes)
    rank_times, ranked = _timed(lambda: matching.rank(who, homes, limit=50), RANK_RUNS)
    assert len(ranked) == 50
    typical = newcomers(2_000, random.Random(2))
    typical_times, proposals = _timed(lambda: roommates.propose(typical), PROPOSE_RUNS)
    worst = newcomers(2_000, random.Random(3), spread_days=10, languages=["fr"], areas=[])
    worst_times, worst_proposals = _timed(lambda: roommates.propose(worst), PROPOSE_RUNS)
    result = {
        "rank": {"offers": len(homes), "passing_hard_filters": passing, **_summary(rank_times)},
        "propose_typical": {"newcomers": 2000, "groups": len(proposals), **_summary(typical_times)},
        "propose_worst": {"newcomers": 2000, "groups": len(worst_proposals), **_summary(worst_times)},
        "load": os.getloadavg()[0],
    }
    log(f"  {result}")
    return result
