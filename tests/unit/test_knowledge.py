"""The regulatory knowledge base: embedded corpus, search, Bedrock retrieval and the fallback chain."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import botocore.session
import pytest
from botocore.stub import Stubber
from hypothesis import given, settings
from hypothesis import strategies as st

from skymarshal.knowledge import (
    CORPUS_DIR,
    BedrockKnowledgeBase,
    Citation,
    CorpusError,
    EmbeddedCorpus,
    GuidanceLookup,
    GuidanceService,
    bedrock_documents,
    guidance_from_env,
    load_corpus,
    normalize_rule,
    parse_corpus,
)

KB_ID = "KBTEST1234"
_ID_BY_TITLE = {p.title: p.id for p in load_corpus()}


def pid(citation: Citation) -> str:
    """The embedded passage a citation quotes (titles are unique, see the consistency test)."""
    return _ID_BY_TITLE.get(citation.title, "?")


@pytest.fixture(scope="module")
def corpus() -> EmbeddedCorpus:
    return EmbeddedCorpus.default()


@pytest.fixture(scope="module", params=["fts5", "python"])
def engine_corpus(request: pytest.FixtureRequest, corpus: EmbeddedCorpus) -> EmbeddedCorpus:
    """The same corpus on both ranking engines: SQLite FTS5, and the plain-Python bm25 used without FTS5."""
    return EmbeddedCorpus(corpus.passages, engine=request.param)


@pytest.fixture(scope="module")
def bedrock_client() -> Any:
    session = botocore.session.get_session()
    return session.create_client(
        "bedrock-agent-runtime",
        region_name="eu-west-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )


@pytest.fixture
def stub(bedrock_client: Any) -> Iterator[Stubber]:
    with Stubber(bedrock_client) as stubber:
        yield stubber
        stubber.assert_no_pending_responses()


def _retrieve_params(text: str, limit: int = 2) -> dict[str, Any]:
    return {
        "knowledgeBaseId": KB_ID,
        "retrievalQuery": {"text": text},
        "retrievalConfiguration": {"vectorSearchConfiguration": {"numberOfResults": limit}},
    }


# ----------------------------------------------------------------------------------------------------
# The corpus itself
# ----------------------------------------------------------------------------------------------------


def test_corpus_is_packaged_next_to_the_module_and_every_passage_is_complete(corpus: EmbeddedCorpus) -> None:
    assert CORPUS_DIR.parent.name == "skymarshal"
    assert (CORPUS_DIR / "README.md").exists()
    passages = corpus.passages
    assert 20 <= len(passages) <= 30
    assert len({p.id for p in passages}) == len(passages)
    assert len({p.title for p in passages}) == len(passages)
    for p in passages:
        assert p.id and p.title and p.rules and p.source and p.body, p.id
        assert all(rule.strip() for rule in p.rules), p.id
        assert len(p.body) <= 400, f"{p.id}: body is {len(p.body)} chars, keep it short"


@pytest.mark.parametrize(
    ("passage_id", "numbers"),
    [
        ("ftl-fdp-table", ["13:00", "06:00 and 13:29", "11:00", "17:00 to 04:59", "12:00 to 12:45"]),
        ("ftl-fdp-sectors", ["30 minutes", "09:00", "12:00 for 4 sectors"]),
        ("ftl-extension-205d", ["1 hour", "twice in any 7 consecutive days"]),
        ("ftl-commander-discretion", ["2 hours", "3 hours with an augmented crew"]),
        ("ftl-rest-235", ["12 hours", "10 hours", "8-hour sleep opportunity"]),
        (
            "ftl-cumulative-210",
            ["60 hours in any 7", "110 hours in 14", "190 hours in 28", "100 hours in 28"],
        ),
        ("ftl-cumulative-210", ["900 hours in a calendar", "1,000 hours in 12 consecutive months"]),
        ("eu261-art7-compensation", ["€250", "1,500 km", "€400", "3,500 km", "€600"]),
        ("eu261-art7-halving", ["2 hours", "3 hours", "4 hours", "by half"]),
        (
            "eu261-art5-notice",
            ["14 days", "7 and 14 days", "2 hours early", "less than 4 hours", "1 hour early"],
        ),
        ("eu261-art6-delay-care", ["2 hours", "3 hours", "4 hours", "next day", "From 5 hours"]),
        ("eu261-arrival-delay-3h", ["3 hours or more"]),
        (
            "mel-categories",
            ["3 consecutive calendar days", "10 consecutive", "120 consecutive", "not counted"],
        ),
        ("curfew-frankfurt", ["23:00 and 05:00"]),
        ("curfew-sydney", ["23:00 and 06:00", "exceptional circumstances"]),
        ("curfew-buffer-policy", ["15-minute buffer"]),
        ("slot-tolerance", ["more than 15 minutes"]),
        ("minimum-connection-time", ["60 minutes", "90 minutes", "120 minutes"]),
        (
            "cargo-temperature-chain",
            ["1 hour", "REF (refrigerated) 2 hours", "2 hours", "COL (cool) 4 hours"],
        ),
        ("cargo-avi-hum-offload", ["AVI and HUM", "confirmed alternative"]),
    ],
)
def test_corpus_numbers_agree_with_facts(corpus: EmbeddedCorpus, passage_id: str, numbers: list[str]) -> None:
    passage = corpus.passage(passage_id)
    assert passage is not None, passage_id
    text = " ".join(passage.body.split())
    for number in numbers:
        assert " ".join(number.split()) in text, f"{passage_id}: {number!r} missing"


def test_corpus_covers_every_handling_code_and_rule_family(corpus: EmbeddedCorpus) -> None:
    for rule in [
        "EASA ORO.FTL.205 Table 2", "EASA ORO.FTL.205(d)", "EASA ORO.FTL.205(f)", "EASA ORO.FTL.210",
        "EASA ORO.FTL.235", "EASA ORO.FTL.230", "EU261 Art. 5", "EU261 Art. 5(3)", "EU261 Art. 6",
        "EU261 Art. 7", "EU261 Art. 7(2)", "EU261 Art. 8", "EU261 Art. 9", "CJEU Sturgeon C-402/07",
        "CJEU Nelson C-581/10",
        "CJEU Wallentin-Hermann C-549/07", "MEL category A", "MEL category D", "MEL expired deferral",
        "curfew FRA", "curfew SYD", "slot tolerance", "minimum connection time",
        "PER", "DGR", "AVI", "PIL", "VAL", "HUM",
    ]:  # fmt: skip
        assert corpus.rule_matches(rule), f"no passage for {rule}"


def test_parser_rejects_a_passage_without_its_source() -> None:
    text = "## some-id\ntitle: A title\nrules: X 1\n\nBody.\n"
    with pytest.raises(CorpusError, match="missing source"):
        parse_corpus(text, "broken.md")


def test_parser_rejects_unknown_header_keys() -> None:
    text = "## some-id\ntitle: T\nrules: X 1\nsource: S\nauthor: me\n\nBody.\n"
    with pytest.raises(CorpusError, match="author"):
        parse_corpus(text, "broken.md")


def test_duplicate_passage_ids_across_files_are_rejected(tmp_path: Path) -> None:
    passage = "## same-id\ntitle: T\nrules: X 1\nsource: S\n\nBody.\n"
    (tmp_path / "a.md").write_text(passage, encoding="utf-8")
    (tmp_path / "b.md").write_text(passage, encoding="utf-8")
    (tmp_path / "README.md").write_text("## not-a-passage\nanything goes here\n", encoding="utf-8")
    with pytest.raises(CorpusError, match="duplicate passage id 'same-id'"):
        load_corpus(tmp_path)


def test_corpus_is_built_once_per_process_with_fts5(corpus: EmbeddedCorpus) -> None:
    # build time is a benchmark concern (benchmarks/), not a test assertion
    assert EmbeddedCorpus.default() is corpus
    fresh = EmbeddedCorpus(load_corpus())
    assert fresh.engine == "fts5", "this Python's SQLite should have FTS5"


# ----------------------------------------------------------------------------------------------------
# Rule-id lookups
# ----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("rule", "normal"),
    [
        ("EASA ORO.FTL.205 (f)", "oro.ftl.205(f)"),
        ("ORO.FTL.205(f)", "oro.ftl.205(f)"),
        ("Regulation (EC) 261/2004 Article 7", "eu261 art. 7"),
        ("EC 261 art 7(2)", "eu261 art. 7(2)"),
        ("EU261  Art.5(1)(c)", "eu261 art. 5(1)(c)"),
        ("  mel   CATEGORY b ", "mel category b"),
    ],
)
def test_rule_ids_are_normalised(rule: str, normal: str) -> None:
    assert normalize_rule(rule) == normal


@pytest.mark.parametrize(
    ("rule", "passage_id", "source_has"),
    [
        ("EASA ORO.FTL.205 Table 2", "ftl-fdp-table", "ORO.FTL.205(b), Table 2"),
        ("EASA ORO.FTL.205", "ftl-fdp-table", "Regulation (EU) 965/2012"),
        ("ORO.FTL.205(f)", "ftl-commander-discretion", "ORO.FTL.205(f)"),
        ("EASA ORO.FTL.205(d)", "ftl-extension-205d", "ORO.FTL.205(d)"),
        ("EASA ORO.FTL.235", "ftl-rest-235", "ORO.FTL.235"),
        ("EASA ORO.FTL.210", "ftl-cumulative-210", "ORO.FTL.210"),
        ("EU261 Art. 7", "eu261-art7-compensation", "261/2004, Art. 7(1)"),
        ("Regulation (EC) 261/2004 Article 7(1)(b)", "eu261-art7-compensation", "Art. 7(1)"),
        ("EU261 Art. 7(2)", "eu261-art7-halving", "Art. 7(2)"),
        ("EU261 Art. 5(1)(c)", "eu261-art5-notice", "Art. 5(1)(c)"),
        ("EU261 Art. 6", "eu261-art6-delay-care", "Art. 6(1)"),
        ("EU261 Art. 9", "eu261-art9-care", "Art. 9"),
        ("CJEU Wallentin-Hermann C-549/07", "eu261-technical-faults", "C-549/07"),
        ("CJEU Sturgeon C-402/07", "eu261-arrival-delay-3h", "Sturgeon"),
        ("MEL category B", "mel-categories", "TP 9155"),
        ("MEL expired deferral", "mel-expired-deferral-aog", "ORO.MLR.105"),
        ("curfew SYD", "curfew-sydney", "Sydney Airport Curfew Act 1995"),
        ("DGR", "cargo-dgr", "Dangerous Goods Regulations"),
    ],
)
def test_rule_id_lookup_returns_its_passage_with_source(
    corpus: EmbeddedCorpus, rule: str, passage_id: str, source_has: str
) -> None:
    first = corpus.cite(rule)[0]
    assert pid(first) == passage_id
    assert source_has in first.source
    assert first.origin == "embedded"
    assert first.rule == rule
    assert first.score is None, "an exact rule-id match carries no search score"
    assert first.excerpt == corpus.passage(passage_id).body  # type: ignore[union-attr]


def test_a_broad_rule_id_is_ranked_by_the_situation(corpus: EmbeddedCorpus) -> None:
    hotel = corpus.cite("EU261", "passengers need a hotel overnight", limit=2)
    assert pid(hotel[0]) == "eu261-art9-care"
    meals = corpus.cite("EU261", "departure delay reaches 3 hours: meals and refreshments", limit=2)
    assert pid(meals[0]) == "eu261-art6-delay-care"
    assert all(pid(c).startswith("eu261-") for c in hotel + meals)
    curfew = corpus.cite("airport curfew", "arrival in Sydney at 23:20 local", limit=2)
    assert [pid(c) for c in curfew] == ["curfew-buffer-policy", "curfew-sydney"]


def test_an_airport_curfew_cites_that_airport_and_never_another(corpus: EmbeddedCorpus) -> None:
    assert [pid(c) for c in corpus.cite("Airport curfew SYD", limit=2)] == ["curfew-sydney"]
    assert [pid(c) for c in corpus.cite("Airport curfew FRA", limit=2)] == ["curfew-frankfurt"]
    # an airport without a passage of its own gets the general policy, not Frankfurt's or Sydney's rule
    assert [pid(c) for c in corpus.cite("Airport curfew ZRH", limit=2)] == ["curfew-buffer-policy"]


def test_an_exact_rule_id_is_not_padded_with_unrelated_passages(corpus: EmbeddedCorpus) -> None:
    assert [pid(c) for c in corpus.cite("EU261 Art. 9", limit=3)] == ["eu261-art9-care"]


# ----------------------------------------------------------------------------------------------------
# Free-text search
# ----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "passage_id"),
    [
        ("hydraulic leak technical fault: is compensation owed?", "eu261-technical-faults"),
        ("reserve crew call out at the outstation", "ftl-reserve"),
        ("flight cancelled, passengers told two days before departure", "eu261-art5-notice"),
        ("pharma shipment in a cool chain waiting on the ramp", "cargo-temperature-chain"),
        ("thunderstorms and ATC restrictions", "eu261-extraordinary"),
        ("captain extends duty after unforeseen delay", "ftl-commander-discretion"),
        ("live animals offloaded", "cargo-avi-hum-offload"),
        ("passenger misses connecting flight in another terminal", "minimum-connection-time"),
    ],
)
def test_free_text_ranks_the_relevant_passage_first(
    engine_corpus: EmbeddedCorpus,
    text: str,
    passage_id: str,
) -> None:
    ranked = engine_corpus.search(text)
    assert ranked and ranked[0][0].id == passage_id
    cited = engine_corpus.cite("", context=text, limit=1)
    assert pid(cited[0]) == passage_id and cited[0].score is not None and cited[0].score > 0


def test_an_unknown_rule_id_does_not_match_on_bare_numbers(engine_corpus: EmbeddedCorpus) -> None:
    assert engine_corpus.cite("FAA 14 CFR 117") == []


HOSTILE = [
    "",
    "   ",
    '"',
    '""',
    "'",
    "NEAR",
    "NEAR(a b, 2)",
    "a NEAR/3 b",
    "*",
    "delay*",
    "^start",
    "(",
    ")",
    "((EU261",
    "AND OR NOT",
    "title:cancel",
    "rules : {body title}",
    "- + : ^ * ( ) { } [ ]",
    "'; DROP TABLE passages; --",
    "\x00\x01",
    "☃ ✈ 🛫",
    "x" * 5000,
    " ".join(f"w{n}" for n in range(500)),
]


@pytest.mark.parametrize("text", HOSTILE)
def test_hostile_query_strings_never_raise(engine_corpus: EmbeddedCorpus, text: str) -> None:
    for citation in engine_corpus.cite(text, context=text, limit=3):
        assert isinstance(citation, Citation)
    engine_corpus.search(text)
    engine_corpus.rule_matches(text, text)


@settings(max_examples=150, deadline=None)
@given(rule=st.text(max_size=60), context=st.text(max_size=60))
def test_any_text_is_a_safe_query(rule: str, context: str) -> None:
    corpus = EmbeddedCorpus.default()
    assert len(corpus.cite(rule, context, limit=2)) <= 2
    answer = GuidanceService(embedded=corpus).lookup(rule, context)
    assert answer.citations and answer.answered_by in {"embedded", "none"}


def test_limit_must_be_positive(corpus: EmbeddedCorpus) -> None:
    with pytest.raises(ValueError, match="limit"):
        corpus.cite("EU261 Art. 7", limit=0)


# ----------------------------------------------------------------------------------------------------
# Bedrock knowledge base and the fallback chain
# ----------------------------------------------------------------------------------------------------

RETRIEVED = {
    "retrievalResults": [
        {
            "content": {
                "text": "The limit is read from a table by the local time the FDP starts.",
                "type": "TEXT",
            },
            "location": {"type": "S3", "s3Location": {"uri": "s3://kb-bucket/corpus/ftl-fdp-table.md"}},
            "score": 0.83,
            "metadata": {
                "source": "Regulation (EU) 965/2012, Annex III, ORO.FTL.205(b), Table 2",
                "title": "Basic maximum daily FDP for acclimatised crew",
                "passage_id": "ftl-fdp-table",
            },
        },
        {
            "content": {"text": "  Each sector beyond the second takes 30 minutes off.  "},
            "location": {"type": "WEB", "webLocation": {"url": "https://example.org/ftl/sectors"}},
            "score": 0.61,
        },
    ]
}


def test_bedrock_results_become_bedrock_citations(bedrock_client: Any, stub: Stubber) -> None:
    expected = _retrieve_params("EASA ORO.FTL.205 Table 2 - 3 sectors, report 06:10")
    stub.add_response("retrieve", RETRIEVED, expected)
    service = GuidanceService(bedrock=BedrockKnowledgeBase(KB_ID, client=bedrock_client))
    answer = service.lookup("EASA ORO.FTL.205 Table 2", "3 sectors,\n report 06:10")
    assert answer.answered_by == "bedrock" and service.last_answered_by == "bedrock"
    assert answer.fallback_reason is None
    first, second = answer.citations
    assert first == Citation(
        rule="EASA ORO.FTL.205 Table 2",
        source="Regulation (EU) 965/2012, Annex III, ORO.FTL.205(b), Table 2",
        title="Basic maximum daily FDP for acclimatised crew",
        excerpt="The limit is read from a table by the local time the FDP starts.",
        origin="bedrock",
        score=0.83,
    )
    assert second.origin == "bedrock"
    assert second.source == "https://example.org/ftl/sectors"  # no metadata: the location names the source
    assert second.title == "sectors"
    assert second.excerpt == "Each sector beyond the second takes 30 minutes off."


def test_long_bedrock_chunks_are_trimmed_to_an_excerpt(bedrock_client: Any, stub: Stubber) -> None:
    chunk = {
        "content": {"text": "word " * 300},
        "location": {"type": "S3", "s3Location": {"uri": "s3://b/k"}},
    }
    stub.add_response("retrieve", {"retrievalResults": [chunk]}, _retrieve_params("EU261 Art. 7", limit=1))
    (citation,) = BedrockKnowledgeBase(KB_ID, client=bedrock_client).cite("EU261 Art. 7", limit=1)
    assert len(citation.excerpt) <= 400 and citation.excerpt.endswith("…")


def test_bedrock_error_falls_back_to_the_embedded_corpus(bedrock_client: Any, stub: Stubber) -> None:
    stub.add_client_error(
        "retrieve",
        service_error_code="ThrottlingException",
        service_message="Rate exceeded",
        http_status_code=429,
    )
    service = GuidanceService(bedrock=BedrockKnowledgeBase(KB_ID, client=bedrock_client))
    answer = service.lookup("EU261 Art. 7")
    assert answer.answered_by == "embedded" and service.last_answered_by == "embedded"
    assert pid(answer.citations[0]) == "eu261-art7-compensation"
    assert answer.citations[0].origin == "embedded"
    assert answer.fallback_reason is not None and "ThrottlingException" in answer.fallback_reason


def test_bedrock_with_no_results_falls_back_to_the_embedded_corpus(
    bedrock_client: Any,
    stub: Stubber,
) -> None:
    stub.add_response("retrieve", {"retrievalResults": []}, _retrieve_params("MEL category B"))
    service = GuidanceService(bedrock=BedrockKnowledgeBase(KB_ID, client=bedrock_client))
    answer = service.lookup("MEL category B")
    assert answer.answered_by == "embedded"
    assert pid(answer.citations[0]) == "mel-categories"


def test_a_misconfigured_knowledge_base_id_falls_back_instead_of_failing(bedrock_client: Any) -> None:
    # Too short for a knowledge-base id: botocore rejects it before any request is made.
    service = GuidanceService(bedrock=BedrockKnowledgeBase("bad-id", client=bedrock_client))
    answer = service.lookup("curfew FRA")
    assert answer.answered_by == "embedded"
    assert answer.fallback_reason is not None and "ParamValidationError" in answer.fallback_reason


def test_nothing_found_anywhere_gives_one_explicit_none_citation(bedrock_client: Any, stub: Stubber) -> None:
    stub.add_client_error("retrieve", service_error_code="AccessDeniedException", http_status_code=403)
    service = GuidanceService(bedrock=BedrockKnowledgeBase(KB_ID, client=bedrock_client))
    answer = service.lookup("FAA 14 CFR 117.25")
    assert answer.answered_by == "none" and service.last_answered_by == "none"
    (citation,) = answer.citations
    assert citation.origin == "none" and citation.rule == "FAA 14 CFR 117.25"
    assert "No guidance was found for rule 'FAA 14 CFR 117.25'" in citation.excerpt
    assert "AccessDeniedException" in citation.excerpt
    assert citation.source == "none (searched: bedrock and embedded)"


def test_embedded_only_service_reports_none_for_an_unknown_rule() -> None:
    service = GuidanceService()
    assert service.sources == ("embedded",)
    (citation,) = service.cite("Montreal Convention Art. 19")  # "Art." and "19" alone are not matched on
    assert citation.origin == "none"


def test_guidance_from_env_uses_bedrock_only_when_a_knowledge_base_is_configured(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("KNOWLEDGE_BASE_ID", raising=False)
    assert guidance_from_env().sources == ("embedded",)
    monkeypatch.setenv("KNOWLEDGE_BASE_ID", "   ")
    assert guidance_from_env().bedrock is None
    monkeypatch.setenv("KNOWLEDGE_BASE_ID", KB_ID)
    service = guidance_from_env()
    assert service.sources == ("bedrock", "embedded")
    assert service.bedrock is not None and service.bedrock.knowledge_base_id == KB_ID
    assert service.bedrock._client is None, "the Bedrock client is created on first use, not at configuration"


def test_every_source_satisfies_the_lookup_protocol(bedrock_client: Any, corpus: EmbeddedCorpus) -> None:
    for source in (corpus, BedrockKnowledgeBase(KB_ID, client=bedrock_client), GuidanceService()):
        assert isinstance(source, GuidanceLookup)


def test_corpus_exports_as_bedrock_documents_with_metadata(corpus: EmbeddedCorpus) -> None:
    documents = bedrock_documents()
    assert len(documents) == len(corpus.passages)
    key, text, metadata = documents[0]
    first = corpus.passages[0]
    assert key == f"{first.id}.md" and first.body in text
    assert metadata == {
        "metadataAttributes": {
            "passage_id": first.id,
            "title": first.title,
            "source": first.source,
            "rules": list(first.rules),
        }
    }


def test_citations_fit_the_decision_contract(corpus: EmbeddedCorpus) -> None:
    """The arbitrator copies citations into ``Decision.citations`` (``skymarshal.models.Citation``)."""
    models = pytest.importorskip("skymarshal.models")
    for citation in corpus.cite("EU261 Art. 7") + GuidanceService(embedded=corpus).cite("unknown rule zz"):
        models.Citation.model_validate(citation.model_dump())
