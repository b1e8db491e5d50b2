"""A host never reads a newcomer's budget: not in the request, not in the reasons, not in the score."""
import json
from datetime import date

from services.housing import matching
from tests.unit.test_housing_api import (  # noqa: F401
    HOST,
    NEWCOMER,
    client,
    db,
    post_request,
    published_offer,
)

BUDGET_CODES = {"under_budget", "at_budget", "over_budget"}


def seeker(budget: int, id_: str = "s") -> matching.Seeker:
    return matching.Seeker(id=id_, kind="request", arrival_date=date(2031, 5, 1), stay_months=6,
                           max_budget_cents=budget, household_size=1, kind_wanted="any",
                           areas=frozenset({"wazemmes"}), languages=frozenset({"fr"}))


HOME = matching.Home(id="h", kind="room", total_cents=45_000, available_from=date(2031, 5, 1),
                     available_until=None, area="wazemmes", max_occupants=1, languages=frozenset({"fr"}))


def test_the_host_side_score_and_reasons_are_the_same_whatever_the_budget():
    ranked = matching.rank_seekers(HOME, [seeker(45_000, "tight"), seeker(60_000, "easy"), seeker(200_000, "rich")])
    assert len({r.score for r in ranked}) == 1
    assert len({json.dumps(r.reasons, sort_keys=True) for r in ranked}) == 1
    assert not BUDGET_CODES & {reason["code"] for r in ranked for reason in r.reasons}
    # The newcomer's own side still says how far under the budget the rent is.
    own: list = []
    matching.evaluate(seeker(60_000), HOME, own)
    assert {"code": "under_budget", "amount_cents": 15_000} in [
        {k: v for k, v in r.items() if k != "text"} for r in own]


def test_a_pair_failing_only_on_the_budget_reads_outside_criteria_for_the_host():
    assert matching.hard_filter_failures(seeker(40_000), HOME)[0]["code"] == "over_budget"
    assert [r["code"] for r in matching.hard_filter_failures(seeker(40_000), HOME, for_host=True)] == \
        ["outside_criteria"]


def test_the_host_reads_matches_without_any_reason_that_depends_on_the_budget(client):  # noqa: F811
    offer = published_offer(client)
    request = post_request(client, max_budget_cents=offer["total_cents"] + 15_000)
    ranked = client.get(f"/offers/{offer['id']}/matches", headers=HOST).get_json()
    assert [m["seeker_id"] for m in ranked] == [request["id"]]
    text = json.dumps(ranked)
    assert "amount_cents" not in text and "budget" not in text
    one = client.get(f"/matches/{request['id']}/{offer['id']}", headers=HOST).get_json()
    assert not BUDGET_CODES & {r["code"] for r in one["reasons"]} and "budget" not in json.dumps(one)
    mine = client.get(f"/matches/{request['id']}/{offer['id']}", headers=NEWCOMER).get_json()
    assert "under_budget" in {r["code"] for r in mine["reasons"]}
