"""The arbitrator's product rules: safety binds, conservative between safety agents, escalation, degraded
runs."""

from __future__ import annotations

import pytest
from domain_scenarios import FakeGuidance, Run, run_pipeline

from skymarshal.domain import Policy, approval_requirement, arbitrate, revise, unavailable_view
from skymarshal.models import AgentView, Citation, Constraint


def _break_everything(view: AgentView) -> AgentView:
    """A crew_compliance view in which every option breaks a binding FDP constraint."""
    broken = view.model_copy(deep=True)
    for a in broken.assessments:
        a.feasible = False
        a.constraints.append(
            Constraint(
                option_id=a.option_id,
                rule="EASA ORO.FTL.205(b) Table 2",
                description="test: FDP exceeded",
                binding=True,
                violated=True,
                limit=720,
                actual=800,
                margin=-80,
                unit="min",
            )
        )
    return broken


def test_nothing_feasible_escalates_with_no_recommendation(runs: dict[str, Run]) -> None:
    run = runs["ey123-technical-delay"]
    views = [_break_everything(v) if v.agent == "crew_compliance" else v for v in run.phase2]
    d = arbitrate(run.event, views, run.options, run.snapshot, run.policy, FakeGuidance())
    assert d.recommended is None and d.alternatives == []
    assert d.escalated and any("no feasible option" in r for r in d.escalation_reasons)
    assert set(d.infeasible) == {o.option_id for o in run.options}
    assert d.confidence == 0
    assert approval_requirement(d, run.policy).required


def test_an_unavailable_business_agent_is_listed_and_lowers_confidence(runs: dict[str, Run]) -> None:
    run = runs["ey123-technical-delay"]
    views = [
        unavailable_view("cargo", 2, "TimeoutError: 30s") if v.agent == "cargo" else v for v in run.phase2
    ]
    d = arbitrate(run.event, views, run.options, run.snapshot, run.policy, FakeGuidance())
    assert d.unavailable_agents == ["cargo"]
    assert d.confidence < run.decision.confidence
    assert d.recommended is not None and d.recommended.option_id == run.decision.recommended.option_id  # type: ignore[union-attr]


def test_without_finance_the_cost_weight_is_redistributed(runs: dict[str, Run]) -> None:
    run = runs["ey123-technical-delay"]
    views = [unavailable_view("finance", 2, "boom") if v.agent == "finance" else v for v in run.phase2]
    d = arbitrate(run.event, views, run.options, run.snapshot, run.policy, FakeGuidance())
    assert "cost" not in d.weights and abs(sum(d.weights.values()) - 1) < 1e-6
    assert "finance" in d.unavailable_agents


def test_a_missing_safety_agent_means_no_option_can_be_cleared(runs: dict[str, Run]) -> None:
    run = runs["ey123-technical-delay"]
    views = [v for v in run.phase2 if v.agent != "maintenance"]
    d = arbitrate(run.event, views, run.options, run.snapshot, run.policy, FakeGuidance())
    assert d.recommended is None and d.escalated
    assert "maintenance" in d.unavailable_agents


def test_low_confidence_escalates_for_approval(runs: dict[str, Run]) -> None:
    run = runs["ey123-technical-delay"]
    d = arbitrate(
        run.event,
        run.phase2,
        run.options,
        run.snapshot,
        Policy(low_confidence_threshold=0.99),
        FakeGuidance(),
    )
    assert d.escalated and d.recommended is not None
    assert any("below the threshold" in r for r in d.escalation_reasons)
    assert approval_requirement(d, Policy()).required


def test_weights_come_from_policy(runs: dict[str, Run]) -> None:
    run = runs["ey123-technical-delay"]
    policy = Policy.model_validate({"weights": {"safety": 1, "cost": 0, "passengers": 0, "network": 0}})
    d = arbitrate(run.event, run.phase2, run.options, run.snapshot, policy, FakeGuidance())
    assert d.weights["safety"] == 1.0
    assert d.recommended is not None
    safety_scores = {s.option_id: s.scores["safety"] for s in [d.recommended, *d.alternatives]}
    assert d.recommended.scores["safety"] == max(safety_scores.values())


def test_near_ties_go_to_the_more_conservative_option(runs: dict[str, Run]) -> None:
    run = runs["ey123-technical-delay"]
    policy = Policy.model_validate({"weights": {"safety": 0, "cost": 0, "passengers": 1, "network": 0}})
    d = arbitrate(run.event, run.phase2, run.options, run.snapshot, policy, FakeGuidance())
    assert d.recommended is not None
    tied = [s for s in [d.recommended, *d.alternatives] if abs(s.score - d.recommended.score) < 0.01]
    assert d.recommended.scores["safety"] == max(s.scores["safety"] for s in tied)


def test_guidance_failure_never_blocks_a_decision(runs: dict[str, Run]) -> None:
    class Broken:
        def cite(self, rule: str, context: str = "", limit: int = 2) -> list[Citation]:
            raise ConnectionError("knowledge base down")

    run = runs["ey123-technical-delay"]
    d = arbitrate(run.event, run.phase2, run.options, run.snapshot, run.policy, Broken())
    assert d.recommended is not None and d.citations == [] and d.knowledge_source == "none"
    assert "Guidance unavailable" in d.rationale


def test_guidance_is_asked_about_the_rules_behind_binding_constraints(runs: dict[str, Run]) -> None:
    run = runs["ey789-aog"]
    guidance = FakeGuidance()
    arbitrate(run.event, run.phase2, run.options, run.snapshot, run.policy, guidance)
    assert "Airport curfew SYD" in guidance.asked
    assert any(r.startswith("MEL rectification interval") for r in guidance.asked)


def test_a_business_agent_that_failed_in_phase_1_is_recomputed_in_phase_2(runs: dict[str, Run]) -> None:
    run = runs["ey123-technical-delay"]
    own = unavailable_view("network", 1, "boom")
    view = revise("network", own, run.phase1, run.snapshot, run.options, run.policy)
    assert view.status == "ok" and view.phase == 2 and view.revision is not None


def test_revision_references_are_structured_peer_findings(runs: dict[str, Run]) -> None:
    run = runs["ey123-technical-delay"]
    gx = run.view("guest_experience")
    assert gx.revision is not None and gx.revision.action == "STRENGTHEN"
    assert any(
        r.agent == "network" and r.option_id and "miss connections" in r.fact for r in gx.revision.because
    )
    finance = run.view("finance")
    delay = run.option("delay")[0].option_id
    a = finance.assessment(delay)
    assert a is not None and not a.feasible and any("infeasible per crew_compliance" in n for n in a.notes)


def test_unavailable_view_is_schema_valid() -> None:
    v = unavailable_view("cargo", 1, "x" * 5000)
    assert v.status == "unavailable" and v.confidence == 0 and v.error is not None and len(v.error) <= 2000
    assert AgentView.model_validate(v.model_dump())


def test_same_inputs_give_the_same_decision() -> None:
    a = run_pipeline("ey789-aog").decision.model_dump_json()
    b = run_pipeline("ey789-aog").decision.model_dump_json()
    assert a == b


def test_citations_from_the_real_knowledge_service_are_recorded(runs: dict[str, Run]) -> None:
    knowledge = pytest.importorskip("skymarshal.knowledge")
    run = runs["ey789-aog"]
    d = arbitrate(run.event, run.phase2, run.options, run.snapshot, run.policy, knowledge.GuidanceService())
    assert d.citations and all(c.rule for c in d.citations)
    assert d.knowledge_source in ("embedded", "none")
