"""What several steps share: references to a thread's checkpoints, the stored event/snapshot/options every
agent and the arbitrator read, and the small summary of an agent's view that travels in the execution state."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from skymarshal.domain.operation import Snapshot
from skymarshal.models import AgentSummary, AgentView, DisruptionEvent, RecoveryOption, Ref
from skymarshal.stores import Store

VIEW_STEPS = ("agent_complete", "agent_unavailable")  # the checkpoints that hold an agent's view


def checkpoint_ref(checkpoint: dict[str, Any]) -> Ref:
    """The reference to a checkpoint item of `history()`."""
    return Ref(thread_id=checkpoint["thread_id"], checkpoint_id=checkpoint["checkpoint_id"])


def ref_of(checkpoint: dict[str, Any] | None) -> Ref | None:
    """The reference to a checkpoint item of `history()`, or None for no checkpoint."""
    return checkpoint_ref(checkpoint) if checkpoint else None


def option_ids_of(options_checkpoint: dict[str, Any]) -> list[str]:
    """The option ids recorded on an `options` checkpoint (no need to load its payload)."""
    return list(options_checkpoint.get("meta", {}).get("option_ids") or [])


def load_context(
    store: Store, event: Ref, snapshot: Ref, options: Ref, views: Sequence[Ref] = ()
) -> tuple[DisruptionEvent, Snapshot, list[RecoveryOption], list[AgentView]]:
    """The event, snapshot, options and the agents' views of a step, in one read of what is not cached."""
    payloads = store.load_many([event, snapshot, options, *views])
    return (
        DisruptionEvent.model_validate(payloads[0]),
        Snapshot.model_validate(payloads[1]),
        [RecoveryOption.model_validate(o) for o in payloads[2]],
        [AgentView.model_validate(v) for v in payloads[3:]],
    )


def summarize(view: AgentView, ref: Ref, reused: bool = False) -> AgentSummary:
    return AgentSummary(
        agent=view.agent,
        phase=view.phase,
        status=view.status,
        preferred_option=view.preferred_option,
        confidence=view.confidence,
        revision=view.revision.action if view.revision else None,
        view=ref,
        reused=reused,
    )
