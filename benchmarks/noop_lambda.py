"""The no-op baseline for bench_latency: one Lambda function behind every Task of a copy of the real ASL.

It returns, instantly, the output the real handler produced for the same step (recorded from one real run), so
the baseline execution follows exactly the same path (same Map sizes, same Choice outcomes) with the same state
sizes; only the handlers' work (domain logic, DynamoDB/S3 calls) is missing. The approval task keeps its token
in TOKENS (by execution ARN) so the benchmark can answer it.
"""

from __future__ import annotations

from typing import Any

RECORDED: dict[tuple[str, str, int], Any] = {}  # (step, agent, phase) -> the real handler's output
TOKENS: dict[str, str] = {}  # execution ARN -> task token of AwaitDutyManagerApproval


def step_of(event: dict[str, Any]) -> str:
    if "task_token" in event:
        return "RequestApprovalFunction"
    if "approval" in event:
        return "FinalizeFunction"
    if "views" in event:
        return "ArbitrateFunction"
    if "error" in event:
        return "RecordAgentFailureFunction"
    if "agent" in event:
        return "AgentFunction"
    return "PrepareFunction"


def key(event: dict[str, Any]) -> tuple[str, str, int]:
    return step_of(event), str(event.get("agent", "")), int(event.get("phase", 0) or 0)


def lambda_handler(event: dict[str, Any], context: Any) -> Any:
    if "task_token" in event:
        TOKENS[event["execution_arn"]] = event["task_token"]
    return RECORDED[key(event)]
