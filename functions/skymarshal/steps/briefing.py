"""The optional step after arbitration: a foundation model explains the decision, under the guard.

The arbitrator has already checkpointed the template briefing (its `Ref` is `DecisionSummary.briefing`). This
step loads it, lets the configured writer (skymarshal.briefing) try the model, and checkpoints the result —
the model's text, or the template's with the reason — with the prompt, the model id, the token counts and the
guard's verdict. It returns the new `Ref`, which the state machine puts in `$.decision.briefing`, so the
approval request carries the briefing the duty manager should read.
"""

from __future__ import annotations

from skymarshal.briefing import Writer
from skymarshal.models import Briefing, BriefingTask, Ref
from skymarshal.observability import Timer
from skymarshal.stores import Store


def write_briefing(task: BriefingTask, store: Store, writer: Writer | None) -> Ref | None:
    """The briefing the approval request should carry (unchanged when no model is configured)."""
    ref = task.decision.briefing
    if ref is None or writer is None:
        return ref
    timer = Timer()
    template = Briefing.model_validate(store.load(ref))
    briefing = writer(template)
    call = briefing.model
    cp = store.put(
        task.thread_id, "briefing", briefing, status=briefing.source, duration_ms=timer.ms,
        meta={"model_id": call.model_id if call else None,
              "input_tokens": call.input_tokens if call else None,
              "output_tokens": call.output_tokens if call else None,
              "guard_passed": briefing.guard.passed if briefing.guard else None,
              "fallback_reason": briefing.fallback_reason},
    )
    return cp.ref
