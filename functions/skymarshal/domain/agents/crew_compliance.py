"""crew_compliance (SAFETY, binding): EASA FTL for every crew member an option uses.

Max daily FDP from ORO.FTL.205(b) Table 2 (start band x sectors), commander's discretion flagged not assumed
(ORO.FTL.205(f)), planned extension (ORO.FTL.205(d)), rest (ORO.FTL.235), cumulative limits (ORO.FTL.210),
fitness of crew reported sick, type ratings of reserves, reserve availability.
"""

from __future__ import annotations

from datetime import timedelta

from ...models import AgentView, Constraint, OptionAssessment, RecoveryOption
from ..crewcheck import RULE_COMPLEMENT, RULE_RECORDS, CrewFinding, check_crew_member, hhmm
from ..operation import Snapshot
from ..operation.claims import blocking
from ..options import aircraft_by_tail, rating_of
from ..policy import Policy
from .common import constraint, make_view, prefer, safety_score, worst

RULE_CALLOUT = "Fleet: reserve called out by another decision (ORO.FTL.235 rest)"


def _as_constraint(option_id: str, f: CrewFinding) -> Constraint:
    return constraint(
        option_id,
        f.rule,
        f.description,
        binding=True,
        violated=f.violated,
        limit=f.limit,
        actual=f.actual,
        unit=f.unit,
        flag=f.flag,
        minimum=f.minimum,
    )


def _assess_option(snapshot: Snapshot, option: RecoveryOption, policy: Policy) -> OptionAssessment:
    if option.kind == "cancel" or option.new_departure_utc is None or option.new_arrival_utc is None:
        return OptionAssessment(
            option_id=option.option_id,
            feasible=True,
            score=1.0,
            notes=["no crew duty: the flight is cancelled"],
        )
    constraints: list[Constraint] = []
    if (complement := _complement_constraint(snapshot, option)) is not None:
        constraints.append(complement)
    unknown, findings = _crew_findings(snapshot, option, policy)
    constraints.extend(unknown)
    constraints.extend(_callout_constraints(snapshot, option, policy))
    constraints.extend(_shown_constraints(option.option_id, findings))
    fdp = [x for x in findings if x.kind == "fdp" and x.margin is not None]
    tight = min(fdp, key=lambda x: x.margin or 0) if fdp else None
    metrics = {
        "crew_checked": float(len({x.crew_id for x in findings})),
        "violations": float(sum(1 for c in constraints if c.violated)),
        "reserves_used": float(len(option.replacement_crew_ids)),
    }
    if tight is not None and tight.margin is not None:
        metrics["min_fdp_margin_min"] = float(tight.margin)
    notes = []
    if tight is not None:
        notes.append(f"tightest FDP: {tight.description} (margin {hhmm(tight.margin or 0)})")
    feasible = not any(c.violated and c.binding for c in constraints)
    return OptionAssessment(
        option_id=option.option_id,
        feasible=feasible,
        constraints=constraints,
        metrics=metrics,
        score=safety_score(constraints),
        notes=notes,
    )


def _callout_constraints(snapshot: Snapshot, option: RecoveryOption, policy: Policy) -> list[Constraint]:
    """A reserve another decision holds, or called out and still on duty or rest (ORO.FTL.235), is not
    available to this one: binding, with the holder's name."""
    assert option.new_departure_utc is not None
    report = option.new_departure_utc - timedelta(minutes=policy.report_before_departure_minutes)
    out = []
    for crew_id in option.replacement_crew_ids:
        claim = blocking(snapshot.claims, "crew", crew_id, snapshot.event.thread_id, None, report)
        if claim is not None:
            out.append(constraint(option.option_id, RULE_CALLOUT, f"reserve {claim.reason()}", binding=True,
                                  violated=True))
    return out


def _complement_constraint(snapshot: Snapshot, option: RecoveryOption) -> Constraint | None:
    """ORO.FC.100 / ORO.CC.100: no fewer cockpit or cabin crew than rostered."""
    f = snapshot.flight
    if len(option.cockpit_crew_ids) >= len(f.cockpit_crew) and len(option.cabin_crew_ids) >= len(f.cabin_crew):
        return None
    return constraint(
        option.option_id,
        RULE_COMPLEMENT,
        "crew complement below the rostered composition",
        binding=True,
        violated=True,
        limit=len(f.cockpit_crew) + len(f.cabin_crew),
        actual=len(option.cockpit_crew_ids) + len(option.cabin_crew_ids),
        unit="crew",
    )


def _crew_findings(
    snapshot: Snapshot, option: RecoveryOption, policy: Policy
) -> tuple[list[Constraint], list[CrewFinding]]:
    """Every crew rule for every crew member of the option; a crew member not in the records is refused."""
    assert option.new_departure_utc is not None and option.new_arrival_utc is not None
    rating = rating_of(snapshot, aircraft_by_tail(snapshot, option.tail))
    unknown: list[Constraint] = []
    findings: list[CrewFinding] = []
    for cid in [*option.cockpit_crew_ids, *option.cabin_crew_ids]:
        member = snapshot.crew_member(cid)
        if member is None:
            unknown.append(
                constraint(
                    option.option_id,
                    RULE_RECORDS,
                    f"{cid} is not in the crew records",
                    binding=True,
                    violated=True,
                )
            )
            continue
        findings.extend(
            check_crew_member(
                snapshot,
                member,
                departure=option.new_departure_utc,
                arrival=option.new_arrival_utc,
                aircraft_rating=rating,
                policy=policy,
                reserve=cid in option.replacement_crew_ids,
            )
        )
    return unknown, findings


def _shown_constraints(option_id: str, findings: list[CrewFinding]) -> list[Constraint]:
    """Every broken or flagged finding, plus the tightest passed FDP, rest and cumulative check."""
    shown = [_as_constraint(option_id, x) for x in findings if x.violated or x.flag]
    for kind in ("fdp", "rest", "cumulative"):
        ok = [_as_constraint(option_id, x) for x in findings if x.kind == kind and not x.violated and not x.flag]
        shown.extend(worst(ok, 1))
    return shown


def _reserve_notes(snapshot: Snapshot) -> list[str]:
    rating = rating_of(snapshot, snapshot.aircraft)
    notes = []
    for r in snapshot.reserves:
        if r.cockpit and rating is not None and rating not in r.type_ratings:
            notes.append(f"reserve {r.crew_id} ({r.rank}) lacks the {rating} type rating: not usable")
    return notes


def assess(snapshot: Snapshot, options: list[RecoveryOption], policy: Policy) -> AgentView:
    assessments = [_assess_option(snapshot, o, policy) for o in options]
    preferred = prefer(options, assessments, avoid_cancel=True)
    infeasible = [a.option_id for a in assessments if not a.feasible]
    reserve_notes = _reserve_notes(snapshot)
    by_rank: dict[str, int] = {}
    for r in snapshot.reserves:
        by_rank[r.rank] = by_rank.get(r.rank, 0) + 1
    for a in assessments:
        a.metrics["reserves_at_station"] = float(len(snapshot.reserves))
    rationale = (
        f"Checked {len(options)} options against FTL (Table 2, rest, cumulative). "
        + (f"Crew-illegal: {', '.join(infeasible)}. " if infeasible else "No crew limit broken. ")
        + f"Reserves at {snapshot.flight.origin}: "
        + (", ".join(f"{n} {k}" for k, n in sorted(by_rank.items())) or "none")
        + ". "
        + " ".join(reserve_notes)
    ).strip()
    missing = [
        c for c in [*snapshot.flight.cockpit_crew, *snapshot.flight.cabin_crew] if c not in snapshot.duties
    ]
    confidence = 0.95 - (0.2 if missing else 0.0)
    return make_view("crew_compliance", assessments, preferred, confidence, rationale)
