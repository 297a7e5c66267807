"""moto patches: each function supplies one AWS behaviour that moto 5.2.5 lacks or gets wrong.

`install()` applies them all, once per process, before the embedded stack's server starts. moto is imported
inside each function (see the package docstring: it is slow to import).
"""

from __future__ import annotations

import copy
import functools
import sys
import threading
from typing import Any

from skymarshal_local.emulator import fastdynamo, statedir

# Every DynamoDB write holds it (serialise_dynamodb_writes); statedir holds it to copy tables between writes.
DYNAMODB_WRITE_LOCK = threading.RLock()
# Set when the embedded stack is ready (its operational data loaded); until then StartExecution is refused.
READY = threading.Event()
READY.set()


def run_lambda_in_sandboxes() -> None:
    """Lambda Invoke runs the function's real handler in a local sandbox (emulator.runtime) instead of the Docker
    container moto would start, with the function's environment, timeout and error shape as on AWS."""
    from moto.awslambda.models import LambdaFunction  # on use: moto is slow to import

    from skymarshal_local.emulator.runtime import RUNTIME

    def _invoke_lambda(self: Any, event: Any = None) -> tuple[str, bool, str]:
        return RUNTIME.invoke(self, event)

    LambdaFunction._invoke_lambda = _invoke_lambda  # type: ignore[method-assign]


def name_lambda_service_errors() -> None:
    """A Lambda service error (the Invoke API's ServiceException, TooManyRequestsException, ...) reaches a Task
    state as `Lambda.<code>`, as AWS documents
    (https://docs.aws.amazon.com/step-functions/latest/dg/bp-lambda-serviceexception.html), so the ASL's Retry on
    `Lambda.ServiceException`/`Lambda.TooManyRequestsException` acts locally as on AWS; moto 5.2.5 names every
    such error `Exception`. An answer without an error code (an HTTP 5xx page from the local server) is the
    service failing: `Lambda.ServiceException`; a 429 is `Lambda.TooManyRequestsException`."""
    # on use: moto is slow to import
    from botocore.exceptions import ClientError
    from moto.stepfunctions.parser.api import HistoryEventType, LambdaFunctionFailedEventDetails
    from moto.stepfunctions.parser.asl.component.common.error_name.custom_error_name import CustomErrorName
    from moto.stepfunctions.parser.asl.component.common.error_name.failure_event import FailureEvent
    from moto.stepfunctions.parser.asl.component.state.exec.state_task.state_task_lambda import StateTaskLambda
    from moto.stepfunctions.parser.asl.eval.event.event_detail import EventDetails

    original = StateTaskLambda._from_error

    def _from_error(self: Any, env: Any, ex: Exception) -> Any:
        if not isinstance(ex, ClientError):
            return original(self, env, ex)
        code = str(ex.response.get("Error", {}).get("Code", ""))
        status = int(ex.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 500) or 500)
        if not code or code.isdigit():
            code = "TooManyRequestsException" if status == 429 else "ServiceException"
        error = f"Lambda.{code}"
        message = str(ex.response.get("Error", {}).get("Message", ""))
        return FailureEvent(
            env=env,
            error_name=CustomErrorName(error),
            event_type=HistoryEventType.LambdaFunctionFailed,
            event_details=EventDetails(lambdaFunctionFailedEventDetails=LambdaFunctionFailedEventDetails(
                error=error, cause=message if "<html" not in message.lower() else "the Lambda service failed")),
        )

    StateTaskLambda._from_error = _from_error  # type: ignore[method-assign]


def serialise_dynamodb_writes() -> None:
    """DynamoDB conditional writes are atomic on AWS; moto's server threads can interleave a condition check and
    the write, so two compare-and-swap writers could both "win". Serialise moto's write paths."""
    from moto.dynamodb.models import DynamoDBBackend  # on use: moto is slow to import

    write_lock = DYNAMODB_WRITE_LOCK

    def serialised(method: Any) -> Any:
        @functools.wraps(method)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            with write_lock:
                return method(*args, **kwargs)

        return wrapper

    for name in ("put_item", "update_item", "delete_item", "transact_write_items"):
        setattr(DynamoDBBackend, name, serialised(getattr(DynamoDBBackend, name)))


def roll_back_transactions_by_item() -> None:
    """TransactWriteItems is all-or-nothing, as on AWS, without moto's backup of every table the transaction
    touches (moto 5.2.5 deep-copies the whole table once per item of the transaction: seconds on a hub day,
    under the write lock). The items the transaction names are saved before it runs and put back if it is
    cancelled; writes are serialised (serialise_dynamodb_writes), so nothing else changes them meanwhile."""
    import copy as _copy

    from moto.dynamodb import models as dynamodb_models  # on use: moto is slow to import
    from moto.dynamodb.models import DynamoDBBackend
    from moto.dynamodb.models.dynamo_type import DynamoType
    from moto.dynamodb.models.table import Table

    original = DynamoDBBackend.transact_write_items

    class _NoTableCopy:
        """`copy` for moto's models module during a transaction: tables are not copied (items are, below)."""

        def __getattr__(self, name: str) -> Any:
            return getattr(_copy, name)

        @staticmethod
        def deepcopy(obj: Any, memo: Any = None) -> Any:
            return obj if isinstance(obj, Table) else _copy.deepcopy(obj, memo)

    def saved_items(self: Any, transact_items: list[dict[str, Any]]) -> list[tuple[Any, Any, Any, Any]]:
        saved = []
        for entry in transact_items:
            _, op = next(iter(entry.items()))
            table = self.tables.get(op.get("TableName"))
            attrs = op.get("Key") or op.get("Item") or {}
            if table is None or table.hash_key_attr not in attrs:
                continue
            hash_key = DynamoType(attrs[table.hash_key_attr])
            range_key = DynamoType(attrs[table.range_key_attr]) if table.range_key_attr in attrs else None
            saved.append((table, hash_key, range_key, _copy.deepcopy(fastdynamo._current(table, hash_key, range_key))))
        return saved

    def restore(saved: list[tuple[Any, Any, Any, Any]]) -> None:
        for table, hash_key, range_key, item in reversed(saved):
            if table.range_key_attr:
                bucket = table.items.setdefault(hash_key, {})
                if item is None:
                    bucket.pop(range_key, None)
                else:
                    bucket[range_key] = item
            elif item is None:
                table.items.pop(hash_key, None)
            else:
                table.items[hash_key] = item
            fastdynamo._touch(table, hash_key, range_key)

    def transact_write_items(self: Any, transact_items: list[dict[str, Any]]) -> None:
        saved = saved_items(self, transact_items)
        dynamodb_models.copy = _NoTableCopy()  # type: ignore[assignment]
        try:
            original(self, transact_items)
        except Exception:  # cancelled (a condition failed) or refused (validation): nothing is written
            restore(saved)
            raise
        finally:
            dynamodb_models.copy = _copy

    DynamoDBBackend.transact_write_items = transact_write_items  # type: ignore[method-assign]


def pass_task_failure_cause() -> None:
    """SendTaskFailure's `cause` reaches the Catch, as on AWS (a rejection's comment); moto 5.2.5 drops it."""
    from moto.core.responses import EmptyResult  # on use: moto is slow to import
    from moto.stepfunctions.responses import StepFunctionResponse  # on use: moto is slow to import

    def send_task_failure(self: Any) -> Any:
        self.stepfunction_backend.send_task_failure(
            self._get_param("taskToken"), error=self._get_param("error"), cause=self._get_param("cause")
        )
        return EmptyResult()

    StepFunctionResponse.send_task_failure = send_task_failure  # type: ignore[method-assign]


def reuse_asl_engine_clients() -> None:
    """Step Functions calls its task integrations without the cost of a new client per task: the ASL engine
    reuses one boto3 client per (endpoint, region, service). Stock moto builds a new client for every task
    (about 7 ms of the server process's CPU each, 19 per decision): its `boto_client_for` signs every call with
    the fixed keys "ak"/"sk" whatever the state's credentials, so one client per key is the same client. Built
    here with moto's own settings (no parameter validation, one attempt, the engine's timeouts) and a connection
    pool as large as the concurrent tasks of a storm (botocore's default of 10 would discard connections when
    more Map iterations and executions call at once); boto3 clients are thread-safe once built."""
    from botocore.config import Config
    from moto.core.models import botocore_stubber  # on use: moto is slow to import
    from moto.settings import moto_server_port
    from moto.stepfunctions.parser.asl.component.common.timeouts.timeout import TimeoutSeconds
    from moto.stepfunctions.parser.asl.utils import boto_client as engine_clients

    original = engine_clients.boto_client_for
    cache: dict[tuple[bool, str, str, str], Any] = {}
    lock = threading.Lock()

    def boto_client_for(region: str, service: str, state_credentials: Any = None) -> Any:
        intercepted = bool(botocore_stubber.enabled)
        key = (intercepted, moto_server_port(), region, service)
        with lock:  # boto3's default session is not thread-safe while it builds a client
            if key not in cache:
                endpoint = {} if intercepted else {"endpoint_url": f"http://localhost:{moto_server_port()}"}
                cache[key] = engine_clients.boto3.client(
                    service_name=service, region_name=region, aws_access_key_id="ak", aws_secret_access_key="sk",
                    config=Config(parameter_validation=False, retries={"max_attempts": 0, "total_max_attempts": 1},
                                  connect_timeout=TimeoutSeconds.DEFAULT_TIMEOUT_SECONDS,
                                  read_timeout=TimeoutSeconds.DEFAULT_TIMEOUT_SECONDS, max_pool_connections=64),
                    **endpoint)
            return cache[key]

    engine_clients.boto_client_for = boto_client_for
    for module_name, module in list(sys.modules.items()):
        if module_name.startswith("moto.stepfunctions.parser") and getattr(module, "boto_client_for", None) is original:
            module.boto_client_for = boto_client_for  # type: ignore[attr-defined]


def parse_json_paths_once() -> None:
    """The ASL engine parses each JSONPath once, not at every evaluation. moto's `extract_json` and ResultPath
    call jsonpath-ng's `parse` for every path of every state they evaluate, and each call builds a new PLY
    parser (its LALR tables) before parsing: about a third of a second of the server process's CPU per
    decision, for the same few dozen paths. A parsed path is an immutable expression tree (`find` and
    `update_or_create` change the data, never the expression), so it is kept by its text; a path that does not
    parse raises as before (errors are not cached)."""
    from moto.stepfunctions.parser.asl.component.common.path import result_path  # on use: moto is slow to import
    from moto.stepfunctions.parser.asl.utils import json_path

    for module in (json_path, result_path):
        if not hasattr(module.parse, "cache_info"):
            module.parse = functools.lru_cache(maxsize=4096)(module.parse)  # type: ignore[attr-defined]


# The modules of moto's Step Functions engine that `import copy` (moto 5.2.5; tests/unit/test_json_copy.py
# checks the list against the installed moto, so an upgrade that adds one is noticed).
ENGINE_MODULES_THAT_COPY = tuple(f"moto.stepfunctions.parser.{name}" for name in (
    "asl.component.common.path.result_path",
    "asl.component.common.string.string_expression",
    "asl.component.intrinsic.function.statesfunction.json_manipulation.json_merge",
    "asl.component.state.exec.execute_state",
    "asl.component.state.exec.state_map.item_reader.item_reader_decl",
    "asl.component.state.exec.state_map.iteration.job",
    "asl.component.state.exec.state_map.result_writer.result_writer_decl",
    "asl.component.state.exec.state_map.state_map",
    "asl.component.state.exec.state_parallel.state_parallel",
    "asl.component.state.exec.state_task.mock_eval_utils",
    "asl.component.state.exec.state_task.service.state_task_service",
    "asl.eval.environment",
    "asl.eval.event.event_manager",
    "asl.eval.states",
    "backend.alias",
    "models",
))  # and `provider`, LocalStack's, which moto never imports (it needs the localstack package)


def json_copy(value: Any, memo: dict[int, Any] | None = None) -> Any:
    """A copy of a JSON value (dicts, lists, strings, numbers, booleans, null) that shares nothing mutable with
    it; anything else is copied by `copy.deepcopy`. Written here because the standard library has no copy for
    plain data: `deepcopy` keeps a memo of every object, for shared references and cycles that JSON cannot
    have, and looks up a copier for each value, several times slower on state data."""
    kind = type(value)
    if kind is dict:
        return {key: json_copy(item) for key, item in value.items()}
    if kind is list:
        return [json_copy(item) for item in value]
    if kind is str or kind is int or kind is float or kind is bool or value is None:
        return value
    return copy.deepcopy(value, memo)


def copy_state_data_as_json() -> None:
    """The Step Functions engine copies state data with `json_copy`, not `copy.deepcopy`.

    moto's engine copies a state's input, result and context at every step (`States.reset`, `_extract`, each
    JsonPath and ResultPath, each Lambda task's payload): a CPU profile of the server process over three
    decisions had `deepcopy` first by far, ahead of everything DynamoDB does. State data is JSON: the workflow's
    input and each task's output, parsed from JSON text (https://docs.aws.amazon.com/step-functions/latest/dg/
    concepts-input-output-filtering.html), so a JSON copy is the same copy, isolated as before (a state that
    changes its data never changes another's); any other object in it is still deep-copied."""
    import importlib
    import types

    shim = types.SimpleNamespace(deepcopy=json_copy, copy=copy.copy)
    for name in ENGINE_MODULES_THAT_COPY:
        module = importlib.import_module(name)
        if module.copy is copy:  # type: ignore[attr-defined]
            module.copy = shim  # type: ignore[attr-defined]


def parse_state_machines_once() -> None:
    """The engine parses a state machine's definition once, not at every StartExecution. moto builds the
    ANTLR parse tree and the evaluation components of the whole definition for each execution: about 0.2 s
    of the server process's CPU per decision for the same text. The components are not changed by an
    evaluation (each execution's state lives in its own Environment and heap), with one exception, made safe
    here: a component's `heap_key` (where a Retry keeps its attempt count in the execution's heap) is drawn on
    first use, and two executions sharing the component could draw two; it is drawn under a lock, once. A
    definition that does not parse raises as before (errors are not cached)."""
    from moto.stepfunctions.parser.asl.component.eval_component import EvalComponent  # on use: slow to import
    from moto.stepfunctions.parser.asl.parse.asl_parser import AmazonStateLanguageParser
    from moto.stepfunctions.parser.utils import long_uid

    parse = AmazonStateLanguageParser.parse
    if hasattr(parse, "cache_info"):
        return
    AmazonStateLanguageParser.parse = staticmethod(functools.lru_cache(maxsize=64)(parse))  # type: ignore[method-assign]
    lock = threading.Lock()
    slot = "_EvalComponent__heap_key"  # moto's private, name-mangled attribute

    def heap_key(self: Any) -> str:
        key = self.__dict__.get(slot)
        if key is None:
            with lock:
                key = self.__dict__.setdefault(slot, long_uid())
        return str(key)

    EvalComponent.heap_key = property(heap_key)  # type: ignore[assignment,method-assign]


def resolve_service_hosts_once() -> None:
    """The server works out which service a request is for once per host name, not once per request.

    moto's dispatcher lists its own package directory (a listdir and a stat per service) and then tries every
    service's URL patterns, for every request, under one lock that all requests share: about 5 ms per request
    on an idle machine, and every request of the seven sandboxes of a phase waits its turn (one decision's 191
    requests spent 7.6 s there). The answer depends only on the host name and moto's installed files, so it is
    kept; the service's behaviour is untouched."""
    from moto.moto_server.werkzeug_app import DomainDispatcherApplication  # on use: moto is slow to import

    original = DomainDispatcherApplication.get_backend_for_host
    known: dict[str | None, Any] = {None: None}

    def get_backend_for_host(self: Any, host: str | None) -> Any:
        if host not in known:
            known[host] = original(self, host)
        return known[host]

    DomainDispatcherApplication.get_backend_for_host = get_backend_for_host  # type: ignore[method-assign]


def parse_dynamodb_expressions_once() -> None:
    """DynamoDB's condition and update expressions are parsed once per text, not at every request.

    moto lexes and parses a ConditionExpression twice for each PutItem (the request handler, to check the
    attribute names it uses, then the table, to evaluate it), and as often for UpdateItem, DeleteItem and
    every item of TransactWriteItems: almost half of the server's time in a PutItem (cProfile of a decision's
    writes), for the same few expressions. The result depends only on the expression, its names and its values,
    and the tree is only read when it is evaluated against an item (each Operand computes a fresh value), so it
    is kept, keyed by all three, with the names and values the parse found (moto checks them for unused
    ones). An UpdateExpression is parsed twice per UpdateItem too; its tree is kept by its text: moto's
    validator deep-copies it before it fills in names and values, and the request handler only reads it. An
    expression that does not parse raises as before (errors are not cached)."""
    import json

    from moto.dynamodb.comparisons import ConditionExpressionParser  # on use: moto is slow to import
    from moto.dynamodb.parsing.expressions import UpdateExpressionParser  # type: ignore[attr-defined]

    original = ConditionExpressionParser.parse
    if getattr(original, "_once", False):
        return

    @functools.lru_cache(maxsize=4096)
    def parsed(expression: str, names: str, values: str) -> tuple[Any, tuple[str, ...], tuple[str, ...]]:
        parser = ConditionExpressionParser(expression, json.loads(names), json.loads(values))
        tree = original(parser)
        return tree, tuple(parser.expr_attr_names_found), tuple(parser.expr_attr_values_found)

    def parse(self: Any) -> Any:
        if not self.condition_expression:
            return original(self)
        try:
            key = json.dumps(self.expression_attribute_names, sort_keys=True), json.dumps(
                self.expression_attribute_values, sort_keys=True)
        except (TypeError, ValueError):  # not the JSON of a request: parse it as moto does
            return original(self)
        tree, names_found, values_found = parsed(self.condition_expression, *key)
        self.expr_attr_names_found.extend(names_found)
        self.expr_attr_values_found.extend(values_found)
        return tree

    parse._once = True  # type: ignore[attr-defined]
    ConditionExpressionParser.parse = parse  # type: ignore[method-assign]
    make = functools.lru_cache(maxsize=4096)(UpdateExpressionParser.make)
    UpdateExpressionParser.make = staticmethod(make)  # type: ignore[method-assign,assignment]


def list_response_methods_once() -> None:
    """moto finds which actions a service's response class answers once per class, not at every request: it
    lists the class's members with `inspect.getmembers` for each request (a twentieth of a PutItem's time).
    Every patch is installed before the server answers its first request, so the list does not change."""
    from moto.core import responses  # on use: moto is slow to import

    if hasattr(responses.method_names_from_class, "cache_info"):
        return
    responses.method_names_from_class = functools.lru_cache(maxsize=None)(  # type: ignore[attr-defined]
        responses.method_names_from_class)


def look_up_backends_without_lock() -> None:
    """A service's backend for an account that has one is looked up without moto's process-wide lock.

    Every request looks up backends by account several times (the IAM backend to mark the caller's access key
    as used, then the service's own), and moto's BackendDict takes its global lock for each lookup and scans the
    list of every BackendDict in use with a Python-level `__eq__`: under a storm, with a thousand server threads,
    the requests queued on that lock (a twentieth of the server's samples, py-spy). A region's backend is
    already looked up without it once it exists (AccountSpecificBackend.__getitem__); this does the same for the
    account. An account's entry is only ever added, whole, by moto's own creation under the lock, so an entry
    found is the one the locked path would have returned; one not found is created by moto as before."""
    from moto.core.base_backend import BackendDict  # on use: moto is slow to import

    if getattr(BackendDict.__getitem__, "_without_lock", False):
        return
    create = BackendDict._create_account_specific_backend

    def __getitem__(self: Any, account_id: str) -> Any:
        try:
            return dict.__getitem__(self, account_id)
        except KeyError:
            create(self, account_id)
            return dict.__getitem__(self, account_id)

    __getitem__._without_lock = True  # type: ignore[attr-defined]
    BackendDict.__getitem__ = __getitem__  # type: ignore[method-assign,assignment]


def stable_resource_names() -> None:
    """A stack's resources keep their physical names for the life of the stack, as on AWS (moto's
    CloudFormation draws a random suffix on every create): the suffix is derived from (stack name, logical id),
    so a restarted embedded stack re-created from the template names the same tables, buckets, queues and
    functions, and the state restored into them (statedir.py) still points at the right resources."""
    import hashlib

    from moto.cloudformation import parsing  # on use: moto is slow to import

    original = parsing.generate_resource_name
    lock = threading.Lock()

    def generate_resource_name(resource_type: str, stack_name: str, logical_id: str) -> str:
        suffix = hashlib.sha256(f"{stack_name}/{logical_id}".encode()).hexdigest()[:12].upper()
        with lock:
            saved = parsing.random_suffix
            parsing.random_suffix = lambda: suffix
            try:
                return str(original(resource_type, stack_name, logical_id))
            finally:
                parsing.random_suffix = saved

    parsing.generate_resource_name = generate_resource_name


def create_lambda_aliases_from_cloudformation() -> None:
    """CloudFormation creates AWS::Lambda::Alias (SAM's AutoPublishAlias: the alias `live` on the published
    version, which the state machine invokes and SnapStart restores), and `Ref` to it is the alias ARN, as
    https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-resource-lambda-alias.html documents.
    moto 5.2.5's CloudFormation creates AWS::Lambda::Version but skips the alias (an unsupported type); its
    Lambda API has aliases, so the resource is that API's alias. `GetAtt Version.Version` is the version
    number (https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-resource-lambda-version.html)."""
    from moto.awslambda.models import LambdaVersion, lambda_backends  # on use: moto is slow to import
    from moto.cloudformation import parsing
    from moto.core.common_models import CloudFormationModel

    class LambdaAliasResource(CloudFormationModel):
        def __init__(self, alias: Any) -> None:
            self.alias = alias

        @staticmethod
        def cloudformation_name_type() -> str:
            return "Name"

        @staticmethod
        def cloudformation_type() -> str:
            return "AWS::Lambda::Alias"

        @classmethod
        def has_cfn_attr(cls, attr: str) -> bool:
            return attr == "AliasArn"

        def get_cfn_attribute(self, attribute_name: str) -> Any:
            if attribute_name == "AliasArn":
                return self.alias.arn
            raise NotImplementedError(attribute_name)

        @property
        def physical_resource_id(self) -> str:
            return str(self.alias.arn)

        @classmethod
        def create_from_cloudformation_json(  # type: ignore[misc]
            cls, resource_name: str, cloudformation_json: dict[str, Any], account_id: str, region_name: str,
            **kwargs: Any,
        ) -> LambdaAliasResource:
            props = cloudformation_json["Properties"]
            backend = lambda_backends[account_id][region_name]
            alias = backend.create_alias(
                name=props["Name"], function_name=props["FunctionName"], function_version=str(props["FunctionVersion"]),
                description=props.get("Description", ""), routing_config=props.get("RoutingConfig"),
            )
            return cls(alias)

    def version_attribute(self: Any, attribute_name: str) -> Any:
        if attribute_name == "Version":
            return self.version
        raise NotImplementedError(attribute_name)

    LambdaVersion.get_cfn_attribute = version_attribute  # type: ignore[method-assign]
    LambdaVersion.has_cfn_attr = classmethod(lambda cls, attr: attr == "Version")  # type: ignore[assignment]
    for cached in (parsing.get_model_list, parsing.get_model_map, parsing.get_name_type_map):
        cached.cache_clear()  # the model list is read once from CloudFormationModel.__subclasses__()


# How long StopExecution waits for the stopped workflow's engine thread to end (a Lambda task in flight finishes
# first; a wait for a task token ends at once). After it the execution is ABORTED anyway, as AWS answers.
STOP_WAIT_S = 10.0


@functools.lru_cache(maxsize=1)
def stop_executions_at_once() -> None:
    """StopExecution as AWS documents it
    (https://docs.aws.amazon.com/step-functions/latest/apireference/API_StopExecution.html): the execution is
    ABORTED when the call answers, with the `error` and `cause` given, and the answer carries `stopDate`, also
    while a task waits for its token. moto 5.2.5 only marks the program stopped: a `.waitForTaskToken` state keeps
    waiting until its own timeout (an approval wait kept the execution RUNNING for an hour), `error` and `cause`
    are dropped and the answer has no `stopDate`. Here the execution's waits are woken and the history ends at the
    stop with ExecutionAborted: the events of the states the stop cut short (a wait woken as if timed out) are not
    in it, as on AWS where nothing runs after the stop. The task token of a stopped (or otherwise ended)
    execution is answered `TaskTimedOut`, "the task associated with the token has already been closed"
    (https://docs.aws.amazon.com/step-functions/latest/apireference/API_SendTaskSuccess.html); moto answers
    InvalidToken, or accepts a SendTaskFailure. Written by hand: moto has no hook for any of it."""
    import datetime
    import time

    from moto.core.exceptions import AWSError  # on use: moto is slow to import
    from moto.core.responses import ActionResult
    from moto.stepfunctions.parser.api import ExecutionStatus
    from moto.stepfunctions.parser.asl.eval.environment import Environment
    from moto.stepfunctions.parser.asl.eval.program_state import ProgramStopped
    from moto.stepfunctions.parser.backend.execution import Execution
    from moto.stepfunctions.parser.models import StepFunctionsParserBackend
    from moto.stepfunctions.responses import StepFunctionResponse  # on use: moto is slow to import

    class TaskTimedOut(AWSError):  # moto's own (parser.api) has no error code on the wire
        TYPE = "TaskTimedOut"
        STATUS = 400

    def stop_execution(self: Any) -> Any:
        execution = self.stepfunction_backend.describe_execution(self._get_param("executionArn"))
        worker = getattr(execution, "exec_worker", None)
        env = getattr(worker, "env", None)
        if execution.status == "RUNNING" and env is not None:
            stop_date = datetime.datetime.now(tz=datetime.UTC)
            execution.history_cut = len(env.event_manager.get_event_history())
            worker.stop(stop_date=stop_date, error=self._get_param("error"), cause=self._get_param("cause"))
            for endpoint in list(env.callback_pool_manager._pool.values()):  # moto keeps the endpoints private
                endpoint.interrupt_all()
            deadline = time.monotonic() + STOP_WAIT_S
            while execution.status == "RUNNING" and time.monotonic() < deadline:
                time.sleep(0.01)
            if execution.status == "RUNNING":  # a task in flight: it ends on its own, the execution is ABORTED now
                execution.exec_status, execution.stop_date = ExecutionStatus.ABORTED, stop_date
        return ActionResult({"stopDate": execution.stop_date})

    original_history = Execution.to_history_output

    def to_history_output(self: Any) -> Any:
        out = original_history(self)
        cut = getattr(self, "history_cut", None)
        if cut is None:
            return out
        events = list(out["events"])
        kept = events[:cut]
        for event in events[cut:]:
            if event["type"] == "ExecutionAborted":
                kept.append({**event, "id": len(kept) + 1, "previousEventId": len(kept)})
        return {**out, "events": kept}

    original_set_error = Environment.set_error

    def set_error(self: Any, error: Any) -> None:
        """A stopped execution stays ABORTED: the error of a state the stop cut short does not turn it FAILED
        (moto sets the error whatever the program's state)."""
        with self._state_mutex:
            if isinstance(self._program_state, ProgramStopped):
                return
        original_set_error(self, error)

    def refuse_closed_tokens(original: Any) -> Any:
        @functools.wraps(original)
        def answer(self: Any, task_token: str, *args: Any, **kwargs: Any) -> Any:
            for machine in self.state_machines:
                for execution in machine.executions:
                    env = getattr(getattr(execution, "exec_worker", None), "env", None)
                    if env is not None and execution.status != "RUNNING" \
                            and env.callback_pool_manager.get(task_token) is not None:
                        raise TaskTimedOut("Task Timed Out: the task of this token has already been closed")
            return original(self, task_token, *args, **kwargs)

        return answer

    for name in ("send_task_success", "send_task_failure", "send_task_heartbeat"):
        setattr(StepFunctionsParserBackend, name, refuse_closed_tokens(getattr(StepFunctionsParserBackend, name)))
    StepFunctionResponse.stop_execution = stop_execution  # type: ignore[method-assign]
    Execution.to_history_output = to_history_output  # type: ignore[method-assign]
    Environment.set_error = set_error  # type: ignore[method-assign]


def refuse_executions_while_loading() -> None:
    """While the embedded stack loads its operational data, StartExecution is refused with a clear error
    (a workflow must never run on a partially loaded day); `READY` opens the gate."""
    from moto.core.exceptions import AWSError  # on use: moto is slow to import
    from moto.stepfunctions.responses import StepFunctionResponse  # on use: moto is slow to import

    class StackLoading(AWSError):
        TYPE = "StackLoading"
        STATUS = 400

    original = StepFunctionResponse.start_execution

    def start_execution(self: Any) -> Any:
        if not READY.is_set():
            raise StackLoading("the embedded stack is still loading its operational data; "
                               "start the workflow when `skymarshal serve` says ready")
        return original(self)

    StepFunctionResponse.start_execution = start_execution  # type: ignore[method-assign]


@functools.lru_cache(maxsize=1)
def install() -> None:
    """Every patch, once per process (moto's classes are process-global)."""
    run_lambda_in_sandboxes()
    fastdynamo.install()  # moto's Query walks the whole table: read only the queried partition (see fastdynamo.py)
    roll_back_transactions_by_item()  # before serialising: the rollback runs under the write lock
    # last of the DynamoDB patches: the write lock is always taken first (then fastdynamo's index lock), whatever
    # the write path (UpdateItem, PutItem, TransactWriteItems); the other order deadlocks concurrent writers
    serialise_dynamodb_writes()
    name_lambda_service_errors()
    pass_task_failure_cause()
    stop_executions_at_once()
    # on use: both import moto's Step Functions engine, which they patch
    from skymarshal_local.emulator import redrive, statusevents

    redrive.install()  # RedriveExecution and Map/Parallel failure semantics as AWS documents them (redrive.py)
    statusevents.install()  # "Execution Status Change" events on EventBridge; rules that invoke Lambda
    reuse_asl_engine_clients()
    parse_json_paths_once()
    parse_state_machines_once()
    copy_state_data_as_json()
    resolve_service_hosts_once()
    look_up_backends_without_lock()
    parse_dynamodb_expressions_once()
    list_response_methods_once()
    stable_resource_names()
    create_lambda_aliases_from_cloudformation()
    refuse_executions_while_loading()
    statedir.track_dynamodb_writes()  # which tables a state directory must save again
