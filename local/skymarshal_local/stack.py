"""The embedded stack: template.yaml deployed into moto on 127.0.0.1, with the real ASL and the real handlers.

What it does, in order (see ../shared/LOCAL_ENGINE.md for why):
1. start moto's server in a thread on 127.0.0.1:PORT (MOTO_PORT set first, so the ASL engine calls back here),
   with state-machine execution turned on and Lambda invocations routed to `runtime.RUNTIME`;
2. zip `functions/` into a local artifacts bucket, translate template.yaml with samtranslator (moto ignores
   `Transform`), and create the translated stack with moto's CloudFormation;
3. create the state machine through the Step Functions API from `statemachines/disruption.asl.json` with the
   template's DefinitionSubstitutions resolved against the stack's resources (moto's CloudFormation ignores
   DefinitionUri/DefinitionSubstitutions and would put it in a non-executing backend).
The AWS CLI and boto3 then work against it unchanged with `--endpoint-url http://127.0.0.1:PORT`.
"""

from __future__ import annotations

import contextlib
import functools
import io
import json
import logging
import os
import socket
import threading
import warnings
import zipfile
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import boto3
from botocore.config import Config

ROOT = Path(__file__).resolve().parents[2]
TEMPLATE = ROOT / "template.yaml"
ASL = ROOT / "statemachines" / "disruption.asl.json"
REGION = "us-east-1"
ACCOUNT = "123456789012"
DEFAULT_PORT = 8642
STACK_NAME = "skymarshal-local"
ARTIFACTS_BUCKET = "skymarshal-local-artifacts"
STATE_MACHINE_ID = "DisruptionStateMachine"

LOCAL_ENV = {
    # fake credentials and region: nothing here ever reaches AWS
    "AWS_ACCESS_KEY_ID": "local",
    "AWS_SECRET_ACCESS_KEY": "local",
    "AWS_DEFAULT_REGION": REGION,
    "AWS_REGION": REGION,
    # Powertools, quiet and offline: no X-Ray daemon, no EMF lines in the terminal
    # Powertools offline: no X-Ray daemon. Logs and EMF metrics are captured per invocation by the runtime
    # (skymarshal_local.runtime), as Lambda sends them to CloudWatch Logs, instead of filling the terminal.
    "POWERTOOLS_TRACE_DISABLED": "true",
    "POWERTOOLS_LOG_LEVEL": os.environ.get("SKYMARSHAL_LOCAL_LOG_LEVEL", "INFO"),
}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def quiet_logs() -> None:
    """moto's ASL parser logs huge ERROR lines for expected failures; werkzeug logs every request."""
    warnings.filterwarnings("ignore", message=".*not supported by moto's CloudFormation.*")
    for name in ("moto", "moto.stepfunctions.parser", "werkzeug", "botocore", "urllib3", "samtranslator"):
        logging.getLogger(name).setLevel(logging.CRITICAL)


def load_template(path: Path = TEMPLATE) -> dict[str, Any]:
    from samtranslator.yaml_helper import yaml_parse  # CloudFormation short tags (!Ref, !Sub, ...)

    return yaml_parse(path.read_text())  # type: ignore[no-any-return]


def translate(template: dict[str, Any], parameters: dict[str, str]) -> dict[str, Any]:
    """SAM -> CloudFormation, offline (samtranslator; no managed-policy lookups)."""
    from samtranslator.parser.parser import Parser
    from samtranslator.translator.translator import Translator

    os.environ.setdefault("AWS_DEFAULT_REGION", REGION)
    translator = Translator(managed_policy_map=None, sam_parser=Parser())
    return translator.translate(  # type: ignore[no-any-return]
        sam_template=template, parameter_values=parameters, get_managed_policy_map=lambda: {}
    )


def code_zip(root: Path) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for path in sorted(root.rglob("*")):
            if path.is_file() and "__pycache__" not in path.parts and ".ruff_cache" not in path.parts:
                zf.write(path, path.relative_to(root).as_posix())
    return buf.getvalue()


@lru_cache(maxsize=1)
def _patch_moto() -> None:
    """Route moto's Lambda invocations to the in-process runtime and reuse the ASL engine's boto3 clients
    (stock moto builds a new client for every task: most of the per-task cost)."""
    from moto.awslambda.models import LambdaFunction
    from moto.stepfunctions.parser.asl.utils import boto_client as engine_clients

    from skymarshal_local.runtime import RUNTIME

    def _invoke_lambda(self: Any, event: Any = None) -> tuple[str, bool, str]:
        return RUNTIME.invoke(self, event)

    LambdaFunction._invoke_lambda = _invoke_lambda  # type: ignore[method-assign]

    # DynamoDB conditional writes are atomic on AWS; moto's server threads can interleave a condition check and
    # the write, so two compare-and-swap writers could both "win". Serialise moto's write paths.
    from moto.dynamodb.models import DynamoDBBackend

    write_lock = threading.RLock()

    def serialised(method: Any) -> Any:
        @functools.wraps(method)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            with write_lock:
                return method(*args, **kwargs)

        return wrapper

    for name in ("put_item", "update_item", "delete_item", "transact_write_items"):
        setattr(DynamoDBBackend, name, serialised(getattr(DynamoDBBackend, name)))

    # moto 5.2.5 drops SendTaskFailure's `cause`; AWS passes it to the Catch (a rejection's comment).
    from moto.core.responses import EmptyResult
    from moto.stepfunctions.responses import StepFunctionResponse

    def send_task_failure(self: Any) -> Any:
        self.stepfunction_backend.send_task_failure(
            self._get_param("taskToken"), error=self._get_param("error"), cause=self._get_param("cause")
        )
        return EmptyResult()

    StepFunctionResponse.send_task_failure = send_task_failure  # type: ignore[method-assign]

    from skymarshal_local import redrive

    redrive.install()  # moto lacks RedriveExecution: answer it (see redrive.py for local vs AWS)

    from skymarshal_local import fastdynamo

    fastdynamo.install()  # moto's Query walks the whole table: read only the queried partition (see fastdynamo.py)

    original = engine_clients.boto_client_for
    cache: dict[tuple[str, str, str], Any] = {}

    def boto_client_for(region: str, service: str, state_credentials: Any = None) -> Any:
        if state_credentials is not None:
            return original(region, service, state_credentials)
        key = (os.environ.get("MOTO_PORT", ""), region, service)
        if key not in cache:
            cache[key] = original(region, service, None)
        return cache[key]

    engine_clients.boto_client_for = boto_client_for
    for module_name, module in list(__import__("sys").modules.items()):
        if module_name.startswith("moto.stepfunctions.parser") and getattr(module, "boto_client_for", None) is original:
            module.boto_client_for = boto_client_for


@dataclass
class EmbeddedStack:
    port: int = 0
    parameters: dict[str, str] = field(default_factory=dict)
    stack_name: str = STACK_NAME
    outputs: dict[str, str] = field(default_factory=dict)
    _server: Any = None
    delivery: Any = None  # skymarshal_local.sqs.EventSourcePoller: SQS -> Lambda, as AWS's pollers

    @property
    def endpoint_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def client(self, service: str) -> Any:
        return boto3.client(
            service, endpoint_url=self.endpoint_url, region_name=REGION,  # type: ignore[call-overload]
            aws_access_key_id="local", aws_secret_access_key="local",
            config=Config(retries={"mode": "standard", "total_max_attempts": 3}),
        )

    # ------------------------------------------------------------------------------------------
    def start(self) -> EmbeddedStack:
        from moto.server import ThreadedMotoServer

        quiet_logs()
        self.port = self.port or free_port()
        os.environ.update(LOCAL_ENV)
        os.environ["MOTO_PORT"] = str(self.port)  # the ASL engine's clients call back on this port
        os.environ["AWS_ENDPOINT_URL"] = self.endpoint_url  # the handlers' boto3 clients
        _patch_moto()
        from skymarshal_local.runtime import RUNTIME

        RUNTIME.overrides = {k: v for k, v in LOCAL_ENV.items() if k.startswith("POWERTOOLS_")}
        self._server = ThreadedMotoServer(ip_address="127.0.0.1", port=self.port, verbose=False)
        self._server.start()
        import requests

        requests.post(
            f"{self.endpoint_url}/moto-api/config",
            json={"stepfunctions": {"execute_state_machine": True}},
            timeout=10,
        ).raise_for_status()
        self.deploy()
        from skymarshal_local.sqs import start_local_delivery

        self.delivery = start_local_delivery(self.endpoint_url, REGION)
        return self

    def stop(self) -> None:
        if self.delivery is not None:
            self.delivery.stop()
            self.delivery = None
        if self._server is not None:
            self._server.stop()
            self._server = None

    def __enter__(self) -> EmbeddedStack:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # ------------------------------------------------------------------------------------------
    def deploy(self) -> dict[str, str]:
        """Create (or re-create) the stack from template.yaml and the state machine from its ASL."""
        from skymarshal_local.runtime import RUNTIME

        params = {"EnvironmentName": "local", **self.parameters}
        s3 = self.client("s3")
        with contextlib.suppress(s3.exceptions.BucketAlreadyOwnedByYou, s3.exceptions.BucketAlreadyExists):
            s3.create_bucket(Bucket=ARTIFACTS_BUCKET)
        s3.put_object(Bucket=ARTIFACTS_BUCKET, Key="functions.zip", Body=code_zip(ROOT / "functions"))

        sam = load_template()
        sam["Globals"]["Function"]["CodeUri"] = f"s3://{ARTIFACTS_BUCKET}/functions.zip"
        sm_props = sam["Resources"][STATE_MACHINE_ID]["Properties"]
        sm_props["DefinitionUri"] = {"Bucket": ARTIFACTS_BUCKET, "Key": "disruption.asl.json"}
        cfn = translate(sam, params)
        sm = cfn["Resources"].pop(STATE_MACHINE_ID)
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
        for logical, physical in resources.items():
            if cfn["Resources"].get(logical, {}).get("Type") == "AWS::Lambda::Function":
                RUNTIME.logical_names[physical] = logical

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
        name = f"skymarshal-{params['EnvironmentName']}-disruption"
        sfn = self.client("stepfunctions")
        for existing in sfn.list_state_machines()["stateMachines"]:
            if existing["name"] == name:
                sfn.delete_state_machine(stateMachineArn=existing["stateMachineArn"])
        created = sfn.create_state_machine(name=name, definition=definition, roleArn=role, type="STANDARD")
        return str(created["stateMachineArn"])

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
            return resources[value["Ref"]]
        raise ValueError(f"unsupported intrinsic {value}")

