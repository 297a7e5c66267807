"""The service the arbitrator uses: Bedrock first when configured, then the embedded corpus, then an explicit
"no guidance found" citation."""

import logging
from typing import Protocol, runtime_checkable

from pydantic import BaseModel, ConfigDict

from skymarshal.config import settings
from skymarshal.knowledge.bedrock import BedrockKnowledgeBase, KnowledgeBaseUnavailable
from skymarshal.knowledge.embedded import EmbeddedCorpus, check_limit
from skymarshal.models import Citation, Origin, trim_excerpt

logger = logging.getLogger(__name__)


@runtime_checkable
class GuidanceLookup(Protocol):
    """Anything that can cite guidance for a rule id, given the situation it is applied to."""

    def cite(self, rule: str, context: str = "", limit: int = 2) -> list[Citation]: ...


class GuidanceAnswer(BaseModel):
    """What :meth:`GuidanceService.lookup` found, and which source answered."""

    model_config = ConfigDict(frozen=True, defer_build=True)

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
        limit = check_limit(limit)
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
            excerpt=f"No guidance was found for rule '{trim_excerpt(rule, 80)}': {why}. "
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
    knowledge_base_id = settings().knowledge_base_id.strip()
    return GuidanceService(bedrock=BedrockKnowledgeBase(knowledge_base_id) if knowledge_base_id else None)
