"""What a duty manager sees on the hand-made scenarios: the recommendation, why others were infeasible,
costs."""

from __future__ import annotations

from domain_scenarios import Run, run_pipeline

from skymarshal.domain import Policy, approval_requirement
from skymarshal.models import SAFETY_AGENTS


def binding_violations(run: Run, option_id: str) -> list[str]:
    return [b.rule for b in run.decision.binding_constraints if b.option_id == option_id]


def test_delay_that_breaks_crew_fdp_is_never_recommended(runs: dict[str, Run]) -> None:
    run = runs["ey123-technical-delay"]
    delay = run.option("delay")[0]
    assert delay.departure_delay_minutes == 180
    assert "EASA ORO.FTL.205(b) Table 2" in binding_violations(run, delay.option_id)
    fdp = next(b for b in run.decision.binding_constraints if b.option_id == delay.option_id)
    assert (fdp.limit, fdp.actual, fdp.margin, fdp.unit) == (720, 860, -140, "min")  # 12:00 vs 14:20
    assert run.decision.recommended is not None
    assert run.decision.recommended.option_id != delay.option_id
    assert delay.option_id in run.decision.infeasible


def test_technical_delay_recommends_a_swap_that_keeps_the_crew_legal(runs: dict[str, Run]) -> None:
    d = runs["ey123-technical-delay"].decision
    assert d.recommended is not None and d.recommended.kind == "aircraft_swap"
    assert d.recommended.new_departure_utc is not None and d.recommended.cost_eur is not None
    assert d.recommended.cost_eur < 20_000
    assert d.recommended.cost_breakdown["eu261_compensation"] == 5 * 600  # the two tight connections
    assert next(s.action for s in d.recommended.plan) == "swap_tail"
    assert not d.escalated and d.confidence >= 0.5
    assert d.citations and d.knowledge_source == "embedded"
    assert {c.rule for c in d.citations} >= {"EASA ORO.FTL.205(b) Table 2"}


def test_crew_change_uses_reserves_at_the_station(runs: dict[str, Run]) -> None:
    run = runs["ey123-technical-delay"]
    change = run.option("crew_change")[0]
    assert len(change.replacement_crew_ids) == 7
    assert all(c.startswith("RC-") for c in change.cockpit_crew_ids + change.cabin_crew_ids)
    assert change.option_id not in run.decision.infeasible


def test_sick_captain_is_replaced_by_a_rated_reserve_never_an_unrated_one(runs: dict[str, Run]) -> None:
    run = runs["ey456-crew-sickness"]
    d = run.decision
    assert d.recommended is not None and d.recommended.kind == "crew_change"
    change = run.option("crew_change")[0]
    assert change.replacement_crew_ids == ["RC-CPT-B"]
    assert "RC-CPT-A" not in change.cockpit_crew_ids
    assert "lacks the B787 type rating" in run.view("crew_compliance").rationale
    delay = run.option("delay")[0]
    assert any("unfit" in r for r in d.infeasible[delay.option_id])
    assert d.revisions["finance"] == "REVISE"  # finance preferred the cheaper delay with the sick captain
    finance = run.view("finance")
    assert finance.revision is not None and finance.revision.because[0].agent == "crew_compliance"
    assert finance.revision.because[0].option_id == delay.option_id


def test_aog_tail_leads_to_a_swap_or_a_cancellation(runs: dict[str, Run]) -> None:
    run = runs["ey789-aog"]
    d = run.decision
    assert d.recommended is not None and d.recommended.kind in (
        "aircraft_swap",
        "aircraft_swap_crew_change",
        "cancel",
    )
    assert d.recommended.kind == "aircraft_swap"
    swap = next(o for o in run.options if o.option_id == d.recommended.option_id)
    assert swap.tail == "A6-BLE"


def test_aog_delay_breaks_the_sydney_curfew_and_the_swap_tail_with_an_expired_deferral_is_refused(
    runs: dict[str, Run],
) -> None:
    run = runs["ey789-aog"]
    delay = run.option("delay")[0]
    rules = binding_violations(run, delay.option_id)
    assert "Airport curfew SYD" in rules
    bad_swap = next(o for o in run.options if o.tail == "A6-BLD")
    assert any(
        r.startswith("MEL rectification interval (category C)")
        for r in binding_violations(run, bad_swap.option_id)
    )
    cargo = run.view("cargo").assessment(delay.option_id)
    assert cargo is not None and any(c.violated and "cold-chain" in c.rule for c in cargo.constraints)
    cancel = run.view("cargo").assessment(run.option("cancel")[0].option_id)
    assert cancel is not None and any(c.violated and "AVI/HUM" in c.rule for c in cancel.constraints)


def test_curfew_breaking_weather_delay_is_infeasible_and_care_is_still_due(runs: dict[str, Run]) -> None:
    run = runs["ey321-weather-delay"]
    for option in run.option("delay") + run.option("crew_change"):
        assert "Airport curfew ZRH" in binding_violations(run, option.option_id)
    d = run.decision
    assert d.recommended is not None and d.recommended.kind == "cancel"
    breakdown = d.recommended.cost_breakdown
    assert "eu261_compensation" not in breakdown  # weather: extraordinary circumstances
    assert breakdown["care_meals"] > 0 and breakdown["care_hotels"] > 0
    assert "extraordinary" in run.view("regulatory").rationale


def test_commanders_discretion_is_flagged_not_assumed(runs: dict[str, Run]) -> None:
    run = runs["ey321-weather-delay"]
    view = run.view("crew_compliance")
    delay = view.assessment(run.option("delay")[0].option_id)
    assert delay is not None
    flagged = [c for c in delay.constraints if c.flag == "commanders_discretion_required"]
    assert flagged and all(c.violated and c.rule == "EASA ORO.FTL.205(f)" for c in flagged)
    relaxed = run_pipeline("ey321-weather-delay", Policy(plan_with_commanders_discretion=True))
    still = relaxed.view("crew_compliance").assessment(relaxed.option("delay")[0].option_id)
    assert still is not None and any(
        c.flag == "commanders_discretion_required" and not c.violated for c in still.constraints
    )


def test_every_decision_lists_the_binding_constraints_from_safety_agents_only(runs: dict[str, Run]) -> None:
    for run in runs.values():
        for b in run.decision.binding_constraints:
            assert b.agent in SAFETY_AGENTS and b.option_id in run.decision.infeasible
        assert run.decision.thread_id == run.event.event_id
        assert set(run.decision.revisions) == {v.agent for v in run.phase2}


def test_a_cancellation_is_never_auto_approved_whatever_the_approval_policy(runs: dict[str, Run]) -> None:
    d = runs["ey321-weather-delay"].decision
    assert d.recommended is not None and d.recommended.kind == "cancel"
    assert d.escalated and any("last resort" in r for r in d.escalation_reasons)
    for mode in ("cancellation", "low_confidence", "always", "cost_over_limit"):
        assert approval_requirement(d, Policy(approval_mode=mode)).required, mode
    ey123 = runs["ey123-technical-delay"].decision
    assert not approval_requirement(ey123, Policy(approval_mode="cost_over_limit")).required
    assert approval_requirement(
        ey123, Policy(approval_mode="cost_over_limit", approval_cost_limit_eur=1000)
    ).required
