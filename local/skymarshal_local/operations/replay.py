"""Replay (time travel): a new execution, linked to an earlier thread, that resumes after one of its checkpoints.

`replay(target, thread_id, from_checkpoint)` starts the same state machine with the original event under a new
thread id `{thread}-replay-{n}` and a `resume` block `{"replay_of": thread, "from_checkpoint": id}`.
PrepareDisruption (skymarshal.steps.prepare) records `replay_of`/`replay_from` on the new thread, copies the
stored state up to that checkpoint into it (event, snapshot, options, and the agents' views, each copy marked
`copied_from`), and the `ResumeFromCheckpoint` Choice routes the run:
- all seven phase-2 views at or before the checkpoint -> ArbitrateDecision (re-arbitrate, e.g. after a policy
  change) with the stored phase-2 views;
- all seven phase-1 views -> Phase2_AgentsReviseViews with the stored phase-1 views;
- otherwise -> Phase 1 with the stored snapshot and options (the operation is never re-snapshotted).
The granularity is therefore the phase: a checkpoint in the middle of a phase resumes at that phase's start.
The original thread is never modified. Works the same on AWS (it is a plain StartExecution).
"""

from __future__ import annotations

import json
from typing import Any

from skymarshal.checkpoints import CheckpointStore
from skymarshal.models import Ref
from skymarshal_local.target import Target, TargetError

MAX_THREAD_ID = 64


def replay_thread_id(thread_id: str, n: int) -> str:
    suffix = f"-replay-{n}"
    return thread_id[: MAX_THREAD_ID - len(suffix)] + suffix


def replay(target: Target, thread_id: str, from_checkpoint: str) -> dict[str, Any]:
    """Start the replay; returns {thread_id, replay_of, from_checkpoint, execution_arn, resume_step}."""
    store: CheckpointStore = target.store
    if store.get_thread(thread_id) is None:
        raise TargetError(f"thread {thread_id} does not exist (`skymarshal status`)")
    history = store.history(thread_id)
    found = next((c for c in history if c["checkpoint_id"] == from_checkpoint), None)
    if found is None:
        raise TargetError(f"thread {thread_id} has no checkpoint {from_checkpoint} (`skymarshal audit {thread_id}`)")
    starts = [c for c in history if c["step"] == "start"]
    if not starts:
        raise TargetError(f"thread {thread_id} has no start checkpoint: nothing to replay")
    event = store.load(Ref(thread_id=thread_id, checkpoint_id=starts[0]["checkpoint_id"]))
    n = 1
    while store.get_thread(replay_thread_id(thread_id, n)) is not None:
        n += 1
    new_thread = replay_thread_id(thread_id, n)
    event["event_id"] = new_thread
    event["resume"] = {"replay_of": thread_id, "from_checkpoint": from_checkpoint}
    sfn = target.client("stepfunctions")
    try:
        arn = sfn.start_execution(stateMachineArn=target.state_machine_arn, name=new_thread,
                                  input=json.dumps(event))["executionArn"]
    except sfn.exceptions.ExecutionAlreadyExists as exc:
        raise TargetError(f"replay {new_thread} was already started") from exc
    return {
        "thread_id": new_thread,
        "replay_of": thread_id,
        "from_checkpoint": from_checkpoint,
        "from_step": found["step"],
        "execution_arn": str(arn),
    }
