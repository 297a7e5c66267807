"""The embedded stack's IAM for the functions' calls (skymarshal_local.emulator.iam): AWS's evaluation logic
(https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html) on hand-written
policies, and the action and resource AWS authorises for each kind of request the functions make
(https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazondynamodb.html: a transaction is
authorised as the actions of its items; a Query on an index against the index's ARN)."""

from __future__ import annotations

import io
import json

from skymarshal_local.emulator import iam

TABLE = "arn:aws:dynamodb:us-east-1:123456789012:table/checkpoints"
OPS = "arn:aws:dynamodb:us-east-1:123456789012:table/ops"
POLICY = [
    {"Effect": "Allow", "Action": ["dynamodb:GetItem", "dynamodb:Query"], "Resource": [TABLE, f"{TABLE}/index/*"]},
    {"Effect": "Allow", "Action": "s3:Get*", "Resource": "arn:aws:s3:::bucket/checkpoints/*"},
    {"Effect": "Allow", "Action": "states:SendTask*", "Resource": "arn:aws:states:us-east-1:123456789012:*"},
]


def test_an_action_is_allowed_only_on_the_resources_its_statement_names():
    assert iam.allowed(POLICY, "dynamodb:GetItem", TABLE)
    assert iam.allowed(POLICY, "dynamodb:query", f"{TABLE}/index/ByStatus")  # actions are case-insensitive
    assert not iam.allowed(POLICY, "dynamodb:GetItem", OPS)  # another table
    assert not iam.allowed(POLICY, "dynamodb:BatchGetItem", TABLE)  # the implicit deny: no statement allows it
    assert not iam.allowed(POLICY, "dynamodb:GetItem", TABLE.upper())  # resources are case-sensitive
    assert iam.allowed(POLICY, "s3:GetObject", "arn:aws:s3:::bucket/checkpoints/t/1.json")
    assert not iam.allowed(POLICY, "s3:GetObject", "arn:aws:s3:::bucket/other/1.json")
    assert iam.allowed(POLICY, "states:SendTaskSuccess", "*")  # judged by its action alone


def test_an_explicit_deny_wins_and_a_conditional_one_is_not_judged():
    deny = {"Effect": "Deny", "Action": "dynamodb:*", "Resource": TABLE}
    assert not iam.allowed([*POLICY, deny], "dynamodb:GetItem", TABLE)
    conditional = {**deny, "Condition": {"Bool": {"aws:SecureTransport": "false"}}}
    assert iam.allowed([*POLICY, conditional], "dynamodb:GetItem", TABLE)
    assert iam.allowed([{"Effect": "Allow", "NotAction": "iam:*", "Resource": "*"}], "dynamodb:Scan", TABLE)


def environ(target: str = "", body: bytes = b"", method: str = "POST", path: str = "/") -> dict:
    return {"HTTP_X_AMZ_TARGET": target, "REQUEST_METHOD": method, "PATH_INFO": path,
            "CONTENT_LENGTH": str(len(body)), "wsgi.input": io.BytesIO(body)}


def resolve(service: str, env: dict, body: bytes = b"") -> list[tuple[str, str]] | None:
    return iam.requested(service, env, body, "us-east-1", "123456789012")


def test_dynamodb_requests_are_authorised_per_table_index_and_transaction_item():
    query = json.dumps({"TableName": "checkpoints", "IndexName": "ByStatus"}).encode()
    assert resolve("dynamodb", environ("DynamoDB_20120810.Query"), query) == [
        ("dynamodb:Query", f"{TABLE}/index/ByStatus")]
    batch = json.dumps({"RequestItems": {"checkpoints": {}, "ops": {}}}).encode()
    assert resolve("dynamodb", environ("DynamoDB_20120810.BatchGetItem"), batch) == [
        ("dynamodb:BatchGetItem", TABLE), ("dynamodb:BatchGetItem", OPS)]
    transaction = json.dumps({"TransactItems": [{"Put": {"TableName": "ops"}}, {"Update": {"TableName": "ops"}},
                                                {"ConditionCheck": {"TableName": "checkpoints"}}]}).encode()
    assert resolve("dynamodb", environ("DynamoDB_20120810.TransactWriteItems"), transaction) == [
        ("dynamodb:PutItem", OPS), ("dynamodb:UpdateItem", OPS), ("dynamodb:ConditionCheckItem", TABLE)]


def test_s3_objects_step_functions_sqs_and_sns_resolve_to_their_actions():
    assert resolve("s3", environ(method="GET", path="/bucket/checkpoints/t%2F1.json")) == [
        ("s3:GetObject", "arn:aws:s3:::bucket/checkpoints/t/1.json")]
    assert resolve("s3", environ(method="PUT", path="/bucket/k")) == [("s3:PutObject", "arn:aws:s3:::bucket/k")]
    assert resolve("s3", environ(method="GET", path="/bucket")) is None  # bucket calls: not judged
    assert resolve("states", environ("AWSStepFunctions.SendTaskSuccess")) == [("states:SendTaskSuccess", "*")]
    assert resolve("sqs", environ("AmazonSQS.SendMessage")) == [("sqs:SendMessage", "*")]
    assert resolve("sns", environ(), b"Action=Publish&TopicArn=x") == [("sns:Publish", "*")]
    assert resolve("lambda", environ()) is None  # another service: not judged


def gate_with(statements: list[dict]) -> iam.Gate:
    gate = iam.Gate("123456789012")
    gate.roles = {"AgentFunction": iam.Role("AgentRole", "agent-fn", tuple(statements))}
    return gate


def signed(key: str, service: str) -> str:
    return f"AWS4-HMAC-SHA256 Credential={key}/20261202/us-east-1/{service}/aws4_request, SignedHeaders=host"


def test_the_gate_refuses_as_aws_and_leaves_the_body_for_the_service():
    gate = gate_with(POLICY)
    body = json.dumps({"TableName": "ops", "Key": {}}).encode()
    env = {**environ("DynamoDB_20120810.GetItem", body),
           "HTTP_AUTHORIZATION": signed(iam.access_key("AgentFunction"), "dynamodb")}
    status, headers, answer = gate.judge(env)
    assert status.startswith("400") and ("x-amzn-ErrorType", "AccessDeniedException") in headers
    assert json.loads(answer)["message"] == (
        "User: arn:aws:sts::123456789012:assumed-role/AgentRole/agent-fn is not authorized to perform: "
        f"dynamodb:GetItem on resource: {OPS} because no identity-based policy allows the dynamodb:GetItem action")
    assert gate.refused == [("AgentFunction", "dynamodb:GetItem", OPS)]
    allowed = {**environ("DynamoDB_20120810.GetItem", json.dumps({"TableName": "checkpoints"}).encode()),
               "HTTP_AUTHORIZATION": signed(iam.access_key("AgentFunction"), "dynamodb")}
    assert gate.judge(allowed) is None and allowed["wsgi.input"].read() == b'{"TableName": "checkpoints"}'
    s3 = {**environ(method="PUT", path="/bucket/other/x"),
          "HTTP_AUTHORIZATION": signed(iam.access_key("AgentFunction"), "s3")}
    status, _, answer = gate.judge(s3)
    assert status.startswith("403") and b"<Code>AccessDenied</Code>" in answer


def test_only_a_function_s_key_is_judged():
    gate = gate_with([])  # a role that allows nothing
    request = environ("DynamoDB_20120810.Scan", b'{"TableName": "ops"}')
    assert gate.judge({**request, "HTTP_AUTHORIZATION": signed("local", "dynamodb")}) is None  # operator, tests
    assert gate.judge({**request, "HTTP_AUTHORIZATION": signed(iam.access_key("Unknown"), "dynamodb")}) is None
    assert gate.judge({**request, "HTTP_AUTHORIZATION": signed(iam.access_key("AgentFunction"), "dynamodb")})
