"""Regulatory guidance: the passage of regulation or policy behind each constraint the arbitrator applies.

Two sources answer the same question, "what does rule X say, here?":

- a Bedrock Knowledge Base (``bedrock-agent-runtime`` ``Retrieve``), used when ``KNOWLEDGE_BASE_ID`` is set
  (`bedrock`);
- the embedded corpus, ``knowledge_corpus/*.md`` beside this package (`corpus`): short passages in the
  project's own words (EASA ORO.FTL, EU261 and its case law, MEL intervals, curfews, slots, connections, cargo
  policy), indexed once per process in an in-memory SQLite FTS5 table and ranked with bm25 (`ranking`,
  `embedded`).

:class:`GuidanceService` (`service`) asks Bedrock first (when configured), then the embedded corpus. If neither
has anything it returns a single citation with ``origin="none"`` that says so, so the decision records an
uncited rule instead of failing. The package needs only the standard library and pydantic; boto3 is imported
the first time Bedrock is called, and its client is created once per process. Citations are
``skymarshal.models.Citation``, the decision's own contract.
"""

from skymarshal.knowledge.bedrock import BedrockKnowledgeBase, KnowledgeBaseUnavailable, bedrock_documents
from skymarshal.knowledge.corpus import CORPUS_DIR, CorpusError, Passage, load_corpus, parse_corpus
from skymarshal.knowledge.embedded import MAX_CITATIONS, EmbeddedCorpus
from skymarshal.knowledge.ranking import normalize_rule
from skymarshal.knowledge.service import GuidanceAnswer, GuidanceLookup, GuidanceService, guidance_from_env
from skymarshal.models import EXCERPT_MAX_CHARS, Citation, Origin

KNOWLEDGE_BASE_ID_ENV = "KNOWLEDGE_BASE_ID"  # read by skymarshal.config

__all__ = [
    "CORPUS_DIR",
    "EXCERPT_MAX_CHARS",
    "KNOWLEDGE_BASE_ID_ENV",
    "MAX_CITATIONS",
    "BedrockKnowledgeBase",
    "Citation",
    "CorpusError",
    "EmbeddedCorpus",
    "GuidanceAnswer",
    "GuidanceLookup",
    "GuidanceService",
    "KnowledgeBaseUnavailable",
    "Origin",
    "Passage",
    "bedrock_documents",
    "guidance_from_env",
    "load_corpus",
    "normalize_rule",
    "parse_corpus",
]
