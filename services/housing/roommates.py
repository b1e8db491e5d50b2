"""Proposing roommate groups of 2 to 4 among newcomers' requests.

1. Acceptability (symmetric, hard): both opted in (`max_roommates` >= 1), at least one language in
   common, arrivals at most 30 days apart, wished areas overlap (or one side has no wish), no veto,
   and each finds the other worth at least MIN_ACCEPT points.
2. Preferences (asymmetric): each request ranks the acceptable others by its own view of the pair
   score and keeps its best PREFERENCE_LENGTH; a pair stays only if each is on the other's list.
   To bound the work, each request is compared with its NEIGHBOURS next arrivals only.
3. Pairs: Irving's stable roommates algorithm (phase 1 proposals, phase 2 rotation elimination) on
   those incomplete lists. When no stable matching exists, pairs are taken greedily by the pair
   score (best mutual pair first), which is what a person would do by hand.
4. Larger groups: greedy merging of units (stable pairs and unpaired requests), best average
   compatibility first, only when every member is acceptable to every other member, the merged
   size respects every member's `max_roommates`, and the average pair score stays >= MERGE_MIN.
Pure functions; the service persists the proposals.
"""
from __future__ import annotations

import heapq
from collections import deque
from dataclasses import dataclass, field
from itertools import combinations

from services.housing.matching import reason

MAX_ARRIVAL_GAP_DAYS = 30
MIN_ACCEPT = 40
MERGE_MIN = 55
PREFERENCE_LENGTH = 12
NEIGHBOURS = 100
MAX_GROUP = 4
HOURS_CODE = {"quiet": 1, "late": 2, "flexible": 0}


@dataclass(frozen=True, slots=True)
class Candidate:
    """One request as roommate matching sees it (bit masks make the pair loop fast)."""

    id: str
    arrival: int            # date ordinal
    stay_months: int
    budget: int
    area_mask: int          # 0: any area
    language_mask: int
    language_count: int
    smoker: bool
    has_pets: bool
    hours: int              # 0 flexible, 1 quiet, 2 late
    max_roommates: int
    areas: frozenset = frozenset()
    languages: frozenset = frozenset()


@dataclass
class Proposal:
    request_ids: list[str]
    score: int
    reasons: list = field(default_factory=list)


class _Bits:
    def __init__(self):
        self.positions: dict[str, int] = {}

    def mask(self, values) -> int:
        result = 0
        for value in values:
            result |= 1 << self.positions.setdefault(value, len(self.positions))
        return result


def candidates_of(requests) -> list[Candidate]:
    areas, languages = _Bits(), _Bits()
    return [Candidate(
        id=r.id, arrival=r.arrival_date.toordinal(), stay_months=r.stay_months, budget=r.max_budget_cents,
        area_mask=areas.mask(r.areas or ()), language_mask=languages.mask(r.languages or ()),
        language_count=max(1, len(r.languages or ())), smoker=r.smoker, has_pets=r.has_pets,
        hours=HOURS_CODE.get(r.hours, 0), max_roommates=r.max_roommates,
        areas=frozenset(r.areas or ()), languages=frozenset(r.languages or ())) for r in requests]


def acceptable(a: Candidate, b: Candidate) -> bool:
    return (a.max_roommates >= 1 and b.max_roommates >= 1
            and a.language_mask & b.language_mask != 0
            and abs(a.arrival - b.arrival) <= MAX_ARRIVAL_GAP_DAYS
            and (a.area_mask == 0 or b.area_mask == 0 or a.area_mask & b.area_mask != 0))


def pair_score(me: Candidate, other: Candidate) -> int:
    """How well `other` suits `me` (0-100), assuming the pair is acceptable."""
    common = (me.language_mask & other.language_mask).bit_count()
    points = 25 + 15 * min(1.0, common / me.language_count)
    if me.area_mask and other.area_mask:
        points += 15
    else:
        points += 8
    points += 15 * (1 - abs(me.arrival - other.arrival) / (MAX_ARRIVAL_GAP_DAYS + 1))
    if me.hours == other.hours:
        points += 10
    elif me.hours == 0 or other.hours == 0:
        points += 5
    else:
        points -= 10
    if me.smoker == other.smoker:
        points += 10
    elif not me.smoker:
        points -= 10
    if me.has_pets == other.has_pets:
        points += 5
    elif not me.has_pets:
        points -= 5
    points += 10 * min(me.budget, other.budget) / max(me.budget, other.budget, 1)
    points += 10 * min(me.stay_months, other.stay_months) / max(me.stay_months, other.stay_months, 1)
    return max(0, min(100, round(points * 100 / 115)))


def preference_lists(people: list[Candidate], vetoes: set[tuple[str, str]] = frozenset(),
                     length: int = PREFERENCE_LENGTH, window: int = NEIGHBOURS) -> tuple[dict[str, list[str]], dict]:
    """Each person's best acceptable others, best first, and the directed scores seen.

    People are compared with the `window` next arrivals (within 30 days) only, which bounds the
    work at n x window pairs however crowded a month is. The score is `pair_score`, inlined.
    """
    ordered = sorted((p for p in people if p.max_roommates >= 1), key=lambda p: (p.arrival, p.id))
    heaps: dict[str, list] = {p.id: [] for p in ordered}
    scores: dict[tuple[str, str], int] = {}
    gap, scale = MAX_ARRIVAL_GAP_DAYS, 100 / 115
    for index, a in enumerate(ordered):
        a_id, a_lang, a_area, a_arrival, heap_a = a.id, a.language_mask, a.area_mask, a.arrival, heaps[a.id]
        a_count, a_hours, a_smoker, a_pets, a_budget, a_stay = (a.language_count, a.hours, a.smoker, a.has_pets,
                                                                 a.budget, a.stay_months)
        for b in ordered[index + 1:index + 1 + window]:
            days = b.arrival - a_arrival
            if days > gap:
                break
            common = a_lang & b.language_mask
            if not common:
                continue
            if a_area and b.area_mask and not a_area & b.area_mask:
                continue
            if vetoes and ((a_id, b.id) in vetoes or (b.id, a_id) in vetoes):
                continue
            # The part both see alike.
            both = (15 if a_area and b.area_mask else 8) + 15 * (1 - days / (gap + 1)) + 25
            if a_hours == b.hours:
                both += 10
            elif a_hours == 0 or b.hours == 0:
                both += 5
            else:
                both -= 10
            both += 10 * (a_budget if a_budget < b.budget else b.budget) / max(a_budget, b.budget, 1)
            both += 10 * (a_stay if a_stay < b.stay_months else b.stay_months) / max(a_stay, b.stay_months, 1)
            shared = common.bit_count()
            ab = both + 15 * min(1.0, shared / a_count)
            ba = both + 15 * min(1.0, shared / b.language_count)
            if a_smoker == b.smoker:
                ab += 10
                ba += 10
            elif a_smoker:
                ba -= 10
            else:
                ab -= 10
            if a_pets == b.has_pets:
                ab += 5
                ba += 5
            elif a_pets:
                ba -= 5
            else:
                ab -= 5
            ab = max(0, min(100, round(ab * scale)))
            ba = max(0, min(100, round(ba * scale)))
            if ab < MIN_ACCEPT or ba < MIN_ACCEPT:
                continue
            _push(heap_a, (ab, b.id), length)
            _push(heaps[b.id], (ba, a_id), length)
    prefs = {}
    for pid, heap in heaps.items():
        best = sorted(heap, key=lambda item: (-item[0], item[1]))
        prefs[pid] = [other for _score, other in best]
        for score, other in best:
            scores[(pid, other)] = score
    # Keep a pair only when each is on the other's list.
    listed = {pid: set(others) for pid, others in prefs.items()}
    prefs = {pid: [o for o in others if pid in listed[o]] for pid, others in prefs.items()}
    return prefs, scores


def _push(heap: list, item: tuple, length: int) -> None:
    if len(heap) < length:
        heapq.heappush(heap, item)
    elif item > heap[0]:
        heapq.heapreplace(heap, item)


def stable_roommates(prefs: dict[str, list[str]]) -> dict[str, str] | None:
    """Irving's algorithm on incomplete, mutually consistent preference lists.

    Returns the pairs of a stable matching ({a: b, b: a}; people left alone are absent), or None
    when no stable matching exists.
    """
    lists = {p: list(lst) for p, lst in prefs.items()}

    def drop(p: str, q: str) -> None:
        lists[p].remove(q)
        lists[q].remove(p)

    # Phase 1: everyone proposes to the first on their list; the receiver holds the proposal and
    # drops (from both lists) everyone it likes less, who then proposes further down.
    held: dict[str, str] = {}
    free = deque(sorted(lists))
    while free:
        p = free.popleft()
        if not lists[p]:
            continue
        q = lists[p][0]
        previous = held.get(q)
        held[q] = p
        for worse in lists[q][lists[q].index(p) + 1:]:
            drop(q, worse)
        if previous is not None and previous != p:
            free.append(previous)
    # Phase 2: eliminate rotations until every list has at most one entry.
    while True:
        start = next((p for p in sorted(lists) if len(lists[p]) > 1), None)
        if start is None:
            break
        seen: dict[str, int] = {}
        sequence: list[str] = []
        x = start
        while x not in seen:
            seen[x] = len(sequence)
            sequence.append(x)
            x = lists[lists[x][1]][-1]
        pairs = [(xi, lists[xi][1]) for xi in sequence[seen[x]:]]
        for xi, y in pairs:
            if xi not in lists[y]:
                continue
            for worse in lists[y][lists[y].index(xi) + 1:]:
                drop(y, worse)
        if any(not lists[xi] for xi, _y in pairs):
            return None
    matching = {}
    for p, lst in lists.items():
        if lst:
            if lists[lst[0]][:1] != [p]:
                return None
            matching[p] = lst[0]
    return matching


def greedy_pairs(prefs: dict[str, list[str]], scores: dict) -> dict[str, str]:
    """Fallback when no stable matching exists: best mutual pair first."""
    edges = sorted(((scores[(a, b)] + scores[(b, a)], a, b) for a, lst in prefs.items() for b in lst if a < b),
                   reverse=True)
    matching: dict[str, str] = {}
    for _total, a, b in edges:
        if a not in matching and b not in matching:
            matching[a], matching[b] = b, a
    return matching


def propose(requests, vetoes: set[tuple[str, str]] = frozenset()) -> list[Proposal]:
    """Proposed groups of 2-4 among the requests, best first."""
    people = candidates_of(requests)
    by_id = {p.id: p for p in people}
    prefs, scores = preference_lists(people, vetoes)
    matching = stable_roommates(prefs)
    if matching is None:
        matching = greedy_pairs(prefs, scores)

    def directed(a: str, b: str) -> int | None:
        if (a, b) in vetoes or (b, a) in vetoes:
            return None
        if (a, b) in scores:
            return scores[(a, b)]
        if not acceptable(by_id[a], by_id[b]):
            return None
        return pair_score(by_id[a], by_id[b])

    def unit_average(members: tuple[str, ...]) -> float | None:
        total = 0
        for a, b in combinations(members, 2):
            ab, ba = directed(a, b), directed(b, a)
            if ab is None or ba is None or ab < MIN_ACCEPT or ba < MIN_ACCEPT:
                return None
            total += ab + ba
        return total / (len(members) * (len(members) - 1))

    units: dict[int, tuple[str, ...]] = {}
    unit_of: dict[str, int] = {}
    for pid in sorted(prefs):
        if pid in unit_of:
            continue
        members = tuple(sorted((pid, matching[pid]))) if pid in matching else (pid,)
        uid = len(units)
        units[uid] = members
        for m in members:
            unit_of[m] = uid

    def cap(members) -> int:
        return min(by_id[m].max_roommates for m in members) + 1

    heap: list = []

    def push_candidates(uid: int) -> None:
        members = units[uid]
        neighbours = {unit_of[o] for m in members for o in prefs.get(m, ()) if o in unit_of} - {uid}
        for other in neighbours:
            merged = tuple(sorted(members + units[other]))
            if len(merged) > min(MAX_GROUP, cap(merged)):
                continue
            average = unit_average(merged)
            if average is not None and average >= MERGE_MIN:
                heapq.heappush(heap, (-average, merged, uid, other))

    for uid in list(units):
        push_candidates(uid)
    while heap:
        _neg, merged, a, b = heapq.heappop(heap)
        if units.get(a) is None or units.get(b) is None or tuple(sorted(units[a] + units[b])) != merged:
            continue
        del units[a], units[b]
        uid = max(units, default=-1) + 1 + len(unit_of)
        units[uid] = merged
        for m in merged:
            unit_of[m] = uid
        push_candidates(uid)

    proposals = []
    for members in units.values():
        if len(members) < 2:
            continue
        average = unit_average(members)
        proposals.append(Proposal(list(members), round(average or 0),
                                  group_reasons([by_id[m] for m in members])))
    proposals.sort(key=lambda p: (-p.score, p.request_ids))
    return proposals


def group_reasons(members: list[Candidate]) -> list[dict]:
    reasons = []
    common = frozenset.intersection(*(m.languages for m in members))
    if common:
        reasons.append(reason("common_language", languages=sorted(common)))
    wishes = [m.areas for m in members if m.areas]
    shared = frozenset.intersection(*wishes) if wishes else frozenset()
    if shared:
        reasons.append(reason("shared_area", areas=sorted(shared)))
    arrivals = [m.arrival for m in members]
    reasons.append(reason("close_arrival", days=max(arrivals) - min(arrivals)))
    if len({m.smoker for m in members}) == 1:
        reasons.append(reason("same_habits_smoking", smoker=members[0].smoker))
    hours = {m.hours for m in members}
    if len(hours) == 1 and 0 not in hours:
        reasons.append(reason("same_rhythm", hours="quiet" if hours == {1} else "late"))
    budgets = [m.budget for m in members]
    if min(budgets) * 4 >= max(budgets) * 3:
        reasons.append(reason("similar_budget"))
    stays = [m.stay_months for m in members]
    if min(stays) * 4 >= max(stays) * 3:
        reasons.append(reason("similar_stay"))
    return reasons
