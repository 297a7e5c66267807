"""IAM for the functions' own calls: a call that a Lambda function's execution role does not allow is refused,
as AWS refuses it (local stack only).

On AWS a function calls AWS with its execution role's credentials, and every call is authorised against the
role's policies: an action the role does not allow is AccessDenied, whatever the code meant. moto's server
authorises nothing (IAM checking is off by default, and on it would judge every caller, the operator's and the
ASL engine's included, with rules of its own), so a function whose template forgot a grant worked locally and
failed on AWS: ExecutionStatusFunction read a thread's checkpoints (dynamodb:Query) without the grant, and every
failed run's thread would have stayed `active` on AWS while all tests passed.

Here each sandbox signs with an access key naming its function (`access_key`, put in the invocation's
environment by the runtime, as Lambda puts the role's session credentials there), and `Gate`, a WSGI layer in
front of moto's server, authorises the requests signed with such a key against the policies of the function's
role as deployed (`load`: the role's inline policies, SAM's policy templates included, with every intrinsic
resolved by the stack's CloudFormation), following the evaluation logic AWS documents
(https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html): an explicit Deny
wins, else an Allow whose Action and Resource match (`*` and `?` wildcards, actions case-insensitive), else
the implicit deny. Requests are resolved to the action and resource AWS authorises
(https://docs.aws.amazon.com/service-authorization/latest/reference/): DynamoDB's table or index ARN per action,
a transaction as the actions of its items, a batch per table; S3's object ARN; Step Functions, SQS and SNS by
action only. The refusal is AWS's: DynamoDB and Step Functions answer 400 AccessDeniedException, S3 403
AccessDenied, SNS 403 AuthorizationError, with AWS's message ("User: arn:aws:sts::...:assumed-role/ROLE/FUNCTION
is not authorized to perform: dynamodb:Query on resource: ... because no identity-based policy allows the
dynamodb:Query action").

Lenient where it cannot judge, never stricter than AWS: conditions are not evaluated (an Allow with a condition
allows, a Deny with one is skipped), NotAction/NotResource statements allow, managed policies are not read (the
roles attach only logging and tracing ones), and a request of another service, or one it cannot resolve, passes.
Calls signed with any other key (the operator, the tests, the ASL engine's service integrations, which use the
state machine's role on AWS) are not judged.

Written by hand: moto's own IAM enforcement judges every caller and needs real users and keys for each; no
library evaluates IAM policies against botocore requests.
"""

from __future__ import annotations

import ast
import io
import json
import re
import threading
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, unquote

from skymarshal_local.localenv import ACCOUNT

KEY_PREFIX = "LOCALROLE"  # the access key of a function's sandbox: KEY_PREFIX + the function's logical id
_CREDENTIAL = re.compile(r"Credential=([^/,\s]+)/\d{8}/([^/]+)/([^/]+)/aws4_request")
_JSON = "application/x-amz-json-1.0"
_TRANSACTION = {"Put": "PutItem", "Update": "UpdateItem", "Delete": "DeleteItem",
                "ConditionCheck": "ConditionCheckItem", "Get": "GetItem"}


def access_key(logical_id: str) -> str:
    """The access key a function's sandbox signs with (its environment's AWS_ACCESS_KEY_ID)."""
    return KEY_PREFIX + logical_id


@dataclass(frozen=True)
class Role:
    """A function's execution role as deployed: its ARN's name, the function's name, the statements."""

    name: str
    function_name: str
    statements: tuple[dict[str, Any], ...]


def _listed(value: Any) -> list[str]:
    return [value] if isinstance(value, str) else [str(v) for v in value or []]


def _glob(pattern: str, value: str, *, fold: bool) -> bool:
    """IAM's wildcard match: `*` any run of characters, `?` one; nothing else is special."""
    regex = "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern)
    return re.fullmatch(regex, value, re.IGNORECASE if fold else 0) is not None


def _applies(statement: dict[str, Any], action: str, resource: str) -> bool:
    if "NotAction" in statement or "NotResource" in statement:
        return statement.get("Effect") == "Allow"  # not judged: never stricter than AWS
    actions, resources = _listed(statement.get("Action")), _listed(statement.get("Resource"))
    return (any(_glob(a, action, fold=True) for a in actions)
            and (resource == "*" or any(_glob(r, resource, fold=False) for r in resources)))


def allowed(statements: Iterable[dict[str, Any]], action: str, resource: str) -> bool:
    """AWS's evaluation for one identity-based policy set: an explicit Deny wins, else an Allow that matches,
    else the implicit deny. `resource` "*": the request is judged by its action alone."""
    verdict = False
    for statement in statements:
        if not _applies(statement, action, resource):
            continue
        if statement.get("Effect") == "Deny":
            if "Condition" not in statement:  # a conditional Deny is not evaluated: skipped, never stricter
                return False
        elif statement.get("Effect") == "Allow":
            verdict = True
    return verdict


def _table_arn(name: str, region: str, account: str, index: str | None = None) -> str:
    arn = name if name.startswith("arn:") else f"arn:aws:dynamodb:{region}:{account}:table/{name}"
    return f"{arn}/index/{index}" if index else arn


def requested(service: str, environ: dict[str, Any], body: bytes, region: str, account: str
              ) -> list[tuple[str, str]] | None:
    """What AWS authorises for this request: [(action, resource ARN or "*")], or None when not judged here."""
    target = environ.get("HTTP_X_AMZ_TARGET", "")
    operation = target.rpartition(".")[2]
    if service == "dynamodb" and operation:
        data = json.loads(body or b"{}")
        if operation in ("TransactWriteItems", "TransactGetItems"):
            return [(f"dynamodb:{_TRANSACTION[kind]}", _table_arn(spec["TableName"], region, account))
                    for item in data.get("TransactItems", []) for kind, spec in item.items() if kind in _TRANSACTION]
        if operation in ("BatchGetItem", "BatchWriteItem"):
            return [(f"dynamodb:{operation}", _table_arn(table, region, account))
                    for table in data.get("RequestItems", {})]
        table = data.get("TableName")
        resource = _table_arn(table, region, account, data.get("IndexName")) if table else "*"
        return [(f"dynamodb:{operation}", resource)]
    if service == "s3":
        bucket, _, key = unquote(environ.get("PATH_INFO", "")).lstrip("/").partition("/")
        if not bucket or not key:
            return None  # bucket-level calls: the functions make none
        method = environ.get("REQUEST_METHOD", "GET")
        action = {"GET": "GetObject", "HEAD": "GetObject", "PUT": "PutObject", "DELETE": "DeleteObject"}.get(method)
        return [(f"s3:{action}", f"arn:aws:s3:::{bucket}/{key}")] if action else None
    if service in ("states", "sqs") and operation:
        return [(f"{service}:{operation}", "*")]
    if service in ("sns", "sqs"):
        action = parse_qs(body.decode("utf-8", "replace")).get("Action", [""])[0]
        return [(f"{service}:{action}", "*")] if action else None
    return None


def _refusal(service: str, message: str) -> tuple[str, list[tuple[str, str]], bytes]:
    if service == "s3":
        xml = (f'<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>AccessDenied</Code><Message>{_xml(message)}'
               f"</Message></Error>")
        return "403 Forbidden", [("Content-Type", "application/xml")], xml.encode()
    if service == "sns":
        xml = (f'<ErrorResponse xmlns="http://sns.amazonaws.com/doc/2010-03-31/"><Error><Type>Sender</Type>'
               f"<Code>AuthorizationError</Code><Message>{_xml(message)}</Message></Error></ErrorResponse>")
        return "403 Forbidden", [("Content-Type", "text/xml")], xml.encode()
    body = json.dumps({"__type": "com.amazon.coral.service#AccessDeniedException", "message": message})
    return "400 Bad Request", [("Content-Type", _JSON), ("x-amzn-ErrorType", "AccessDeniedException")], body.encode()


def _xml(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


class Gate:
    """The WSGI layer in front of moto's server that authorises the functions' requests (module docstring)."""

    def __init__(self, account: str) -> None:
        self.account = account
        self.roles: dict[str, Role] = {}  # logical id of a function -> its role as deployed
        self.refused: list[tuple[str, str, str]] = []  # (function logical id, action, resource), newest last
        self._lock = threading.Lock()

    def load(self, functions: dict[str, str], iam_client: Any, lambda_client: Any) -> None:
        """Read the roles of the deployed functions ({logical id: physical name}) from the stack's IAM."""
        roles: dict[str, Role] = {}
        for logical, name in functions.items():
            role_name = lambda_client.get_function_configuration(FunctionName=name)["Role"].rpartition("/")[2]
            statements: list[dict[str, Any]] = []
            for policy in _pages(iam_client.get_paginator("list_role_policies"), RoleName=role_name):
                document = iam_client.get_role_policy(RoleName=role_name, PolicyName=policy)["PolicyDocument"]
                statements += _listed_statements(_document(document))
            roles[logical] = Role(role_name, name, tuple(statements))
        with self._lock:
            self.roles = roles

    def wrap(self, app: Any) -> Any:
        def gated(environ: dict[str, Any], start_response: Any) -> Any:
            refusal = self.judge(environ)
            if refusal is None:
                return app(environ, start_response)
            status, headers, body = refusal
            start_response(status, [*headers, ("Content-Length", str(len(body)))])
            return [body]

        return gated

    def judge(self, environ: dict[str, Any]) -> tuple[str, list[tuple[str, str]], bytes] | None:
        """None: pass the request on; else the refusal to answer with."""
        found = _CREDENTIAL.search(environ.get("HTTP_AUTHORIZATION", ""))
        if not found or not found.group(1).startswith(KEY_PREFIX):
            return None
        logical, region, service = found.group(1)[len(KEY_PREFIX):], found.group(2), found.group(3)
        role = self.roles.get(logical)
        if role is None:
            return None
        body = b""
        if service != "s3" and environ.get("CONTENT_LENGTH"):
            body = environ["wsgi.input"].read(int(environ["CONTENT_LENGTH"]))
            environ["wsgi.input"] = io.BytesIO(body)
        for action, resource in requested(service, environ, body, region, self.account) or []:
            if not allowed(role.statements, action, resource):
                with self._lock:
                    self.refused.append((logical, action, resource))
                return _refusal(service, f"User: arn:aws:sts::{self.account}:assumed-role/{role.name}/"
                                         f"{role.function_name} is not authorized to perform: {action} on resource: "
                                         f"{resource} because no identity-based policy allows the {action} action")
        return None


GATE = Gate(ACCOUNT)  # the embedded stack's: one server per process


def _pages(paginator: Any, **kwargs: Any) -> Iterator[str]:
    for page in paginator.paginate(**kwargs):
        yield from page["PolicyNames"]


def _document(document: Any) -> dict[str, Any]:
    """A policy document as IAM returns it: a dict, JSON, or (moto's CloudFormation) a dict's repr."""
    if isinstance(document, dict):
        return document
    text = unquote(str(document))
    try:
        found = json.loads(text)
    except ValueError:
        found = ast.literal_eval(text)
    return found if isinstance(found, dict) else {}


def _listed_statements(document: dict[str, Any]) -> list[dict[str, Any]]:
    statements = document.get("Statement", [])
    return [statements] if isinstance(statements, dict) else list(statements)
