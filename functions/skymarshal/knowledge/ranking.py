"""Rule ids and query text, and the two text-ranking engines: SQLite FTS5 (bm25), and a plain-Python bm25 for
a Python built without FTS5."""

from __future__ import annotations

import logging
import math
import re
import sqlite3
import threading
from collections import Counter
from collections.abc import Sequence

from skymarshal.knowledge.corpus import Passage

logger = logging.getLogger(__name__)

MAX_QUERY_TOKENS = 32
_EU261_ALIAS = re.compile(
    r"(?<!\w)(?:regulation\s*)?(?:\(\s*(?:ec|eu)\s*\)|ec|eu)\s*(?:no\.?\s*)?261(?:\s*/\s*2004)?(?!\d)"
)
_ARTICLE = re.compile(r"\bart(?:icle)?\b\.?\s*")
TOKEN = re.compile(r"[^\W_]+")
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


def query_tokens(*texts: str) -> list[str]:
    """Word tokens of free text, lower-cased, without stop words or repeats, at most 32."""
    tokens: list[str] = []
    for text in texts:
        for token in TOKEN.findall(text.casefold()):
            if token not in _STOPWORDS and token not in tokens:
                tokens.append(token)
    return tokens[:MAX_QUERY_TOKENS]


def _fts_query(tokens: Sequence[str]) -> str:
    """An FTS5 query that cannot be a syntax error: every token is a quoted string, joined by OR."""
    return " OR ".join('"' + token.replace('"', '""') + '"' for token in tokens)


def starts_at_boundary(text: str, prefix: str) -> bool:
    """True when ``text`` begins with ``prefix`` followed by the end or a non-alphanumeric character."""
    return text.startswith(prefix) and (len(text) == len(prefix) or not text[len(prefix)].isalnum())


_FTS_COLUMNS = "id UNINDEXED, title, body, rules"
_FTS_TOKENIZER = "porter unicode61"  # porter stemming, so "cancelled" finds "cancellation"
# bm25 column weights: id (not indexed), title, body, rules.
FTS_WEIGHTS = (0.0, 3.0, 1.0, 5.0)


class Fts5Index:
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
                rows = self._db.execute(sql, (*FTS_WEIGHTS, _fts_query(tokens))).fetchall()
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


class PythonIndex:
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
                (p.title, FTS_WEIGHTS[1]),
                (p.body, FTS_WEIGHTS[2]),
                (" ".join(p.rules), FTS_WEIGHTS[3]),
            )
            for text, weight in fields:
                for token in TOKEN.findall(text.casefold()):
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


def fts5_available() -> bool:
    probe = sqlite3.connect(":memory:")
    try:
        probe.execute("CREATE VIRTUAL TABLE probe USING fts5(x)")
    except sqlite3.Error:
        return False
    finally:
        probe.close()
    return True
