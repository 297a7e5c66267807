"""Whether a duty manager must approve a decision, per `Policy.approval_mode`."""

from __future__ import annotations

from ...models import ApprovalRequirement, Decision
from ..policy import Policy


def approval_requirement(decision: Decision, policy: Policy) -> ApprovalRequirement:
    """Whether a duty manager must approve, per the approval policy; an escalated decision always needs
    one."""
    reasons = [f"escalated: {r}" for r in decision.escalation_reasons] if decision.escalated else []
    rec = decision.recommended
    if policy.approval_mode == "always":
        reasons.append("policy: every decision is approved by a duty manager")
    elif policy.approval_mode == "low_confidence":
        if decision.confidence < policy.low_confidence_threshold and not decision.escalated:
            reasons.append(f"confidence {decision.confidence:.2f} < {policy.low_confidence_threshold:.2f}")
    elif policy.approval_mode == "cancellation":
        if rec is not None and rec.kind == "cancel":
            reasons.append("policy: cancellations are approved by a duty manager")
    elif (
        policy.approval_mode == "cost_over_limit"
        and rec is not None
        and rec.cost_eur is not None
        and rec.cost_eur > policy.approval_cost_limit_eur
    ):
        reasons.append(
            f"cost EUR {rec.cost_eur:,.0f} over the limit EUR {policy.approval_cost_limit_eur:,.0f}"
        )
    if rec is None and not decision.escalated:
        reasons.append("no recommendation")
    return ApprovalRequirement(required=bool(reasons), reasons=reasons)
