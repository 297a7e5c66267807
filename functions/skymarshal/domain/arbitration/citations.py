"""The regulatory guidance behind the decision: the rules of the broken binding constraints, then the binding
rules the recommended option was checked against. Guidance is best effort; the decision never depends on it."""

from __future__ import annotations

from typing import Literal, Protocol

from ...models import SAFETY_AGENTS, AgentName, AgentView, BindingConstraint, Citation, RankedSolution

MAX_CITED_RULES = 6
# Operational checks with no regulation text behind them: not looked up in the guidance.
UNCITED_RULES = ("Aircraft type range", "Aircraft record", "Aircraft status", "Return to service")


class GuidanceLookup(Protocol):
    """Regulatory guidance (knowledge.py): Bedrock Knowledge Base, embedded FTS5 corpus, or nothing."""

    def cite(self, rule: str, context: str = "", limit: int = 2) -> list[Citation]: ...


def rules_to_cite(
    binding: list[BindingConstraint], recommended: RankedSolution | None, ok: dict[AgentName, AgentView]
) -> list[tuple[str, str]]:
    """(rule, context) once each: the broken binding rules, then the recommended option's binding rules."""
    rules: list[tuple[str, str]] = []
    for b in binding:
        if b.rule not in (r for r, _ in rules):
            rules.append((b.rule, b.description))
    if recommended is not None:
        for agent in SAFETY_AGENTS:
            view = ok.get(agent)
            ra = view.assessment(recommended.option_id) if view else None
            for rc in ra.constraints if ra else []:
                if (
                    rc.binding
                    and not rc.rule.startswith(UNCITED_RULES)
                    and rc.rule not in (r for r, _ in rules)
                ):
                    rules.append((rc.rule, rc.description))
    return rules


def cite_rules(rules: list[tuple[str, str]], guidance: GuidanceLookup) -> tuple[list[Citation], list[str]]:
    """Citations for the first `MAX_CITED_RULES` rules (deduplicated), and the rules whose lookup failed."""
    citations: list[Citation] = []
    guidance_failed: list[str] = []
    for rule, context in rules[:MAX_CITED_RULES]:
        try:
            found = guidance.cite(rule, context, 2)
        except Exception as exc:  # guidance is best effort; the decision never depends on it
            guidance_failed.append(f"{rule} ({type(exc).__name__})")
            found = []
        for raw in found:
            # knowledge.py has its own Citation class with the same fields: normalise to the contract.
            cit = Citation.model_validate(raw, from_attributes=True)
            if (cit.rule, cit.source, cit.title) not in {(x.rule, x.source, x.title) for x in citations}:
                citations.append(cit)
    return citations, guidance_failed


def knowledge_source(citations: list[Citation]) -> Literal["bedrock", "embedded", "none"]:
    """Where the guidance came from: Bedrock if any citation did, else the embedded corpus, else none."""
    origins = {c.origin for c in citations}
    return "bedrock" if "bedrock" in origins else "embedded" if "embedded" in origins else "none"
