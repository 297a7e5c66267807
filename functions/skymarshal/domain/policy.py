"""The airline's choices: every *policy* value of FACTS.md, with its default, overridable as configuration.

Regulation numbers (the FDP table, EU261 amounts, MEL intervals) are not here: they live beside the rule that
uses them. What is here is what an airline may legitimately set differently.
"""

from typing import TYPE_CHECKING, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from .operation import CostParameters

if TYPE_CHECKING:  # a method's annotation: config imports the policy without the snapshot builder
    from .operation import Snapshot

ApprovalMode = Literal["always", "low_confidence", "cancellation", "cost_over_limit"]


class ArbitrationWeights(BaseModel):
    """Weights of the consequences among *legal* options: cost 20, passengers 20, network 20 (FACTS.md
    "Arbitration rules").

    `safety` (the remaining legal margin) defaults to 0, a deliberate departure from the original system's 40:
    legality is a gate, and trading a margin against money is trading safety for cost. The margin still
    decides near-ties (rule 2) and is shown on every option. A cancellation flies nothing, so on this measure
    it has a full margin: giving `safety` a weight favours cancelling (issue 11, defect 1).
    """

    model_config = ConfigDict(extra="forbid", defer_build=True)

    safety: float = Field(default=0, ge=0)
    cost: float = Field(default=20, ge=0)
    passengers: float = Field(default=20, ge=0)
    network: float = Field(default=20, ge=0)

    @model_validator(mode="after")
    def _not_all_zero(self) -> "ArbitrationWeights":
        if self.total <= 0:
            raise ValueError("at least one arbitration weight must be positive")
        return self

    @property
    def total(self) -> float:
        return self.safety + self.cost + self.passengers + self.network

    def normalised(self) -> dict[str, float]:
        t = self.total
        return {k: round(v / t, 6) for k, v in self.model_dump().items()}


class Policy(BaseModel):
    """Configuration of the decision engine. Every field has the FACTS.md default; all are overridable."""

    model_config = ConfigDict(extra="forbid", defer_build=True)

    weights: ArbitrationWeights = Field(default_factory=ArbitrationWeights)
    low_confidence_threshold: float = Field(default=0.5, ge=0, le=1)
    curfew_buffer_minutes: int = Field(default=15, ge=0, le=180)
    slot_tolerance_minutes: int = Field(default=15, ge=0, le=180)
    # Cold chain: extra time out of the chain a shipment tolerates, by temperature class (minutes).
    cold_chain_tolerance_minutes: dict[str, int] = Field(
        default_factory=lambda: {"frozen": 60, "REF": 120, "COL": 240}
    )
    # None: use the cost parameters of the operational data.
    cost_parameters: CostParameters | None = None
    approval_mode: ApprovalMode = "low_confidence"
    approval_cost_limit_eur: float = Field(default=50_000, ge=0)
    # Planning assumptions used to build options (minutes).
    report_before_departure_minutes: int = Field(default=60, ge=0, le=240, description="Crew sign-on")
    post_flight_duty_minutes: int = Field(default=30, ge=0, le=120)
    reserve_callout_minutes: int = Field(default=90, ge=0, le=600, description="Call-out to report")
    swap_preparation_minutes: int = Field(default=60, ge=0, le=600, description="Tail change turnaround")
    min_turnaround_minutes: int = Field(default=60, ge=0, le=600)
    default_rectification_minutes: int = Field(default=240, ge=0, description="When a defect has no estimate")
    max_delay_minutes: int = Field(default=24 * 60, ge=0, description="Longest delay an option may propose")
    plan_with_commanders_discretion: bool = Field(
        default=False,
        description="False: an option needing discretion is treated as breaking the FDP (flagged); "
        "True: it stays feasible but is flagged and escalated for the captain's agreement",
    )
    eu_carrier: bool = Field(
        default=True,
        description="EU261 Art. 3(1)(b), when the ops data does not say (flights[].community_carrier): is the "
        "operating carrier a Community carrier (its flights into the EU are then in scope)",
    )
    data_gap_confidence_penalty: float = Field(
        default=0.1, ge=0, le=1, description="Confidence lost per gap in the operational data"
    )
    # Plausibility of an event's reported_at (operations policy): an event about a flight is reported from
    # some days before its day of departure to some days after it, and never ahead of the clock beyond skew.
    reported_at_days_before_flight: int = Field(default=3, ge=0, le=30)
    reported_at_days_after_flight: int = Field(default=2, ge=0, le=30)
    reported_at_future_tolerance_minutes: int = Field(default=24 * 60, ge=0, le=7 * 24 * 60)
    max_swap_options: int = Field(default=2, ge=0, le=10)
    max_rebooking_flights: int = Field(default=4, ge=1, le=20)

    def costs(self, snapshot: "Snapshot") -> CostParameters:
        return self.cost_parameters or snapshot.cost_parameters

    def cold_chain_tolerance(self, temperature_class: str) -> int | None:
        return self.cold_chain_tolerance_minutes.get(temperature_class)



def __getattr__(name: str) -> Policy:
    """`DEFAULT_POLICY`, the defaults of FACTS.md, made on use: building Policy's validator at import would cost
    every function's cold start, and most use the configured policy (skymarshal.config.policy) instead."""
    if name == "DEFAULT_POLICY":
        return Policy()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
