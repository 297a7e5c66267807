"""A hub storm driven through the workflow's own steps, in this process, against a stack's tables: N disruptions
decided concurrently (prepare, 7 agents x 2 phases, arbitrate, request approval: holds), then approved in random
order by concurrent approvers (skymarshal.approvals.decide: commit, or 409 + re-plan), each finalized (apply,
release, start the re-plan). Every DynamoDB write is the real one (conditional writes, TransactWriteItems) on
the embedded stack's (or any) tables; only the state machine around the steps is replaced by this driver, so
50 decisions fit in a test and 200 in a benchmark. The whole ASL path of holds, commits and re-plans is covered
by tests/workflow/test_fleet.py on the real state machine.
"""

from __future__ import annotations

import contextlib
import json
import queue
import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from skymarshal import approvals, steps
from skymarshal.domain.policy import Policy
from skymarshal.errors import ResourcesContested
from skymarshal.models import ALL_AGENTS, SAFETY_AGENTS, AgentTask, ApprovalTask, ArbitrationTask, FinalizeTask
from skymarshal.opsdata import DynamoOpsReader
from skymarshal.stores import Store
from skymarshal.stores.fleet import FleetStore

EXECUTION = "arn:aws:states:us-east-1:123456789012:execution:skymarshal-storm:"


class _Gone(Exception):
    pass


class LocalTaskTokens:
    """Stands in for Step Functions around the steps: records task answers and the re-plans started."""

    class exceptions:
        TaskTimedOut = TaskDoesNotExist = InvalidToken = ExecutionAlreadyExists = ExecutionDoesNotExist = _Gone

    def __init__(self) -> None:
        self.answers: dict[str, dict[str, Any]] = {}
        self.started: queue.Queue[dict[str, Any]] = queue.Queue()
        self._lock = threading.Lock()

    def send_task_success(self, taskToken: str, output: str) -> None:
        with self._lock:
            self.answers[taskToken] = json.loads(output)

    def send_task_failure(self, taskToken: str, error: str, cause: str) -> None:
        with self._lock:
            self.answers[taskToken] = {"outcome": "rejected", "comments": cause}

    def describe_execution(self, executionArn: str) -> dict[str, Any]:
        """Every decision of the storm waits for its approval until it is answered here."""
        return {"executionArn": executionArn, "status": "RUNNING"}

    def start_execution(self, stateMachineArn: str, name: str, input: str) -> None:
        self.started.put(json.loads(input))


@dataclass
class StormResult:
    decided: list[str] = field(default_factory=list)
    outcomes: dict[str, str] = field(default_factory=dict)
    replans: int = 0
    refused: list[str] = field(default_factory=list)
    seconds: float = 0.0


@dataclass
class Storm:
    store: Store
    holds: FleetStore
    reader: DynamoOpsReader
    policy: Policy = field(default_factory=Policy)
    sfn: LocalTaskTokens = field(default_factory=LocalTaskTokens)
    guidance: Callable[..., Any] = lambda *a, **k: []

    def decide(self, raw_event: dict[str, Any]) -> tuple[str, Any]:
        """One disruption up to the pending approval (holds taken), as the state machine would run it."""
        prepared = steps.prepare(steps.PrepareTask(event=raw_event, execution_arn=EXECUTION + raw_event["event_id"]),
                                 self.store, self.reader, self.policy, 3600, holds=self.holds)
        refs = {"event": prepared.event, "snapshot": prepared.snapshot, "options": prepared.options}
        phase1 = [steps.run_agent(AgentTask(thread_id=prepared.thread_id, agent=a, safety=a in SAFETY_AGENTS,
                                            phase=1, **refs), self.store, self.policy) for a in ALL_AGENTS]
        phase2 = [steps.run_agent(AgentTask(thread_id=prepared.thread_id, agent=a, safety=a in SAFETY_AGENTS,
                                            phase=2, peers=phase1, **refs), self.store, self.policy)
                  for a in ALL_AGENTS]
        summary = steps.arbitrate(ArbitrationTask(thread_id=prepared.thread_id, views=phase2, **refs), self.store,
                                  self.policy, self.guidance)
        steps.request_approval(ApprovalTask(thread_id=prepared.thread_id, execution_arn=EXECUTION + prepared.thread_id,
                                            task_token=prepared.thread_id, timeout_seconds=3600, decision=summary),
                               self.store, self.holds, self.policy)
        return prepared.thread_id, summary

    def approve(self, thread_id: str, summary: Any, approver: str) -> str:
        """A duty manager approves; the workflow finalizes with the answer (a refused approval ends as a
        rejection of a superseded decision, whose Finalize starts the re-plan)."""
        with contextlib.suppress(ResourcesContested):  # refused (409): its Finalize starts the re-plan
            approvals.decide(self.store, self.sfn, thread_id, True, approver, "storm plan approved", self.holds)
        answer = self.sfn.answers[thread_id]
        result = steps.finalize(FinalizeTask(thread_id=thread_id, execution_arn=EXECUTION + thread_id,
                                             decision=summary, approval=answer),
                                self.store, self.holds, self.policy, self.sfn, self.reader)
        return result.outcome

    def run(self, events: list[dict[str, Any]], approvers: int = 3, seed: int = 12) -> StormResult:
        """Decide every event concurrently (`approvers` workers), approve pending decisions in random order,
        re-plan the superseded ones until every disruption has an approved plan (or nothing is left)."""
        out = StormResult()
        started = time.monotonic()
        todo: queue.Queue[dict[str, Any]] = queue.Queue()
        for e in events:
            todo.put(e)
        pending: list[tuple[str, Any]] = []
        lock = threading.Lock()
        active = [0]

        def worker(rng: random.Random) -> None:
            while True:
                with lock:
                    job = None
                    if pending and (todo.empty() or rng.random() < 0.5):
                        job = ("approve", pending.pop(rng.randrange(len(pending))))
                    elif not todo.empty():
                        job = ("decide", todo.get())
                    elif active[0] == 0:
                        return
                    if job is not None:
                        active[0] += 1
                if job is None:
                    time.sleep(0.01)
                    continue
                try:
                    if job[0] == "decide":
                        decided = self.decide(job[1])
                        with lock:
                            pending.append(decided)
                            out.decided.append(decided[0])
                    else:
                        thread_id, summary = job[1]
                        outcome = self.approve(thread_id, summary, f"dm-{id(rng) % 97}")
                        with lock:
                            out.outcomes[thread_id] = outcome
                            if outcome == "superseded":
                                out.replans += 1
                                out.refused.append(thread_id)
                        while not self.sfn.started.empty():
                            todo.put(self.sfn.started.get())
                finally:
                    with lock:
                        active[0] -= 1

        rng = random.Random(seed)
        threads = [threading.Thread(target=worker, args=(random.Random(rng.randrange(10**9)),))
                   for _ in range(approvers)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        out.seconds = time.monotonic() - started
        return out
