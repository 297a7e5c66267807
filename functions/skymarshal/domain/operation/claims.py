"""A claim on a shared resource of the operation (a tail, a crew member, a flight's plan): held by a pending
decision or committed by an approved one. Read by the snapshot, judged by option generation and the agents,
written by skymarshal.stores.fleet with conditional writes."""

from datetime import UTC, datetime
from typing import Literal

from pydantic import AwareDatetime, Field

from .records import Record

ResourceKind = Literal["flight", "tail", "crew", "seats"]
ClaimState = Literal["held", "committed"]


def resource_key(kind: ResourceKind, resource_id: str) -> str:
    return f"{kind}:{resource_id}"


def hhmmz(moment: datetime | None) -> str:
    return moment.astimezone(UTC).strftime("%H:%MZ") if moment else "-"


class Claim(Record):
    """A resource held (pending approval) or committed (approved) by one thread."""

    kind: ResourceKind
    resource_id: str
    thread_id: str
    state: ClaimState
    purpose: str = ""
    hold_until: AwareDatetime | None = Field(default=None, description="held: wall-clock end of the hold")
    busy_until: AwareDatetime | None = Field(default=None, description="operation time the resource is free again")
    flight_key: str | None = Field(default=None, description="the disrupted flight of the holding thread")

    @property
    def key(self) -> str:
        return resource_key(self.kind, self.resource_id)

    def blocks(self, thread_id: str, now: datetime | None, needed_from: datetime | None) -> bool:
        """Does this claim stop `thread_id` from taking the resource from `needed_from` (operation time)?
        A thread never blocks itself; a hold stops others until it lapses (wall clock `now`; None: the hold is
        live, as the snapshot keeps only live holds); a commitment stops others until the resource is free
        again (operation time; never, without an end)."""
        if self.thread_id == thread_id:
            return False
        if self.state == "held":
            return self.hold_until is None or now is None or self.hold_until > now
        if self.busy_until is None:
            return True
        return needed_from is None or self.busy_until > needed_from

    def reason(self) -> str:
        """`A6-XWE held by thread fleet-ey61 until 07:40Z` / `RC-CPT1 committed by thread x (busy until ...)`."""
        if self.state == "held":
            return f"{self.resource_id} held by thread {self.thread_id} until {hhmmz(self.hold_until)}"
        what = "out of service" if self.purpose == "out_of_service" else f"committed by thread {self.thread_id}"
        return f"{self.resource_id} {what} (busy until {hhmmz(self.busy_until)})"


def blocking(claims: dict[str, Claim], kind: ResourceKind, resource_id: str, thread_id: str,
             now: datetime | None, needed_from: datetime | None) -> Claim | None:
    """The claim that stops `thread_id` taking the resource, if any."""
    claim = claims.get(resource_key(kind, resource_id))
    return claim if claim is not None and claim.blocks(thread_id, now, needed_from) else None


