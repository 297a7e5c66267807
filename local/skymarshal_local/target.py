"""Where the CLI points: a deployed stack (`--stack-name`, reads its Outputs) or an endpoint (`--endpoint-url`,
the embedded stack served by `skymarshal serve`). One code path for both: boto3 with or without endpoint_url.

Operations shared by the CLI commands (start, approve, reject, status, show) live here too, so `run`,
`serve` and the one-shot commands do the same thing the same way.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from skymarshal import approvals, aws, intake
from skymarshal.checkpoints import CheckpointStore
from skymarshal.config import policy
from skymarshal.errors import (
    ApprovalExpired,
    ApprovalNotPending,
    CheckpointNotFound,
    ResourcesContested,
    TransientDependencyError,
)
from skymarshal.models import DisruptionEvent
from skymarshal.opsdata import DynamoOpsReader
from skymarshal.steps import parse_event
from skymarshal.stores.fleet import FleetStore
from skymarshal_local import localenv
from skymarshal_local.localenv import DEFAULT_ENDPOINT, REGION, STACK_NAME

__all__ = ["DEFAULT_ENDPOINT", "InvalidEventFile", "Target", "TargetError", "read_event"]


class TargetError(RuntimeError):
    """Something the operator can fix: unknown thread, no stack, nothing pending. The CLI prints the message
    and exits with `exit_code`."""

    exit_code = 1


class InvalidEventFile(TargetError):
    """The event file cannot be read or is not a valid disruption event (refused before anything starts)."""

    exit_code = 2


class AlreadyStarted(TargetError):
    """The event's execution exists already (execution name = event id): nothing new was started."""

    def __init__(self, thread_id: str, execution_arn: str) -> None:
        super().__init__(f"event {thread_id} was already started (execution name = event id)")
        self.thread_id, self.execution_arn = thread_id, execution_arn


@dataclass
class Target:
    endpoint_url: str | None = None
    stack_name: str = STACK_NAME
    region: str | None = None
    outputs: dict[str, str] = field(default_factory=dict)

    @property
    def local(self) -> bool:
        return self.endpoint_url is not None

    def activate(self) -> Target:
        """Point this process's AWS clients (including skymarshal's stores) at the target, read Outputs."""
        if self.endpoint_url:
            os.environ["AWS_ENDPOINT_URL"] = self.endpoint_url
            os.environ.setdefault("AWS_ACCESS_KEY_ID", "local")
            os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "local")
            self.region = self.region or REGION
        if self.region:
            os.environ["AWS_DEFAULT_REGION"] = self.region
        aws.reset()
        if not self.outputs:
            self.outputs = self._read_outputs()
        return self

    def client(self, service: str) -> Any:
        # credentials from the environment: activate() has set local ones for an endpoint
        return localenv.client(service, self.endpoint_url, self.region, attempts=5, local_credentials=False)

    def _read_outputs(self) -> dict[str, str]:
        try:
            stack = self.client("cloudformation").describe_stacks(StackName=self.stack_name)["Stacks"][0]
        except Exception as exc:
            where = self.endpoint_url or f"AWS ({self.region or 'default region'})"
            hint = " Start it with `skymarshal serve`." if self.local else ""
            raise TargetError(f"no SkyMarshal stack {self.stack_name!r} at {where}: {exc}.{hint}") from exc
        outputs = {o["OutputKey"]: o["OutputValue"] for o in stack.get("Outputs", [])}
        if "StateMachineArn" not in outputs:  # the embedded stack creates it through the API (see emulator/stack.py)
            env = next((p["ParameterValue"] for p in stack.get("Parameters", [])
                        if p["ParameterKey"] == "EnvironmentName"), "local")
            for sm in self.client("stepfunctions").list_state_machines()["stateMachines"]:
                if sm["name"] == f"skymarshal-{env}-disruption":
                    outputs["StateMachineArn"] = sm["stateMachineArn"]
        return outputs

    @property
    def store(self) -> CheckpointStore:
        return CheckpointStore(self.outputs["CheckpointTableName"], self.outputs["CheckpointBucketName"])

    @property
    def holds(self) -> FleetStore:
        """Holds and commitments of decisions on the shared operation (OpsDataTable)."""
        return FleetStore(self.outputs["OpsDataTableName"])

    @property
    def state_machine_arn(self) -> str:
        return self.outputs["StateMachineArn"]

    # ------------------------------------------------------------------------------------------
    # Operations
    # ------------------------------------------------------------------------------------------
    def admit(self, event: DisruptionEvent) -> str:
        """The intake's rules, before anything starts: the flight is in the stack's operational data and does
        not contradict the event, and the input fits Step Functions' 256 KiB. Returns the execution input."""
        try:
            intake.admit(event, DynamoOpsReader(self.outputs.get("OpsDataTableName")), policy())
            return intake.execution_input(event)
        except intake.Rejection as refused:
            raise InvalidEventFile(f"{refused.field}: {refused.reason} ({refused.code}; nothing started)") from None

    def start(self, event: DisruptionEvent) -> str:
        """Start one execution named after the event id: a re-sent event never starts a second workflow."""
        text = self.admit(event)
        sfn = self.client("stepfunctions")
        try:
            return str(sfn.start_execution(
                stateMachineArn=self.state_machine_arn, name=intake.execution_name(event), input=text,
            )["executionArn"])
        except sfn.exceptions.ExecutionAlreadyExists as exc:
            raise AlreadyStarted(event.thread_id, self.execution_arn(event.thread_id)) from exc

    def execution_arn(self, thread_id: str) -> str:
        thread = self.store.get_thread(thread_id)
        if thread and thread.get("execution_arn"):
            return str(thread["execution_arn"])
        return self.state_machine_arn.replace(":stateMachine:", ":execution:") + f":{thread_id}"

    def execution_of(self, execution_arn_or_thread: str) -> tuple[str, str]:
        """(execution ARN, thread id) from either: an ARN's last part is the execution name, the thread id."""
        if execution_arn_or_thread.startswith("arn:"):
            return execution_arn_or_thread, execution_arn_or_thread.rsplit(":", 1)[-1]
        return self.execution_arn(execution_arn_or_thread), execution_arn_or_thread

    def approver_identity(self, display_name: str) -> str:
        """Who approves. On a deployed stack the caller's AWS identity (STS GetCallerIdentity), with
        `display_name` (the --approver option) only beside it: `arn:aws:sts::1:assumed-role/DutyManager/alice
        (Alice)`; the embedded stack has no identities, so there the display name is the id."""
        if self.local:
            return display_name
        try:
            arn = str(self.client("sts").get_caller_identity()["Arn"])
        except Exception as exc:
            raise TargetError(f"cannot tell who you are from your AWS credentials (STS GetCallerIdentity): {exc}"
                              ) from exc
        identity = f"{arn} ({display_name})"
        return identity if len(identity) <= 128 else arn[-128:]

    def decide(self, thread_id: str, approved: bool, approver_id: str, comments: str) -> dict[str, Any]:
        """Approve or reject a pending decision: record it once (conditional write), then answer the task
        token. A second answer is refused; an answer after the timeout is refused and the thread escalated."""
        try:
            response = approvals.decide(self.store, self.client("stepfunctions"), thread_id, approved, approver_id,
                                        comments, self.holds)
        except (ApprovalNotPending, ApprovalExpired, CheckpointNotFound, TransientDependencyError,
                ResourcesContested) as exc:
            raise TargetError(str(exc)) from exc
        return response.model_dump(mode="json")

    def wait(self, execution_arn: str, until: set[str], timeout: float = 120.0) -> dict[str, Any]:
        """Poll DescribeExecution until one of `until` statuses (or the thread awaits approval)."""
        sfn = self.client("stepfunctions")
        deadline = time.monotonic() + timeout
        while True:
            desc = sfn.describe_execution(executionArn=execution_arn)
            if desc["status"] in until:
                return dict(desc)
            if "AWAITING_APPROVAL" in until and self._awaiting(desc):
                return {**desc, "status": "AWAITING_APPROVAL"}
            if time.monotonic() > deadline:
                raise TargetError(f"{execution_arn} still {desc['status']} after {timeout:.0f}s")
            time.sleep(0.1)

    def _awaiting(self, desc: dict[str, Any]) -> bool:
        if desc["status"] != "RUNNING":
            return False
        thread_id = desc["name"]
        approval = self.store.get_approval(thread_id)
        if not (approval and approval["approval_status"] == "pending"
                and approval.get("execution_arn") == desc["executionArn"]):
            return False
        redriven = desc.get("redriveDate")
        if redriven is not None and datetime.fromisoformat(approval["requested_at"]) < redriven:
            return False  # the request (and its task token) of the attempt before the redrive: asked again soon
        thread = self.store.get_thread(thread_id)  # recorded last by RequestApproval: the request is complete
        return bool(thread and thread["status"] == "awaiting_approval")

    def history(self, execution_arn: str) -> list[dict[str, Any]]:
        sfn = self.client("stepfunctions")
        events: list[dict[str, Any]] = []
        kwargs: dict[str, Any] = {"executionArn": execution_arn}
        while True:
            page = sfn.get_execution_history(**kwargs)
            events.extend(page["events"])
            if not page.get("nextToken"):
                return events
            kwargs["nextToken"] = page["nextToken"]


def read_event(path: Path) -> DisruptionEvent:
    """Read and validate an event file; the error names the file, the field and the reason."""
    try:
        data = intake.decode_json(path.read_text())
    except OSError as exc:
        raise InvalidEventFile(f"{path}: cannot read a JSON event: {exc}") from exc
    except intake.Rejection as refused:
        raise InvalidEventFile(f"{path}: cannot read a JSON event: {refused.reason}") from None
    try:
        return parse_event(data)
    except Exception as exc:
        raise InvalidEventFile(f"{path}: {exc}") from exc
