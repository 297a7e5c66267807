"""The embedded corpus: ``knowledge_corpus/*.md`` beside this package, short passages in the project's own
words, and their parser."""

from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, field_validator

CORPUS_DIR = Path(__file__).resolve().parents[1] / "knowledge_corpus"


class CorpusError(ValueError):
    """The embedded corpus files are malformed (missing field, duplicate id, unknown key)."""


class Passage(BaseModel):
    """One passage of the embedded corpus; ``rules`` lists the rule ids it covers, most specific first."""

    model_config = ConfigDict(frozen=True, extra="forbid", defer_build=True)

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
