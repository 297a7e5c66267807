"""Guidance from an Amazon Bedrock knowledge base, and the corpus exported as its documents.

boto3 is imported the first time Bedrock is called, so the embedded corpus is usable with the standard
library and pydantic alone (benchmarks, corpus tooling)."""

from __future__ import annotations

import functools
from collections.abc import Iterable
from typing import Any

from skymarshal.knowledge.corpus import Passage
from skymarshal.knowledge.embedded import EmbeddedCorpus, check_limit
from skymarshal.models import Citation, Origin

_BEDROCK_QUERY_MAX_CHARS = 1000


class KnowledgeBaseUnavailable(RuntimeError):
    """The Bedrock knowledge base could not be queried (throttled, denied, misconfigured, unreachable)."""


def bedrock_documents(passages: Iterable[Passage] | None = None) -> list[tuple[str, str, dict[str, Any]]]:
    """The corpus as files for a Bedrock knowledge base S3 data source.

    Each item is (object key, document text, body of ``<key>.metadata.json``).

    :class:`BedrockKnowledgeBase` reads the ``title`` and ``source`` metadata attributes back, so citations
    name the same sources as the embedded corpus; ``passage_id`` and ``rules`` serve retrieval filters.
    """
    documents = []
    for p in passages if passages is not None else EmbeddedCorpus.default().passages:
        text = f"# {p.title}\n\nRules: {'; '.join(p.rules)}\nSource: {p.source}\n\n{p.body}\n"
        attributes = {"passage_id": p.id, "title": p.title, "source": p.source, "rules": list(p.rules)}
        documents.append((f"{p.id}.md", text, {"metadataAttributes": attributes}))
    return documents


@functools.cache
def _bedrock_client() -> Any:
    """The bedrock-agent-runtime client, created on first use and reused for the life of the process."""
    # Imported here, not at the top: the embedded corpus must work without boto3 (see the module docstring).
    import boto3
    from botocore.config import Config

    config = Config(connect_timeout=2, read_timeout=5, retries={"max_attempts": 2, "mode": "standard"})
    return boto3.client("bedrock-agent-runtime", config=config)


_KB_SOURCE_URI = "x-amz-bedrock-kb-source-uri"


def _metadata_text(metadata: dict[str, Any], key: str) -> str | None:
    value = metadata.get(key)
    return value.strip() if isinstance(value, str) and value.strip() else None


def _location_uri(location: dict[str, Any]) -> str | None:
    """The document address in a Retrieve result location (s3Location.uri, webLocation.url, ...)."""
    for value in location.values():
        if isinstance(value, dict):
            for field in ("uri", "url", "id"):
                found = value.get(field)
                if isinstance(found, str) and found:
                    return found
    return None


class BedrockKnowledgeBase:
    """Guidance from an Amazon Bedrock knowledge base, through ``bedrock-agent-runtime`` ``Retrieve``.

    Results map to citations with ``origin="bedrock"``: excerpt from ``content.text``, score from ``score``,
    source and title from the ``source``/``title`` metadata attributes (see :func:`bedrock_documents`), else
    from the document location. Any AWS error is raised as :class:`KnowledgeBaseUnavailable`.
    """

    origin: Origin = "bedrock"

    def __init__(self, knowledge_base_id: str, *, client: Any | None = None, min_score: float = 0.0) -> None:
        if not knowledge_base_id.strip():
            raise ValueError("knowledge_base_id is empty")
        self.knowledge_base_id = knowledge_base_id.strip()
        self.min_score = min_score
        self._client = client

    @property
    def client(self) -> Any:
        if self._client is None:
            self._client = _bedrock_client()
        return self._client

    def cite(self, rule: str, context: str = "", limit: int = 2) -> list[Citation]:
        """Retrieve up to ``limit`` passages for ``rule`` in ``context``; empty when nothing scored."""
        # Imported here, not at the top: only a configured Bedrock needs botocore (see the module docstring).
        from botocore.exceptions import BotoCoreError, ClientError

        limit = check_limit(limit)
        rule = rule.strip()
        query = " - ".join(part for part in (rule, " ".join(context.split())) if part)
        query = query[:_BEDROCK_QUERY_MAX_CHARS]
        if not query:
            return []
        try:
            response = self.client.retrieve(
                knowledgeBaseId=self.knowledge_base_id,
                retrievalQuery={"text": query},
                retrievalConfiguration={"vectorSearchConfiguration": {"numberOfResults": limit}},
            )
        except ClientError as exc:
            error = exc.response.get("Error", {})
            code, message = error.get("Code", "ClientError"), error.get("Message", "")
            raise KnowledgeBaseUnavailable(f"{code}: {message}") from exc
        except BotoCoreError as exc:
            raise KnowledgeBaseUnavailable(f"{type(exc).__name__}: {exc}") from exc
        citations = []
        for result in response.get("retrievalResults") or []:
            citation = self._citation(rule, result)
            if citation is not None:
                citations.append(citation)
        return citations[:limit]

    def _citation(self, rule: str, result: dict[str, Any]) -> Citation | None:
        text = (result.get("content") or {}).get("text") or ""
        score = result.get("score")
        if not text.strip() or (score is not None and score < self.min_score):
            return None
        metadata = result.get("metadata") or {}
        uri = _location_uri(result.get("location") or {}) or _metadata_text(metadata, _KB_SOURCE_URI)
        default_title = uri.rstrip("/").rsplit("/", 1)[-1] if uri else "Knowledge base passage"
        return Citation(
            rule=rule,
            source=_metadata_text(metadata, "source") or uri or f"knowledge base {self.knowledge_base_id}",
            title=_metadata_text(metadata, "title") or default_title,
            excerpt=text,
            origin="bedrock",
            score=float(score) if score is not None else None,
        )
