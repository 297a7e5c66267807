"""The embedded corpus, searchable by rule id and by free text."""

from __future__ import annotations

import functools
from collections.abc import Iterable
from typing import Literal

from skymarshal.knowledge.corpus import CorpusError, Passage, load_corpus
from skymarshal.knowledge.ranking import (
    Fts5Index,
    PythonIndex,
    fts5_available,
    normalize_rule,
    query_tokens,
    starts_at_boundary,
)
from skymarshal.models import Citation, Origin

MAX_CITATIONS = 10


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
        use_fts5 = engine == "fts5" or (engine == "auto" and fts5_available())
        self._index: Fts5Index | PythonIndex = (
            Fts5Index(self._passages) if use_fts5 else PythonIndex(self._passages)
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
                elif starts_at_boundary(rule_id, query):
                    key = (1, position)
                else:
                    continue
                found[passage.id] = min(key, found.get(passage.id, key))
        if not found:
            broader = [
                (len(rule_id), position, passage.id)
                for passage, rules in self._rules
                for position, rule_id in enumerate(rules)
                if starts_at_boundary(query, rule_id)
            ]
            longest = max((length for length, _, _ in broader), default=0)
            for length, position, passage_id in broader:
                if length == longest:
                    found[passage_id] = min((0, position), found.get(passage_id, (0, position)))
        relevance = self._index.scores(query_tokens(context)) if context.strip() else {}

        def order(passage_id: str) -> tuple[int, float, int, int]:
            group, position = found[passage_id]
            return group, -relevance.get(passage_id, 0.0), position, self._order[passage_id]

        return [self._by_id[i] for i in sorted(found, key=order)]

    def search(self, text: str, limit: int = 5) -> list[tuple[Passage, float]]:
        """Free-text bm25 search over title, body and rule ids; (passage, relevance) best first.

        A passage must match at least one word that is not a bare number, so "FAA 14 CFR 117" does not pull in
        passages that merely mention "14 days". Empty or symbol-only text finds nothing.
        """
        tokens = query_tokens(text)
        scores = self._index.scores(tokens)
        words = [t for t in tokens if not t.isdigit()]
        if words and words != tokens:
            eligible = self._index.scores(words).keys()
            scores = {i: score for i, score in scores.items() if i in eligible}
        ranked = sorted(scores, key=lambda i: (-scores[i], self._order[i]))
        return [(self._by_id[i], scores[i]) for i in ranked[: max(limit, 0)]]

    def cite(self, rule: str, context: str = "", limit: int = 2) -> list[Citation]:
        """Citations for ``rule`` applied in ``context``; the class docstring gives the strategy order."""
        limit = check_limit(limit)
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


def check_limit(limit: int) -> int:
    if limit < 1:
        raise ValueError(f"limit must be at least 1, got {limit}")
    return min(limit, MAX_CITATIONS)
