"""Matching and roommate proposals as pure functions: filters, scores, reasons, Irving's algorithm."""
import itertools
import random
import time
from datetime import date, timedelta
from types import SimpleNamespace

import pytest

from services.housing import matching, roommates

ARRIVAL = date(2027, 9, 1)


def seeker(**overrides) -> matching.Seeker:
    values = dict(id="r1", kind="request", arrival_date=ARRIVAL, stay_months=6, max_budget_cents=50_000,
                  household_size=1, kind_wanted="any", areas=frozenset({"wazemmes"}),
                  languages=frozenset({"es", "fr"}), hours="quiet")
    values.update(overrides)
    return matching.Seeker(**values)


def home(**overrides) -> matching.Home:
    values = dict(id="o1", kind="room", total_cents=46_000, available_from=ARRIVAL - timedelta(days=5),
                  available_until=None, area="wazemmes", max_occupants=1, furnished=True,
                  languages=frozenset({"es", "en"}), hours="quiet")
    values.update(overrides)
    return matching.Home(**values)


@pytest.mark.parametrize("overrides, code", [
    ({"total_cents": 50_001}, "over_budget"),
    ({"max_occupants": 0}, "too_small"),
    ({"kind": "whole_flat"}, None),
    ({"available_from": ARRIVAL + timedelta(days=15)}, "not_free_on_arrival"),
    ({"available_until": ARRIVAL + timedelta(days=10)}, "ends_too_soon"),
])
def test_hard_filters_say_why_an_offer_cannot_suit(overrides, code):
    failures = matching.hard_filter_failures(seeker(), home(**overrides))
    assert [f["code"] for f in failures] == ([code] if code else [])
    assert matching.passes(seeker(), home(**overrides)) is (code is None)


def test_whole_flat_seekers_do_not_match_rooms_and_needs_must_be_met():
    assert not matching.passes(seeker(kind_wanted="whole_flat"), home())
    assert not matching.passes(seeker(accessibility_needs=frozenset({"lift"})), home())
    assert matching.passes(seeker(accessibility_needs=frozenset({"lift"})), home(accessibility=frozenset({"lift"})))


def test_reasons_are_structured_and_readable():
    reasons: list = []
    score = matching.evaluate(seeker(), home(), reasons)
    by_code = {r["code"]: r for r in reasons}
    assert by_code["common_language"] == {"code": "common_language", "languages": ["es"],
                                          "text": "You both speak Spanish."}
    assert by_code["under_budget"]["amount_cents"] == 4_000
    assert by_code["under_budget"]["text"] == "Rent with charges is 40 € under the budget."
    assert by_code["same_rhythm"]["text"] == "Same rhythm: quiet evenings."
    assert 0 < score <= 100


def test_common_language_area_and_rhythm_raise_the_score():
    base = matching.evaluate(seeker(), home())
    assert matching.evaluate(seeker(), home(languages=frozenset({"de"}))) < base
    assert matching.evaluate(seeker(), home(area="fives")) < base
    assert matching.evaluate(seeker(), home(hours="late")) < base
    assert matching.evaluate(seeker(has_pets=True), home()) < base
    assert matching.evaluate(seeker(), home(available_until=ARRIVAL + timedelta(days=60))) < base


def test_rank_orders_by_score_and_skips_the_filtered_out():
    homes = [home(id="good"), home(id="far", area="fives"), home(id="dear", total_cents=90_000)]
    ranked = matching.rank(seeker(), homes)
    assert [r.offer_id for r in ranked] == ["good", "far"]


def random_homes(count: int, rng: random.Random) -> list[matching.Home]:
    areas = ["wazemmes", "moulins", "fives", "vieux-lille", "lille-centre", "roubaix"]
    languages = ["fr", "en", "es", "ar", "pt", "it", "de", "uk"]
    return [home(id=f"o{i}", kind=rng.choice(["room", "whole_flat"]), total_cents=rng.randint(20_000, 50_000),
                 available_from=ARRIVAL + timedelta(days=rng.randint(-60, 14)),
                 available_until=rng.choice([None, ARRIVAL + timedelta(days=rng.randint(40, 400))]),
                 area=rng.choice(areas), max_occupants=rng.randint(1, 3), furnished=rng.random() < .5,
                 languages=frozenset(rng.sample(languages, rng.randint(1, 3))),
                 smoking_allowed=rng.random() < .3, pets_allowed=rng.random() < .3,
                 hours=rng.choice(["quiet", "late", "flexible"])) for i in range(count)]


def test_ranking_ten_thousand_offers_returns_the_best_fifty_in_order():
    homes = random_homes(10_000, random.Random(6))
    started = time.perf_counter()
    ranked = matching.rank(seeker(), homes, limit=50)
    elapsed = time.perf_counter() - started
    print(f"\nranked 10,000 offers in {elapsed * 1000:.1f} ms")
    assert len(ranked) == 50
    assert [r.score for r in ranked] == sorted((r.score for r in ranked), reverse=True)


# -- roommates --------------------------------------------------------------------------------
def is_stable(prefs, matching_):
    rank = {p: {q: i for i, q in enumerate(lst)} for p, lst in prefs.items()}

    def prefers(p, q):  # p would rather be with q than with its partner
        partner = matching_.get(p)
        return q in rank[p] and (partner is None or rank[p][q] < rank[p][partner])

    return not any(prefers(p, q) and prefers(q, p) for p in prefs for q in prefs[p] if matching_.get(p) != q)


def all_matchings(people, prefs):
    if not people:
        yield {}
        return
    first, rest = people[0], people[1:]
    yield from all_matchings(rest, prefs)
    for other in rest:
        if other in prefs[first]:
            for sub in all_matchings([p for p in rest if p != other], prefs):
                yield {**sub, first: other, other: first}


def test_irving_finds_the_stable_matching_of_the_textbook_example():
    prefs = {"1": "3 4 2 6 5", "2": "6 5 4 1 3", "3": "2 4 5 1 6", "4": "5 2 3 6 1", "5": "3 1 2 4 6",
             "6": "5 1 3 4 2"}
    result = roommates.stable_roommates({k: v.split() for k, v in prefs.items()})
    assert result == {"1": "6", "6": "1", "2": "4", "4": "2", "3": "5", "5": "3"}


def test_irving_reports_when_no_stable_matching_exists():
    prefs = {"a": ["b", "c", "d"], "b": ["c", "a", "d"], "c": ["a", "b", "d"], "d": ["a", "b", "c"]}
    assert roommates.stable_roommates(prefs) is None


@pytest.mark.parametrize("seed", range(60))
def test_irving_agrees_with_brute_force_on_random_incomplete_lists(seed):
    rng = random.Random(seed)
    people = [str(i) for i in range(rng.choice([4, 5, 6, 7]))]
    acceptable = {frozenset(pair) for pair in itertools.combinations(people, 2) if rng.random() < 0.7}
    prefs = {p: rng.sample([q for q in people if frozenset((p, q)) in acceptable],
                           len([q for q in people if frozenset((p, q)) in acceptable])) for p in people}
    result = roommates.stable_roommates(prefs)
    stable_exists = any(is_stable(prefs, m) for m in all_matchings(people, prefs))
    if result is None:
        assert not stable_exists
    else:
        assert is_stable(prefs, result)


def newcomer(rid, **overrides):
    values = dict(id=rid, arrival_date=ARRIVAL, stay_months=6, max_budget_cents=45_000, areas=["wazemmes"],
                  languages=["es", "fr"], smoker=False, has_pets=False, hours="quiet", max_roommates=2,
                  household_size=1, kind_wanted="any", accessibility_needs=[])
    values.update(overrides)
    return SimpleNamespace(**values)


def test_three_compatible_newcomers_make_one_group_and_an_incompatible_one_stays_out():
    requests = [newcomer("a"), newcomer("b", languages=["es"]), newcomer("c", arrival_date=ARRIVAL + timedelta(3)),
                newcomer("d", languages=["zh"])]
    proposals = roommates.propose(requests)
    assert [p.request_ids for p in proposals] == [["a", "b", "c"]]
    assert any(r["code"] == "common_language" and r["languages"] == ["es"] for r in proposals[0].reasons)


def test_groups_respect_everyones_maximum_and_every_member_accepts_every_other():
    requests = [newcomer(str(i), max_roommates=1 if i == 0 else 3) for i in range(4)]
    proposals = roommates.propose(requests)
    for proposal in proposals:
        assert len(proposal.request_ids) <= 4
        if "0" in proposal.request_ids:
            assert len(proposal.request_ids) == 2
    people = {c.id: c for c in roommates.candidates_of(requests)}
    for proposal in proposals:
        for a, b in itertools.combinations(proposal.request_ids, 2):
            assert roommates.acceptable(people[a], people[b])


def test_vetoed_pairs_are_not_proposed_together():
    requests = [newcomer("a", max_roommates=1), newcomer("b", max_roommates=1)]
    assert roommates.propose(requests, {("a", "b")}) == []


def random_newcomers(count: int, rng: random.Random):
    areas = ["wazemmes", "moulins", "fives", "vieux-lille", "lille-centre", "roubaix", "lomme", "hellemmes",
             "villeneuve-d-ascq", "tourcoing"]
    languages = ["fr", "en", "es", "ar", "pt", "it", "de", "uk", "ru", "zh", "tr", "fa", "wo", "ro", "pl"]
    return [newcomer(f"n{i}", arrival_date=ARRIVAL + timedelta(days=rng.randint(0, 180)),
                     stay_months=rng.randint(1, 24), max_budget_cents=rng.randint(25_000, 70_000),
                     areas=rng.sample(areas, rng.randint(0, 3)), languages=rng.sample(languages, rng.randint(1, 3)),
                     smoker=rng.random() < .2, has_pets=rng.random() < .1,
                     hours=rng.choice(["quiet", "late", "flexible"]), max_roommates=rng.randint(1, 3))
            for i in range(count)]


def test_proposing_groups_among_two_thousand_newcomers_gives_disjoint_groups_of_two_to_four():
    requests = random_newcomers(2_000, random.Random(2))
    started = time.perf_counter()
    proposals = roommates.propose(requests)
    elapsed = time.perf_counter() - started
    grouped = sum(len(p.request_ids) for p in proposals)
    print(f"\nproposed {len(proposals)} groups ({grouped} newcomers) among 2,000 in {elapsed * 1000:.0f} ms")
    assert proposals and all(2 <= len(p.request_ids) <= 4 for p in proposals)
    assert len({rid for p in proposals for rid in p.request_ids}) == grouped


def test_the_fast_pair_loop_scores_exactly_like_pair_score():
    people = roommates.candidates_of(random_newcomers(300, random.Random(9)))
    by_id = {p.id: p for p in people}
    _prefs, scores = roommates.preference_lists(people, length=300, window=300)
    assert scores
    for (a, b), score in scores.items():
        assert score == roommates.pair_score(by_id[a], by_id[b])
