"""The duty manager's briefing written by a foundation model (Amazon Bedrock, Converse API), under the guard.

The template briefing (skymarshal.domain.briefing) is always written by the arbitrator. When BRIEFING_MODEL_ID
is set, the WriteDutyManagerBriefing step asks the model to explain the same facts; `brief_with_model` keeps the
model's text only if `domain.briefing.guard` passes it, and otherwise returns the template's text with the
reason. Whatever happens, the call (prompt, model id, token counts, latency) and the guard's verdict go into the
returned `Briefing`, which the step checkpoints for the audit.

Bounded cost and time: `maxTokens` (BRIEFING_MAX_TOKENS), botocore's read timeout (BRIEFING_TIMEOUT_SECONDS)
and its `standard` retry mode (BRIEFING_MAX_ATTEMPTS attempts: ThrottlingException, ServiceUnavailable,
timeouts) — no hand-written loop. A call that still fails, times out, is cut at the token limit or fails the
guard falls back to the template; the step never fails the workflow because of the model.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from functools import cache
from typing import Any

import boto3
from aws_lambda_powertools.metrics import MetricUnit, single_metric
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError, ConnectTimeoutError, ReadTimeoutError

from skymarshal.config import settings
from skymarshal.domain.briefing import SYSTEM_PROMPT, guard, user_prompt
from skymarshal.models import Briefing, ModelCall
from skymarshal.observability import NAMESPACE, logger, metrics

Writer = Callable[[Briefing], Briefing]


def client_config(timeout_seconds: int, max_attempts: int) -> Config:
    retries: Any = {"mode": "standard", "total_max_attempts": max_attempts}
    return Config(retries=retries, connect_timeout=5, read_timeout=timeout_seconds)


@cache
def bedrock_runtime(timeout_seconds: int, max_attempts: int) -> Any:
    """The bedrock-runtime client, once per container and configuration."""
    return boto3.client("bedrock-runtime", config=client_config(timeout_seconds, max_attempts))


def _text_of(response: dict[str, Any]) -> str:
    content = response.get("output", {}).get("message", {}).get("content", [])
    return "".join(part.get("text", "") for part in content).strip()


def _call(client: Any, call: ModelCall) -> tuple[str | None, str | None]:
    """Converse once (botocore retries inside); returns (text, None) or (None, why it failed). Fills `call`."""
    try:
        response = client.converse(
            modelId=call.model_id,
            system=[{"text": call.system_prompt}],
            messages=[{"role": "user", "content": [{"text": call.user_prompt}]}],
            inferenceConfig={"maxTokens": call.max_tokens, "temperature": 0},
        )
    except (ReadTimeoutError, ConnectTimeoutError) as exc:
        call.error = f"{type(exc).__name__}: {exc}"
        return None, "timeout"
    except ClientError as exc:
        code = exc.response.get("Error", {}).get("Code", "ClientError")
        call.error = f"{code}: {exc.response.get('Error', {}).get('Message', '')}"
        return None, "throttled" if code == "ThrottlingException" else "model_error"
    except BotoCoreError as exc:
        call.error = f"{type(exc).__name__}: {exc}"
        return None, "model_error"
    usage = response.get("usage", {})
    call.input_tokens = usage.get("inputTokens")
    call.output_tokens = usage.get("outputTokens")
    call.latency_ms = response.get("metrics", {}).get("latencyMs")
    call.stop_reason = response.get("stopReason")
    call.text = _text_of(response)
    if call.stop_reason == "max_tokens":
        return None, "token_limit"
    return call.text, None


def _count(name: str, reason: str | None = None) -> None:
    with contextlib.suppress(Exception):  # counting never fails the step
        if reason is None:
            metrics.add_metric(name=name, unit=MetricUnit.Count, value=1)
            return
        with single_metric(name=name, unit=MetricUnit.Count, value=1, namespace=NAMESPACE) as metric:
            metric.add_dimension(name="reason", value=reason)


def brief_with_model(template: Briefing, model_id: str, max_tokens: int, client: Any) -> Briefing:
    """The model's briefing of `template.facts` if the guard passes it, else the template's text with the reason."""
    call = ModelCall(model_id=model_id, system_prompt=SYSTEM_PROMPT, user_prompt=user_prompt(template.facts),
                     max_tokens=max_tokens)
    text, failure = _call(client, call)
    verdict = guard(text, template.facts) if text is not None else None
    if verdict is not None and not verdict.passed:
        failure = "guard"
    if failure is None and text is not None:
        _count("BriefingsFromModel")
        return template.model_copy(update={"text": text, "source": "model", "model": call, "guard": verdict})
    reason = failure or "model_error"
    detail = "; ".join(verdict.reasons) if verdict is not None else call.error or reason
    logger.warning("model briefing discarded, the template briefing is used",
                   extra={"reason": reason, "detail": detail, "model_id": model_id,
                          "unsupported": verdict.unsupported if verdict else []})
    _count("BriefingFallbacks", reason)
    return template.model_copy(update={"source": "template", "model": call, "guard": verdict,
                                       "fallback_reason": f"{reason}: {detail}"})


def writer_from_env() -> Writer | None:
    """The model writer configured by BRIEFING_MODEL_ID (None: the template briefing stands)."""
    s = settings()
    if not s.briefing_model_id:
        return None
    client = bedrock_runtime(s.briefing_timeout_seconds, s.briefing_max_attempts)
    return lambda template: brief_with_model(template, s.briefing_model_id, s.briefing_max_tokens, client)
