"""Regulatory guidance: the passage of regulation or policy behind each constraint the arbitrator applies.

Two sources answer the same question, "what does rule X say, here?":

- a Bedrock Knowledge Base (``bedrock-agent-runtime`` ``Retrieve``), used when ``KNOWLEDGE_BASE_ID`` is set;
- the embedded corpus, ``knowledge_corpus/*.md`` next to this module: short passages in the project's own
  words (EASA ORO.FTL, EU261 and its case law, MEL intervals, curfews, slots, connections, cargo policy),
  indexed once per process in an in-memory SQLite FTS5 table and ranked with bm25.

:class:`GuidanceService` asks Bedrock first (when configured), then the embedded corpus. If neither has
anything it returns a single citation with ``origin="none"`` that says so, so the decision records an uncited
rule instead of failing. The module needs only the standard library and pydantic; boto3 is imported the
first time Bedrock is called, and its client is created once per process.
"""

from __future__ import annotations

import functools
import logging
import math
import os
import re
import sqlite3
import threading
from collections import Counter
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any, Literal, Protocol, runtime_checkable

from pydantic import BaseModel, ConfigDict, Field, field_validator

__all__ = [
    "CORPUS_DIR",
    "EXCERPT_MAX_CHARS",
    "KNOWLEDGE_BASE_ID_ENV",
    "BedrockKnowledgeBase",
    "Citation",
    "CorpusError",
    "EmbeddedCorpus",
    "GuidanceAnswer",
    "GuidanceLookup",
    "GuidanceService",
    "KnowledgeBaseUnavailable",
    "Passage",
    "bedrock_documents",
    "guidance_from_env",
    "load_corpus",
    "normalize_rule",
    "parse_corpus",
]

logger = logging.getLogger(__name__)

Origin = Literal["bedrock", "embedded", "none"]

CORPUS_DIR = Path(__file__).with_name("knowledge_corpus")
KNOWLEDGE_BASE_ID_ENV = "KNOWLEDGE_BASE_ID"
EXCERPT_MAX_CHARS = 400
MAX_CITATIONS = 10
_MAX_QUERY_TOKENS = 32
_BEDROCK_QUERY_MAX_CHARS = 1000


class CorpusError(ValueError):
    """The embedded corpus files are malformed (missing field, duplicate id, unknown key)."""


class KnowledgeBaseUnavailable(RuntimeError):
    """The Bedrock knowledge base could not be queried (throttled, denied, misconfigured, unreachable)."""


def _excerpt(text: str, limit: int = EXCERPT_MAX_CHARS) -> str:
    """Collapse whitespace and cut ``text`` to ``limit`` characters at a word boundary."""
    flat = " ".join(text.split())
    if len(flat) <= limit:
        return flat
    cut = flat[: limit - 1]
    space = cut.rfind(" ")
    if space > limit // 2:
        cut = cut[:space]
    return cut.rstrip(" ,;:") + "…"


class Citation(BaseModel):
    """One piece of guidance attached to a decision (same fields as ``skymarshal.models.Citation``).

    ``score`` is the engine's relevance (Bedrock similarity, or -bm25 for embedded text search; higher is
    better, comparable only within one answer). It is ``None`` for a rule-id match and for the ``"none"``
    fallback. ``excerpt`` is trimmed to 400 characters.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    rule: str
    source: str
    title: str
    excerpt: str
    origin: Origin
    score: float | None = None

    @field_validator("excerpt", mode="before")
    @classmethod
    def _trim_excerpt(cls, value: Any) -> Any:
        return _excerpt(value) if isinstance(value, str) else value


@runtime_checkable
class GuidanceLookup(Protocol):
    """Anything that can cite guidance for a rule id, given the situation it is applied to."""

    def cite(self, rule: str, context: str = "", limit: int = 2) -> list[Citation]: ...


# ----------------------------------------------------------------------------------------------------
# Corpus: passages and their parser
# ----------------------------------------------------------------------------------------------------


class Passage(BaseModel):
    """One passage of the embedded corpus; ``rules`` lists the rule ids it covers, most specific first."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str = Field(pattern=r"^[a-z0-9][a-z0-9-]*$")
    title: str = Field(min_length=1)
    rules: tuple[str, ...] = Field(min_length=1)
    source: str = Field(min_length=1)
    body: str = Field(min_length=1)

    @field_validator("rules")
    @classmethod
    def _rules_not_blank(cls, rules: tuple[str, ...]) -> tuple[str, ...]:
        if any(not rule.strip() for rule in rules):
            raise ValueError("blank rule id")
        return rules


_HEADER_KEYS = frozenset({"title", "rules", "source"})


def parse_corpus(text: str, name: str = "<corpus>") -> list[Passage]:
    """Parse one corpus file: ``## id`` starts a passage, ``key: value`` header lines, a blank line, the body.

    Text before the first ``##`` heading is a note for readers and is ignored.
    """
    blocks: list[tuple[int, str, list[str]]] = []
    for number, line in enumerate(text.splitlines(), start=1):
        if line.startswith("## "):
            blocks.append((number, line[3:].strip(), []))
        elif blocks:
            blocks[-1][2].append(line)

    passages: list[Passage] = []
    for number, passage_id, lines in blocks:
        where = f"{name}:{number} ({passage_id})"
        header: dict[str, str] = {}
        index = 0
        while index < len(lines) and lines[index].strip():
            key, sep, value = lines[index].partition(":")
            key = key.strip().lower()
            if not sep or key not in _HEADER_KEYS:
                raise CorpusError(f"{where}: expected 'title:', 'rules:' or 'source:', got {lines[index]!r}")
            if key in header:
                raise CorpusError(f"{where}: '{key}' given twice")
            header[key] = value.strip()
            index += 1
        missing = _HEADER_KEYS - header.keys()
        if missing:
            raise CorpusError(f"{where}: missing {', '.join(sorted(missing))}")
        paragraphs = "\n".join(lines[index:]).strip().split("\n\n")
        body = "\n\n".join(" ".join(p.split()) for p in paragraphs if p.strip())
        try:
            passages.append(
                Passage(
                    id=passage_id,
                    title=header["title"],
                    rules=tuple(r.strip() for r in header["rules"].split(";") if r.strip()),
                    source=header["source"],
                    body=body,
                )
            )
        except ValueError as exc:
            raise CorpusError(f"{where}: {exc}") from exc
    return passages


def load_corpus(directory: Path = CORPUS_DIR) -> tuple[Passage, ...]:
    """Read every ``*.md`` file of the corpus folder (except README.md), in name order; ids must be unique."""
    passages: list[Passage] = []
    seen: set[str] = set()
    for path in sorted(directory.glob("*.md")):
        if path.name.lower() == "readme.md":
            continue
        for passage in parse_corpus(path.read_text(encoding="utf-8"), path.name):
            if passage.id in seen:
                raise CorpusError(f"{path.name}: duplicate passage id {passage.id!r}")
            seen.add(passage.id)
            passages.append(passage)
    if not passages:
        raise CorpusError(f"no passages found in {directory}")
    return tuple(passages)


# ----------------------------------------------------------------------------------------------------
# Rule ids and query text
# ----------------------------------------------------------------------------------------------------

_EU261_ALIAS = re.compile(
    r"(?<!\w)(?:regulation\s*)?(?:\(\s*(?:ec|eu)\s*\)|ec|eu)\s*(?:no\.?\s*)?261(?:\s*/\s*2004)?(?!\d)"
)
_ARTICLE = re.compile(r"\bart(?:icle)?\b\.?\s*")
_TOKEN = re.compile(r"[^\W_]+")
_STOPWORDS = frozenset(
    {"a", "an", "and", "are", "as", "at", "be", "by", "for", "from", "has", "have", "in", "is"}
    | {"it", "its", "of", "on", "or", "that", "the", "this", "to", "was", "were", "will", "with"}
    | {"art", "article", "annex", "no", "regulation"}  # structure of a rule id, not evidence of a topic
)


def normalize_rule(rule: str) -> str:
    """Canonical form of a rule id for exact matching.

    Case and spacing are ignored, "Article"/"Art" become "art.", the spellings of Regulation (EC) 261/2004
    become "eu261", and a leading "EASA" is dropped, so "easa oro.ftl.205 (f)" equals "ORO.FTL.205(f)".
    """
    text = " ".join(rule.casefold().split())
    text = _EU261_ALIAS.sub("eu261", text)
    text = _ARTICLE.sub("art. ", text)
    text = re.sub(r"\s*\(\s*", "(", text)
    text = re.sub(r"\s*\)", ")", text)
    text = re.sub(r"^easa\s+", "", text)
    return text.strip(" .")


def _query_tokens(*texts: str) -> list[str]:
    """Word tokens of free text, lower-cased, without stop words or repeats, at most 32."""
    tokens: list[str] = []
    for text in texts:
        for token in _TOKEN.findall(text.casefold()):
            if token not in _STOPWORDS and token not in tokens:
                tokens.append(token)
    return tokens[:_MAX_QUERY_TOKENS]


def _fts_query(tokens: Sequence[str]) -> str:
    """An FTS5 query that cannot be a syntax error: every token is a quoted string, joined by OR."""
    return " OR ".join('"' + token.replace('"', '""') + '"' for token in tokens)


def _starts_at_boundary(text: str, prefix: str) -> bool:
    """True when ``text`` begins with ``prefix`` followed by the end or a non-alphanumeric character."""
    return text.startswith(prefix) and (len(text) == len(prefix) or not text[len(prefix)].isalnum())


# ----------------------------------------------------------------------------------------------------
# Text ranking engines: SQLite FTS5 (bm25), and a plain-Python bm25 for a Python built without FTS5
# ----------------------------------------------------------------------------------------------------

_FTS_COLUMNS = "id UNINDEXED, title, body, rules"
_FTS_TOKENIZER = "porter unicode61"  # porter stemming, so "cancelled" finds "cancellation"
# bm25 column weights: id (not indexed), title, body, rules.
_FTS_WEIGHTS = (0.0, 3.0, 1.0, 5.0)


class _Fts5Index:
    name = "fts5"

    def __init__(self, passages: Sequence[Passage]) -> None:
        self._lock = threading.Lock()
        self._db = sqlite3.connect(":memory:", check_same_thread=False)
        module = f"fts5({_FTS_COLUMNS}, tokenize='{_FTS_TOKENIZER}')"
        self._db.execute(f"CREATE VIRTUAL TABLE passages USING {module}")
        self._db.executemany(
            "INSERT INTO passages (rowid, id, title, body, rules) VALUES (?, ?, ?, ?, ?)",
            [(n, p.id, p.title, p.body, " ; ".join(p.rules)) for n, p in enumerate(passages, start=1)],
        )

    def scores(self, tokens: Sequence[str]) -> dict[str, float]:
        if not tokens:
            return {}
        sql = "SELECT id, bm25(passages, ?, ?, ?, ?) FROM passages WHERE passages MATCH ?"
        try:
            with self._lock:
                rows = self._db.execute(sql, (*_FTS_WEIGHTS, _fts_query(tokens))).fetchall()
        except sqlite3.Error:  # defensive: the query is built from quoted tokens only
            logger.warning("embedded corpus: FTS5 query failed for tokens %r", tokens, exc_info=True)
            return {}
        return {passage_id: -rank for passage_id, rank in rows}


def _stem(token: str) -> str:
    """A crude stemmer so "cancelled" and "cancellation" meet "cancel" without FTS5's porter stemmer."""
    for suffix, replacement in (
        ("ations", ""),
        ("ation", ""),
        ("ings", ""),
        ("ing", ""),
        ("ies", "y"),
        ("ed", ""),
        ("es", ""),
        ("s", ""),
    ):
        if token.endswith(suffix) and len(token) - len(suffix) >= 3:
            token = token[: -len(suffix)] + replacement
            break
    if len(token) > 3 and token.endswith("e"):
        token = token[:-1]
    if len(token) > 3 and token[-1] == token[-2] and token[-1] not in "aeiou0123456789":
        token = token[:-1]
    return token


class _PythonIndex:
    """bm25 in plain Python, same field weights, for runtimes whose SQLite lacks FTS5."""

    name = "python"
    _K1 = 1.2
    _B = 0.75

    def __init__(self, passages: Sequence[Passage]) -> None:
        self._ids = [p.id for p in passages]
        self._tf: list[dict[str, float]] = []
        for p in passages:
            tf: dict[str, float] = {}
            fields = (
                (p.title, _FTS_WEIGHTS[1]),
                (p.body, _FTS_WEIGHTS[2]),
                (" ".join(p.rules), _FTS_WEIGHTS[3]),
            )
            for text, weight in fields:
                for token in _TOKEN.findall(text.casefold()):
                    term = _stem(token)
                    tf[term] = tf.get(term, 0.0) + weight
            self._tf.append(tf)
        self._lengths = [sum(tf.values()) for tf in self._tf]
        self._avg = sum(self._lengths) / max(len(self._lengths), 1)
        self._df: Counter[str] = Counter(term for tf in self._tf for term in tf)

    def scores(self, tokens: Sequence[str]) -> dict[str, float]:
        terms = {_stem(t) for t in tokens}
        n = len(self._ids)
        result: dict[str, float] = {}
        for passage_id, tf, length in zip(self._ids, self._tf, self._lengths, strict=True):
            score = 0.0
            matched = False
            for term in terms:
                freq = tf.get(term, 0.0)
                if not freq:
                    continue
                matched = True
                idf = max(math.log((n - self._df[term] + 0.5) / (self._df[term] + 0.5)), 1e-6)
                norm = self._K1 * (1 - self._B + self._B * length / self._avg)
                score += idf * freq * (self._K1 + 1) / (freq + norm)
            if matched:
                result[passage_id] = score
        return result


def _fts5_available() -> bool:
    probe = sqlite3.connect(":memory:")
    try:
        probe.execute("CREATE VIRTUAL TABLE probe USING fts5(x)")
    except sqlite3.Error:
        return False
    finally:
        probe.close()
    return True


# ----------------------------------------------------------------------------------------------------
# Embedded corpus
# ----------------------------------------------------------------------------------------------------


class EmbeddedCorpus:
    """The packaged corpus, searchable by rule id and by free text.

    ``cite`` answers from the rule ids first (:meth:`rule_matches`: the exact id after
    :func:`normalize_rule`, then narrower ids, else the nearest broader id), ranked by relevance to
    ``context``. Only when the rule id is unknown does it fall back to a bm25 text search (:meth:`search`)
    over title, body and rule ids, of ``rule`` and ``context`` together. User text reaches FTS5 only as
    quoted tokens, so no query string can raise.
    """

    origin: Origin = "embedded"

    def __init__(
        self, passages: Iterable[Passage] | None = None, *, engine: Literal["auto", "fts5", "python"] = "auto"
    ) -> None:
        self._passages = tuple(passages) if passages is not None else load_corpus()
        ids = [p.id for p in self._passages]
        if len(set(ids)) != len(ids):
            raise CorpusError("duplicate passage ids")
        self._by_id = {p.id: p for p in self._passages}
        self._order = {p.id: n for n, p in enumerate(self._passages)}
        self._rules = [(p, [normalize_rule(r) for r in p.rules]) for p in self._passages]
        use_fts5 = engine == "fts5" or (engine == "auto" and _fts5_available())
        self._index: _Fts5Index | _PythonIndex = (
            _Fts5Index(self._passages) if use_fts5 else _PythonIndex(self._passages)
        )

    @classmethod
    def default(cls) -> EmbeddedCorpus:
        """The packaged corpus, parsed and indexed once per process."""
        return _default_corpus()

    @property
    def passages(self) -> tuple[Passage, ...]:
        return self._passages

    @property
    def engine(self) -> str:
        """``"fts5"``, or ``"python"`` when this Python's SQLite was built without FTS5."""
        return self._index.name

    def passage(self, passage_id: str) -> Passage | None:
        return self._by_id.get(passage_id)

    def rule_matches(self, rule: str, context: str = "") -> list[Passage]:
        """Passages for a rule id, best first.

        Passages listing the id itself come first, then those listing a narrower id under it
        ("EASA ORO.FTL.205" also brings 205(d) and 205(f); "EU261" brings every EU261 passage). If there are
        none, the passages of the nearest broader id answer ("EU261 Art. 7(1)(b)" -> "EU261 Art. 7(1)").
        Within a group, passages more relevant to ``context`` come first, then those listing the id earlier
        (its primary passage), then corpus order.
        """
        query = normalize_rule(rule)
        if not query:
            return []
        found: dict[str, tuple[int, int]] = {}
        for passage, rules in self._rules:
            for position, rule_id in enumerate(rules):
                if rule_id == query:
                    key = (0, position)
                elif _starts_at_boundary(rule_id, query):
                    key = (1, position)
                else:
                    continue
                found[passage.id] = min(key, found.get(passage.id, key))
        if not found:
            broader = [
                (len(rule_id), position, passage.id)
                for passage, rules in self._rules
                for position, rule_id in enumerate(rules)
                if _starts_at_boundary(query, rule_id)
            ]
            longest = max((length for length, _, _ in broader), default=0)
            for length, position, passage_id in broader:
                if length == longest:
                    found[passage_id] = min((0, position), found.get(passage_id, (0, position)))
        relevance = self._index.scores(_query_tokens(context)) if context.strip() else {}

        def order(passage_id: str) -> tuple[int, float, int, int]:
            group, position = found[passage_id]
            return group, -relevance.get(passage_id, 0.0), position, self._order[passage_id]

        return [self._by_id[i] for i in sorted(found, key=order)]

    def search(self, text: str, limit: int = 5) -> list[tuple[Passage, float]]:
        """Free-text bm25 search over title, body and rule ids; (passage, relevance) best first.

        A passage must match at least one word that is not a bare number, so "FAA 14 CFR 117" does not pull in
        passages that merely mention "14 days". Empty or symbol-only text finds nothing.
        """
        tokens = _query_tokens(text)
        scores = self._index.scores(tokens)
        words = [t for t in tokens if not t.isdigit()]
        if words and words != tokens:
            eligible = self._index.scores(words).keys()
            scores = {i: score for i, score in scores.items() if i in eligible}
        ranked = sorted(scores, key=lambda i: (-scores[i], self._order[i]))
        return [(self._by_id[i], scores[i]) for i in ranked[: max(limit, 0)]]

    def cite(self, rule: str, context: str = "", limit: int = 2) -> list[Citation]:
        """Citations for ``rule`` applied in ``context``; the class docstring gives the strategy order."""
        limit = _check_limit(limit)
        rule = rule.strip()
        matches = self.rule_matches(rule, context)
        if matches:
            return [self._citation(rule, passage, None) for passage in matches[:limit]]
        found = self.search(f"{rule} {context}", limit)
        return [self._citation(rule, passage, round(score, 4)) for passage, score in found]

    @staticmethod
    def _citation(rule: str, passage: Passage, score: float | None) -> Citation:
        return Citation(
            rule=rule,
            source=passage.source,
            title=passage.title,
            excerpt=passage.body,
            origin="embedded",
            score=score,
        )


@functools.cache
def _default_corpus() -> EmbeddedCorpus:
    return EmbeddedCorpus()


def _check_limit(limit: int) -> int:
    if limit < 1:
        raise ValueError(f"limit must be at least 1, got {limit}")
    return min(limit, MAX_CITATIONS)


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


# ----------------------------------------------------------------------------------------------------
# Bedrock knowledge base
# ----------------------------------------------------------------------------------------------------


@functools.cache
def _bedrock_client() -> Any:
    """The bedrock-agent-runtime client, created on first use and reused for the life of the process."""
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
        from botocore.exceptions import BotoCoreError, ClientError

        limit = _check_limit(limit)
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


# ----------------------------------------------------------------------------------------------------
# The service the arbitrator uses
# ----------------------------------------------------------------------------------------------------


class GuidanceAnswer(BaseModel):
    """What :meth:`GuidanceService.lookup` found, and which source answered."""

    model_config = ConfigDict(frozen=True)

    rule: str
    answered_by: Origin
    citations: list[Citation]
    fallback_reason: str | None = None


class GuidanceService:
    """Bedrock first when configured, then the embedded corpus, then an explicit "no guidance found" citation.

    The fallback citation (``origin="none"``) is meant to be recorded in the decision as it is: the arbitrator
    applies its rule either way, and the audit trail shows that the rule went uncited and why.
    """

    def __init__(
        self,
        bedrock: BedrockKnowledgeBase | None = None,
        embedded: EmbeddedCorpus | None = None,
    ) -> None:
        self.bedrock = bedrock
        self._embedded = embedded
        self.last_answered_by: Origin | None = None

    @property
    def embedded(self) -> EmbeddedCorpus:
        if self._embedded is None:
            self._embedded = EmbeddedCorpus.default()
        return self._embedded

    @property
    def sources(self) -> tuple[str, ...]:
        """The sources tried, in order."""
        return ("bedrock", "embedded") if self.bedrock is not None else ("embedded",)

    def lookup(self, rule: str, context: str = "", limit: int = 2) -> GuidanceAnswer:
        """Cite ``rule``: Bedrock if it answers, else the embedded corpus, else one ``"none"`` citation."""
        limit = _check_limit(limit)
        rule = rule.strip()
        reason: str | None = None
        if self.bedrock is not None:
            try:
                found = self.bedrock.cite(rule, context, limit)
            except KnowledgeBaseUnavailable as exc:
                reason = f"Bedrock knowledge base unavailable ({exc})"
                logger.warning("guidance: %s; falling back to the embedded corpus", reason)
            else:
                if found:
                    return self._answer(rule, "bedrock", found, None)
                reason = "Bedrock knowledge base returned no passage"
        found = self.embedded.cite(rule, context, limit)
        if found:
            return self._answer(rule, "embedded", found, reason)
        searched = " and ".join(self.sources)
        why = (reason + "; " if reason else "") + "no passage in the embedded corpus"
        none = Citation(
            rule=rule,
            source=f"none (searched: {searched})",
            title="No guidance found",
            excerpt=f"No guidance was found for rule '{_excerpt(rule, 80)}': {why}. "
            "The decision records this rule without a cited source.",
            origin="none",
        )
        return self._answer(rule, "none", [none], reason)

    def cite(self, rule: str, context: str = "", limit: int = 2) -> list[Citation]:
        """:class:`GuidanceLookup` form of :meth:`lookup`; ``last_answered_by`` names the source."""
        return self.lookup(rule, context, limit).citations

    def _answer(
        self,
        rule: str,
        origin: Origin,
        citations: list[Citation],
        reason: str | None,
    ) -> GuidanceAnswer:
        self.last_answered_by = origin
        return GuidanceAnswer(rule=rule, answered_by=origin, citations=citations, fallback_reason=reason)


def guidance_from_env() -> GuidanceService:
    """The service configured by ``KNOWLEDGE_BASE_ID`` (empty or unset: the embedded corpus only)."""
    knowledge_base_id = os.environ.get(KNOWLEDGE_BASE_ID_ENV, "").strip()
    return GuidanceService(bedrock=BedrockKnowledgeBase(knowledge_base_id) if knowledge_base_id else None)
