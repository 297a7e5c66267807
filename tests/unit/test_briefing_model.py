"""The model-written briefing against the Bedrock Converse API, stubbed with botocore's Stubber (and, for the
retry and timeout paths, botocore's own `before-send` hook, so its real retry handler runs): a faithful
briefing is used; an invented number, tail or rule is discarded for the template; throttling is retried; a
timeout or persistent throttling falls back to the template. Every outcome keeps the prompt, the model id, the
token counts and the guard's verdict for the audit (issue 16)."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.awsrequest import AWSResponse
from botocore.exceptions import ReadTimeoutError
from botocore.stub import Stubber

sys.path.insert(0, str(Path(__file__).resolve().parent / "domain"))
from domain_scenarios import run_pipeline
from test_briefing_guard import FAITHFUL_EY123

from skymarshal import briefing as service
from skymarshal.domain.briefing import briefing_facts, template_briefing
from skymarshal.models import Briefing

MODEL = "amazon.nova-lite-v1:0"


@pytest.fixture(scope="module")
def template() -> Briefing:
    r = run_pipeline("ey123-technical-delay")
    facts = briefing_facts(r.decision, r.options, r.snapshot, r.phase2)
    text = template_briefing(facts)
    return Briefing(thread_id="t-1", text=text, source="template", template_text=text, facts=facts)


def bedrock(attempts: int = 3, timeout: int = 20) -> Any:
    return boto3.client("bedrock-runtime", region_name="us-east-1", aws_access_key_id="test",
                        aws_secret_access_key="test", config=service.client_config(timeout, attempts))


def converse_response(text: str, stop: str = "end_turn") -> dict[str, Any]:
    return {
        "output": {"message": {"role": "assistant", "content": [{"text": text}]}},
        "stopReason": stop,
        "usage": {"inputTokens": 3120, "outputTokens": 260, "totalTokens": 3380},
        "metrics": {"latencyMs": 2100},
    }


def stubbed(*answers: dict[str, Any] | str) -> tuple[Any, Stubber]:
    client = bedrock()
    stub = Stubber(client)
    for answer in answers:
        if isinstance(answer, str):
            stub.add_client_error("converse", service_error_code=answer, http_status_code=429)
        else:
            stub.add_response("converse", answer)
    stub.activate()
    return client, stub


def test_a_faithful_briefing_is_used_with_its_call_recorded_for_the_audit(template):
    client, stub = stubbed(converse_response(FAITHFUL_EY123))
    result = service.brief_with_model(template, MODEL, 700, client)
    stub.assert_no_pending_responses()
    assert (result.source, result.text, result.fallback_reason) == ("model", FAITHFUL_EY123, None)
    assert result.guard is not None and result.guard.passed
    call = result.model
    assert call is not None and (call.model_id, call.input_tokens, call.output_tokens) == (MODEL, 3120, 260)
    assert call.max_tokens == 700 and "Decision facts (JSON)" in call.user_prompt
    assert json.loads(call.user_prompt.split("\n", 1)[1]) == template.facts  # the facts and nothing else


def test_the_model_sees_the_facts_only_with_a_token_limit(template):
    client = bedrock()
    stub = Stubber(client)
    stub.add_response("converse", converse_response(FAITHFUL_EY123), expected_params={
        "modelId": MODEL,
        "system": [{"text": service.SYSTEM_PROMPT}],
        "messages": [{"role": "user", "content": [{"text": service.user_prompt(template.facts)}]}],
        "inferenceConfig": {"maxTokens": 500, "temperature": 0},
    })
    with stub:
        assert service.brief_with_model(template, MODEL, 500, client).source == "model"


@pytest.mark.parametrize(("original", "invented"), [
    ("€13k", "€11k"),  # a number
    ("A6-BLG", "A6-BLF"),  # a tail (a real tail of the fleet, but not in this decision)
    ("EASA ORO.FTL.205(b) Table 2", "EASA ORO.FTL.208(a)"),  # a rule
])
def test_an_invented_number_tail_or_rule_is_discarded_for_the_template(template, original, invented):
    text = FAITHFUL_EY123.replace(original, invented)
    client, _ = stubbed(converse_response(text))
    result = service.brief_with_model(template, MODEL, 700, client)
    assert result.source == "template" and result.text == template.template_text
    assert result.guard is not None and not result.guard.passed
    assert result.fallback_reason is not None and result.fallback_reason.startswith("guard: not in the decision")
    assert result.model is not None and result.model.text == text  # what was discarded stays for the audit


def test_a_briefing_cut_at_the_token_limit_is_discarded(template):
    client, _ = stubbed(converse_response(FAITHFUL_EY123[:200], stop="max_tokens"))
    result = service.brief_with_model(template, MODEL, 50, client)
    assert result.source == "template" and result.fallback_reason.startswith("token_limit")


def test_throttling_that_outlasts_the_retries_falls_back_to_the_template(template):
    client, _ = stubbed("ThrottlingException")
    result = service.brief_with_model(template, MODEL, 700, client)
    assert result.source == "template" and result.fallback_reason.startswith("throttled: ThrottlingException")


class _Raw:
    def __init__(self, body: bytes) -> None:
        self.body = body

    def stream(self, **_: Any) -> Any:
        yield self.body


def _sender(answers: list[Any], sent: list[str]) -> Any:
    """botocore's before-send hook: answer each HTTP attempt in turn (the retry handler still runs)."""
    def send(request: Any, **_: Any) -> AWSResponse:
        sent.append(request.url)
        answer = answers.pop(0)
        if isinstance(answer, Exception):
            raise answer
        status, headers, body = answer
        return AWSResponse(request.url, status, headers, _Raw(json.dumps(body).encode()))
    return send


THROTTLED = (429, {"x-amzn-ErrorType": "ThrottlingException"}, {"message": "Too many requests"})


def test_throttling_is_retried_by_botocore_and_the_model_briefing_is_used(template, monkeypatch):
    monkeypatch.setattr("time.sleep", lambda _s: None)  # botocore's backoff; nothing here depends on time
    sent: list[str] = []
    client = bedrock(attempts=3)
    client.meta.events.register("before-send.bedrock-runtime.Converse", _sender(
        [THROTTLED, THROTTLED, (200, {}, converse_response(FAITHFUL_EY123))], sent))
    result = service.brief_with_model(template, MODEL, 700, client)
    assert len(sent) == 3
    assert result.source == "model"


def test_a_timeout_is_retried_then_falls_back_to_the_template(template, monkeypatch):
    monkeypatch.setattr("time.sleep", lambda _s: None)
    sent: list[str] = []
    client = bedrock(attempts=2, timeout=1)
    client.meta.events.register("before-send.bedrock-runtime.Converse", _sender(
        [ReadTimeoutError(endpoint_url="https://bedrock-runtime"), ReadTimeoutError(endpoint_url="https://x")],
        sent))
    result = service.brief_with_model(template, MODEL, 700, client)
    assert len(sent) == 2
    assert result.source == "template" and result.text == template.template_text
    assert result.fallback_reason.startswith("timeout: ReadTimeoutError")
    assert result.guard is None and result.model is not None and result.model.error


def test_every_fallback_is_counted_with_its_reason(template, capsys):
    from skymarshal.observability import metrics

    client, _ = stubbed("ThrottlingException")
    service.brief_with_model(template, MODEL, 700, client)
    printed = [json.loads(line) for line in capsys.readouterr().out.splitlines() if line.startswith("{")]
    emf = [p for p in printed if "_aws" in p and "BriefingFallbacks" in p]
    assert emf and emf[0]["reason"] == "throttled" and emf[0]["BriefingFallbacks"] == [1.0]
    metrics.clear_metrics()
