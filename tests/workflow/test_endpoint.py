"""The embedded endpoint keeps HTTP/1.1 connections open between requests, as AWS's endpoints do: the SDKs reuse
TCP connections by default ("the AWS SDK for JavaScript reuses TCP connections by default",
https://docs.aws.amazon.com/sdk-for-javascript/v3/developer-guide/node-reusing-connections.html; botocore pools
them) (skymarshal_local.emulator.keepalive). Each response is delimited, a request body the service did not read
is not taken for the next request, and HEAD and 204 answers stay what S3 gives: HeadObject's Content-Length is
the object's size (https://docs.aws.amazon.com/AmazonS3/latest/API/API_HeadObject.html), DeleteObject answers
204 No Content (https://docs.aws.amazon.com/AmazonS3/latest/API/API_DeleteObject.html)."""

from __future__ import annotations

import http.client
import json
import socket
import uuid
from typing import Any
from urllib.parse import urlparse

import boto3
import pytest

pytestmark = pytest.mark.workflow

SIGNED = {"Authorization": "AWS4-HMAC-SHA256 Credential=test/20261201/us-east-1/dynamodb/aws4_request, "
                           "SignedHeaders=host, Signature=0"}


def dynamodb(conn: http.client.HTTPConnection, target: str, body: bytes) -> tuple[int, bytes]:
    conn.request("POST", "/", body=body, headers={**SIGNED, "X-Amz-Target": f"DynamoDB_20120810.{target}",
                                                   "Content-Type": "application/x-amz-json-1.0"})
    response = conn.getresponse()
    return response.status, response.read()


def test_requests_share_one_connection_and_each_answer_is_complete(stack: Any) -> None:
    url = urlparse(stack.endpoint_url)
    conn = http.client.HTTPConnection(url.hostname, url.port, timeout=30)
    status, tables = dynamodb(conn, "ListTables", b"{}")
    assert status == 200 and stack.outputs["CheckpointTableName"] in json.loads(tables)["TableNames"]
    sock = conn.sock
    assert sock is not None  # http.client keeps the socket only when the server did not close the connection
    # an operation the service refuses before reading the body: the rest must not be read as the next request
    status, _ = dynamodb(conn, "NoSuchOperation", b'{"padding": "' + b"x" * 200_000 + b'"}')
    assert status >= 400
    for _ in range(3):
        status, tables = dynamodb(conn, "ListTables", b"{}")
        assert status == 200 and stack.outputs["CheckpointTableName"] in json.loads(tables)["TableNames"]
    assert conn.sock is sock  # the same connection throughout
    conn.close()


def test_s3_head_delete_and_large_objects_keep_their_answers(stack: Any) -> None:
    s3 = boto3.client("s3", endpoint_url=stack.endpoint_url, region_name="us-east-1")
    bucket, key = stack.outputs["CheckpointBucketName"], f"endpoint-test/{uuid.uuid4().hex}"
    data = bytes(range(256)) * 8192  # 2 MiB
    s3.put_object(Bucket=bucket, Key=key, Body=data)
    assert s3.head_object(Bucket=bucket, Key=key)["ContentLength"] == len(data)  # HEAD: the GET's length
    assert s3.get_object(Bucket=bucket, Key=key)["Body"].read() == data
    assert s3.delete_object(Bucket=bucket, Key=key)["ResponseMetadata"]["HTTPStatusCode"] == 204
    with pytest.raises(s3.exceptions.ClientError) as missing:
        s3.head_object(Bucket=bucket, Key=key)
    assert missing.value.response["Error"]["Code"] == "404"


def test_expect_100_continue_is_answered_before_the_body_is_sent(stack: Any) -> None:
    """botocore asks S3 for `Expect: 100-continue` on large uploads and sends the body only on the interim answer
    (RFC 9110 §10.1.1): it must reach the client at once, not wait in the server's write buffer, and once."""
    url = urlparse(stack.endpoint_url)
    body = b'{"padding": "' + b"x" * 1000 + b'"}'
    with socket.create_connection((url.hostname, url.port), timeout=30) as sock:
        sock.sendall(b"POST / HTTP/1.1\r\nHost: " + url.netloc.encode() + b"\r\nExpect: 100-continue\r\n"
                     b"X-Amz-Target: DynamoDB_20120810.ListTables\r\nContent-Type: application/x-amz-json-1.0\r\n"
                     b"Authorization: " + SIGNED["Authorization"].encode() + b"\r\n"
                     b"Content-Length: " + str(len(body)).encode() + b"\r\n\r\n")
        sock.settimeout(10)
        assert sock.recv(25) == b"HTTP/1.1 100 Continue\r\n\r\n"  # before a byte of the body was sent
        sock.sendall(body)
        answer = b""
        while b"\r\n\r\n" not in answer:
            answer += sock.recv(65536)
        assert answer.startswith(b"HTTP/1.1 200")  # the final answer, not a second interim one
