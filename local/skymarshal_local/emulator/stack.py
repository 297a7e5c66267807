"""The embedded stack: template.yaml deployed into moto on 127.0.0.1, with the real ASL and the real handlers.

What it does, in order (see ../shared/LOCAL_ENGINE.md for why):
1. start moto's server in a thread on 127.0.0.1:PORT (MOTO_PORT set first, so the ASL engine calls back here),
   with state-machine execution turned on, moto patched (patches.py) and Lambda invocations routed to
   `runtime.RUNTIME`;
2. zip `functions/` into a local artifacts bucket, translate template.yaml with samtranslator (moto ignores
   `Transform`), and create the translated stack with moto's CloudFormation;
3. create the state machine through the Step Functions API from `statemachines/disruption.asl.json` with the
   template's DefinitionSubstitutions resolved against the stack's resources (moto's CloudFormation ignores
   DefinitionUri/DefinitionSubstitutions and would put it in a non-executing backend);
4. with a state directory (statedir.py), restore what an earlier process saved, then save as it changes;
5. `ready()`: open StartExecution (refused while `start(ready=False)` callers load data), start the SQS pollers,
   and continue the executions that the previous process left waiting for the duty manager.
The AWS CLI and boto3 then work against it unchanged with `--endpoint-url http://127.0.0.1:PORT`.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import socket
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import requests

from skymarshal import aws
from skymarshal.checkpoints import CheckpointStore
from skymarshal.errors import CheckpointConflict, CheckpointNotFound
from skymarshal_local import localenv
from skymarshal_local.collector import collector_paused
from skymarshal_local.emulator import patches
from skymarshal_local.emulator.eventsource import start_local_delivery
from skymarshal_local.emulator.iam import GATE
from skymarshal_local.emulator.statedir import INTERRUPTED_ERROR, Interrupted, StateDir
from skymarshal_local.localenv import ACCOUNT, FUNCTIONS_DIR, LOCAL_ENV, REGION, STACK_NAME, put_back_environ
from skymarshal_local.template import ASL, STATE_MACHINE_ID, code_zip, load_template, translate

ARTIFACTS_BUCKET = "skymarshal-local-artifacts"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def quiet_logs() -> None:
    """moto's ASL parser logs huge ERROR lines for expected failures; werkzeug logs every request."""
    warnings.filterwarnings("ignore", message=".*not supported by moto's CloudFormation.*")
    for name in ("moto", "moto.stepfunctions.parser", "werkzeug", "botocore", "urllib3", "samtranslator"):
        logging.getLogger(name).setLevel(logging.CRITICAL)


@dataclass
class EmbeddedStack:
    port: int = 0
    parameters: dict[str, str] = field(default_factory=dict)
    stack_name: str = STACK_NAME
    outputs: dict[str, str] = field(default_factory=dict)
    _server: Any = None
    delivery: Any = None  # eventsource.EventSourcePoller: SQS -> Lambda, as AWS's pollers
    state_dir: Path | None = None  # None: in memory only (tests); else saved and restored (statedir.py)
    state: StateDir | None = None
    interrupted: list[Interrupted] = field(default_factory=list)  # RUNNING when the previous process stopped
    continued: dict[str, str] = field(default_factory=dict)  # thread -> what ready() did with it
    _displaced: dict[str, Any] = field(default_factory=dict)  # what start() repointed, put back by stop()

    @property
    def endpoint_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def client(self, service: str) -> Any:
        return localenv.client(service, self.endpoint_url)

    # ------------------------------------------------------------------------------------------
    def start(self, ready: bool = True) -> EmbeddedStack:
        """Start the server, deploy, restore the state directory; `ready=False` keeps StartExecution refused
        and the pollers stopped until `ready()` (while the caller loads operational data)."""
        # moto's modules, the template and the deployed resources live as long as the stack and have few
        # cycles: the collector only rescanned them (a start took ~6 s with it, ~4 s without)
        with collector_paused(keep=True):
            # moto is slow to import: only a started stack needs its server
            from skymarshal_local.emulator.keepalive import KeepAliveMotoServer

            quiet_logs()
            if self.state_dir is not None:
                self.state = StateDir(Path(self.state_dir)).acquire()  # StateDirBusy before anything starts
            self.port = self.port or free_port()
            # imported on use: only a started stack runs Lambda functions
            from skymarshal_local.emulator.runtime import RUNTIME

            self._displaced = {"environ": {k: os.environ.get(k) for k in ("MOTO_PORT", "AWS_ENDPOINT_URL")},
                               "service_environment": RUNTIME.service_environment}
            os.environ.update(LOCAL_ENV)
            os.environ["MOTO_PORT"] = str(self.port)  # the ASL engine's clients call back on this port
            os.environ["AWS_ENDPOINT_URL"] = self.endpoint_url  # the operator side's boto3 clients
            patches.install()
            patches.READY.clear()
            RUNTIME.overrides = {k: v for k, v in LOCAL_ENV.items() if k.startswith("POWERTOOLS_")}
            RUNTIME.service_environment = {**{k: v for k, v in LOCAL_ENV.items() if k.startswith("AWS_")},
                                           "AWS_ENDPOINT_URL": self.endpoint_url}
            self._server = KeepAliveMotoServer(ip_address="127.0.0.1", port=self.port, verbose=False)
            self._server.start()
            requests.post(
                f"{self.endpoint_url}/moto-api/config",
                json={"stepfunctions": {"execute_state_machine": True}},
                timeout=10,
            ).raise_for_status()
            self.deploy()
            if self.state is not None:
                self.interrupted = self.state.restore()
        if ready:
            self.ready()
        return self

    def ready(self) -> None:
        """Open the stack to workflows: StartExecution, the SQS pollers, saving; continue interrupted approvals."""
        patches.READY.set()
        self.delivery = start_local_delivery(self.endpoint_url, REGION)
        if self.state is not None:
            self.state.save(everything=True)
            self.state.start_saving()
            self.continued = self._continue_interrupted()

    def _continue_interrupted(self) -> dict[str, str]:
        """The previous process stopped while these executions ran (now FAILED, LocalStackStopped). One that
        waited for the duty manager is redriven (RedriveExecution restarts it at the approval state, which asks
        again: same thread, same execution ARN, a new task token); any other stays FAILED, its thread marked
        failed with the cause, for the operator to `redrive` or `replay`."""
        store = CheckpointStore(self.outputs["CheckpointTableName"], self.outputs["CheckpointBucketName"])
        sfn = self.client("stepfunctions")
        done: dict[str, str] = {}
        for run in self.interrupted:
            approval = store.get_approval(run.thread_id)
            waiting = bool(approval and approval.get("approval_status") == "pending"
                           and approval.get("execution_arn") == run.execution_arn)
            if waiting:
                try:
                    sfn.redrive_execution(executionArn=run.execution_arn)
                    done[run.thread_id] = "approval asked again (redriven)"
                    continue
                except Exception as exc:  # the thread below says why and what to do
                    reason = f"could not ask again for the approval: {exc}"
            else:
                reason = f"stopped in {run.last_state or 'its first state'}"
            cause = (f"{INTERRUPTED_ERROR}: the local stack stopped while this execution ran ({reason}); "
                     f"continue with `skymarshal redrive {run.thread_id}` or `skymarshal replay {run.thread_id} "
                     "--from CHECKPOINT`")
            with contextlib.suppress(CheckpointNotFound, CheckpointConflict):
                store.set_status(run.thread_id, "failed", failure=cause)
            done[run.thread_id] = "failed: " + reason
        return done

    def stop(self) -> None:
        """Stop the pollers, save the state (when the stack was ready), stop the server, release the state."""
        if self.delivery is not None:
            self.delivery.stop()
            self.delivery = None
        if self.state is not None:
            saving = self.state._thread is not None
            self.state.stop_saving()
            try:
                if saving:
                    self.state.save()
            finally:
                self.state.release()
                self.state = None
        if self._server is not None:
            self._server.stop()
            self._server = None
        self._give_back_endpoint()

    def _give_back_endpoint(self) -> None:
        """moto's backend is process-global: a stack started inside another one's life (`skymarshal run` in a
        process that serves a stack) serves the same resources on another port. When it stops, the engine's
        callbacks and the functions' clients go back to the port that is still listening, not the closed one."""
        from skymarshal_local.emulator.runtime import RUNTIME

        if not self._displaced or os.environ.get("MOTO_PORT") != str(self.port):
            return  # never started, or a stack started since owns the endpoint now
        put_back_environ(self._displaced["environ"])
        RUNTIME.service_environment = self._displaced["service_environment"]
        self._displaced = {}
        aws.reset()

    def __enter__(self) -> EmbeddedStack:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # ------------------------------------------------------------------------------------------
    def deploy(self) -> dict[str, str]:
        """Create (or re-create) the stack from template.yaml and the state machine from its ASL."""
        # imported on use: creating the runtime routes sys.stdout (see runtime.py); start() has created it
        from skymarshal_local.emulator.runtime import RUNTIME

        params = {"EnvironmentName": "local", **self.parameters}
        s3 = self.client("s3")
        with contextlib.suppress(s3.exceptions.BucketAlreadyOwnedByYou, s3.exceptions.BucketAlreadyExists):
            s3.create_bucket(Bucket=ARTIFACTS_BUCKET)
        s3.put_object(Bucket=ARTIFACTS_BUCKET, Key="functions.zip", Body=code_zip(FUNCTIONS_DIR))

        sam = load_template()
        sam["Globals"]["Function"]["CodeUri"] = f"s3://{ARTIFACTS_BUCKET}/functions.zip"
        sm_props = sam["Resources"][STATE_MACHINE_ID]["Properties"]
        sm_props["DefinitionUri"] = {"Bucket": ARTIFACTS_BUCKET, "Key": "disruption.asl.json"}
        cfn = translate(sam, params)
        sm = cfn["Resources"].pop(STATE_MACHINE_ID)
        # the state machine is created through the API below (see the module docstring): what refers to it in
        # the template (the status-change rule's pattern) gets its ARN, known from its name
        cfn["Resources"] = _replace_ref(cfn["Resources"], STATE_MACHINE_ID, self._state_machine_arn(params))
        cfn["Outputs"] = {k: v for k, v in cfn.get("Outputs", {}).items() if STATE_MACHINE_ID not in json.dumps(v)}

        cf = self.client("cloudformation")
        with contextlib.suppress(Exception):
            cf.delete_stack(StackName=self.stack_name)
        cf.create_stack(
            StackName=self.stack_name,
            TemplateBody=json.dumps(cfn),
            Parameters=[{"ParameterKey": k, "ParameterValue": str(v)} for k, v in params.items()
                        if k in cfn.get("Parameters", {})],
            Capabilities=["CAPABILITY_IAM", "CAPABILITY_AUTO_EXPAND"],
        )
        stack = cf.describe_stacks(StackName=self.stack_name)["Stacks"][0]
        if stack["StackStatus"] != "CREATE_COMPLETE":
            reason = stack.get("StackStatusReason")
            raise RuntimeError(f"local stack {self.stack_name}: {stack['StackStatus']} {reason}")
        resources = {
            r["LogicalResourceId"]: r["PhysicalResourceId"]
            for r in cf.describe_stack_resources(StackName=self.stack_name)["StackResources"]
            # moto lists resource types it does not model without a logical id, and Lambda permissions
            # (SAM's HttpApi/Schedule events) without a physical id
            if "LogicalResourceId" in r and "PhysicalResourceId" in r
        }
        functions = {logical: physical for logical, physical in resources.items()
                     if cfn["Resources"].get(logical, {}).get("Type") == "AWS::Lambda::Function"}
        for logical, physical in functions.items():
            RUNTIME.logical_names[physical] = logical
        GATE.load(functions, self.client("iam"), self.client("lambda"))  # each function's calls, as its role allows

        arn = self._create_state_machine(sm, resources, params)
        self.outputs = {o["OutputKey"]: o["OutputValue"] for o in stack.get("Outputs", [])}
        self.outputs["StateMachineArn"] = arn
        return self.outputs

    def _create_state_machine(self, sm: dict[str, Any], resources: dict[str, str], params: dict[str, str]) -> str:
        props = sm["Properties"]
        definition = ASL.read_text()
        for name, value in props.get("DefinitionSubstitutions", {}).items():
            definition = definition.replace("${" + name + "}", self._resolve(value, resources))
        role = self._resolve(props["RoleArn"], resources)
        name = self._state_machine_name(params)
        sfn = self.client("stepfunctions")
        for existing in sfn.list_state_machines()["stateMachines"]:
            if existing["name"] == name:
                sfn.delete_state_machine(stateMachineArn=existing["stateMachineArn"])
        created = sfn.create_state_machine(name=name, definition=definition, roleArn=role, type="STANDARD")
        return str(created["stateMachineArn"])

    @staticmethod
    def _state_machine_name(params: dict[str, str]) -> str:
        return f"skymarshal-{params['EnvironmentName']}-disruption"

    def _state_machine_arn(self, params: dict[str, str]) -> str:
        return f"arn:aws:states:{REGION}:{ACCOUNT}:stateMachine:{self._state_machine_name(params)}"

    @staticmethod
    def _resolve(value: Any, resources: dict[str, str]) -> str:
        """The intrinsics the template uses in DefinitionSubstitutions/RoleArn: GetAtt X.Arn and Ref."""
        if isinstance(value, str):
            return value
        if "Fn::GetAtt" in value:
            logical, attr = value["Fn::GetAtt"]
            physical = resources[logical]
            if attr != "Arn":
                raise ValueError(f"unsupported GetAtt {logical}.{attr}")
            if physical.startswith("arn:"):
                return physical
            if logical.endswith("Role"):
                return f"arn:aws:iam::{ACCOUNT}:role/{physical}"
            return f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:{physical}"
        if "Ref" in value:
            pseudo = {"AWS::Partition": "aws", "AWS::Region": REGION, "AWS::AccountId": ACCOUNT}
            return pseudo.get(value["Ref"]) or resources[value["Ref"]]
        raise ValueError(f"unsupported intrinsic {value}")


def _replace_ref(value: Any, logical_id: str, physical: str) -> Any:
    """`{"Ref": logical_id}` anywhere in a template fragment, replaced by `physical`."""
    if isinstance(value, dict):
        if value == {"Ref": logical_id}:
            return physical
        return {k: _replace_ref(v, logical_id, physical) for k, v in value.items()}
    if isinstance(value, list):
        return [_replace_ref(v, logical_id, physical) for v in value]
    return value
