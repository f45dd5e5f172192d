"""The API reference under docs/ is the one every citation in the repository points at.

Comments, docstrings and documents cite the reference as ``api-scoring.md 1.11``, ``errors.md §9`` or
``api-synthesis.md 2.1-2.4``, and link it as ``[text](docs/errors.md#9-...)``. A clone has only the
repository, so each cited document must be in docs/ and each cited section must be a heading there;
the parts of docs/ written from the code (routes, error registry) must match the code.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from orato.dialect_support import offers  # noqa: E402
from tools.reference import stale_documents  # noqa: E402

DOCS = ROOT / "docs"
CITING_TREES = ("orato", "tests", "bench", "training", "tools", "docs", "README.md")
CITING_SUFFIXES = {".py", ".md"}
BEING_BUILT = "(being built: not served by this version)"

SECTION = r"\d+(?:\.\d+)*"
# "errors.md 9", "api-scoring.md §1.11", "api-scoring.md section 11", "api-synthesis.md 1.6-1.8, 8, 9 and 11-13";
# the section may follow on the next line of a comment or docstring.
CITATION = re.compile(
    rf"(?P<doc>[\w-]+)\.md(?:[ \t]+|[ \t]*\n[ \t#]*)(?:§[ \t]*|section[ \t]+)?"
    rf"(?P<sections>{SECTION}(?:[ \t]*(?:,|and|-)[ \t]*{SECTION})*)(?![\w.]*\w)"
)
MARKDOWN_LINK = re.compile(r"\]\((?P<target>[^)\s#]*\.md)?(?:#(?P<anchor>[^)\s]+))?\)")
HEADING = re.compile(r"^#{1,6} (?P<text>.+)$", re.MULTILINE)
FENCE = re.compile(r"^```.*?^```", re.MULTILINE | re.DOTALL)


@dataclass(frozen=True)
class Citation:
    source: Path
    line: int
    document: str
    section: str | None  # None: the whole document
    anchor: str | None = None

    def __str__(self) -> str:
        cited = self.section or (f"#{self.anchor}" if self.anchor else "")
        return f"{self.source.relative_to(ROOT)}:{self.line}: {self.document} {cited}".rstrip()


def citing_files() -> Iterator[Path]:
    for tree in CITING_TREES:
        path = ROOT / tree
        files = [path] if path.is_file() else sorted(path.rglob("*"))
        yield from (f for f in files if f.suffix in CITING_SUFFIXES and f.is_file() and "cache" not in f.parts)


def citations(path: Path) -> Iterator[Citation]:
    text = path.read_text(encoding="utf-8")
    for match in CITATION.finditer(text):
        line = text.count("\n", 0, match.start()) + 1
        for section in re.findall(SECTION, match["sections"]):
            yield Citation(path, line, f"{match['doc']}.md", section)
    if path.suffix == ".md":
        for match in MARKDOWN_LINK.finditer(text):
            line = text.count("\n", 0, match.start()) + 1
            target = (path.parent / match["target"]).resolve() if match["target"] else path
            if match["target"] or match["anchor"]:
                yield Citation(path, line, str(target), None, match["anchor"])


def all_citations() -> list[Citation]:
    return [citation for path in citing_files() for citation in citations(path)]


def headings(document: Path) -> list[str]:
    return [m["text"].strip() for m in HEADING.finditer(FENCE.sub("", document.read_text(encoding="utf-8")))]


def section_numbers(document: Path) -> set[str]:
    return {m.group(1) for h in headings(document) if (m := re.match(rf"({SECTION})\.?\s", h))}


def github_anchor(heading: str) -> str:
    return re.sub(r"[^\w\- ]", "", heading.lower()).replace(" ", "-")


def unresolved(citation: Citation) -> str | None:
    """Why ``citation`` does not resolve inside the repository, or None when it does."""
    if citation.section is not None:
        document = DOCS / citation.document
        if not document.is_file():
            return _elsewhere(citation.document)
        return None if citation.section in section_numbers(document) else "no such section heading"
    target = Path(citation.document)
    if not target.is_file():
        return "no such file"
    if citation.anchor and citation.anchor not in {github_anchor(h) for h in headings(target)}:
        return "no such heading anchor"
    return None


def _elsewhere(name: str) -> str | None:
    """A document cited by name alone may live outside docs/ (README.md, the model card)."""
    found = [p for p in ROOT.rglob(name) if ".venv" not in p.parts]
    return None if found else "not in docs/ nor anywhere in the repository"


def bare_document_names() -> Iterator[tuple[Path, int, str]]:
    """``errors.md`` cited without a section: the document itself must be in the repository."""
    for path in citing_files():
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            for name in re.findall(r"(?<![\w/.-])(?:docs/)?([\w-]+\.md)\b", line):
                yield path, number, name


def test_every_cited_section_is_a_heading_of_a_document_in_docs() -> None:
    found = all_citations()
    broken = [f"{c}: {why}" for c in found if (why := unresolved(c))]
    assert not broken, "\n".join(broken)
    sectioned = [c for c in found if c.section is not None]
    print(f"{len(sectioned)} section citations and {len(found) - len(sectioned)} links checked")
    assert len(sectioned) >= 100  # the code cites the reference throughout; a parser gone blind finds none


def test_every_document_named_exists_in_the_repository() -> None:
    names = list(bare_document_names())
    missing = [
        f"{path.relative_to(ROOT)}:{line}: {name}"
        for path, line, name in names
        if not (DOCS / name).is_file() and _elsewhere(name) is not None
    ]
    assert not missing, "\n".join(missing)
    assert len(names) >= 100


def test_the_citation_pattern_reads_lists_ranges_and_section_signs(tmp_path: Path) -> None:
    source = tmp_path / "cited.py"
    source.write_text(
        '"""Steps (api-scoring.md 1.11, step 4), api-synthesis.md 1.6-1.8, 8, 9 and 11-13,\n'
        'errors.md §9 and (api-scoring.md section 11), the version 1.2.md aside."""\n'
    )
    read = [(c.document, c.section) for c in citations(source)]
    assert read == [
        ("api-scoring.md", "1.11"),
        ("api-synthesis.md", "1.6"), ("api-synthesis.md", "1.8"), ("api-synthesis.md", "8"),
        ("api-synthesis.md", "9"), ("api-synthesis.md", "11"), ("api-synthesis.md", "13"),
        ("errors.md", "9"), ("api-scoring.md", "11"),
    ]  # fmt: skip


def test_a_section_missing_from_its_document_is_reported() -> None:
    assert unresolved(Citation(ROOT / "README.md", 1, "api-scoring.md", "1.11")) is None
    assert unresolved(Citation(ROOT / "README.md", 1, "api-scoring.md", "1.99")) == "no such section heading"
    assert unresolved(Citation(ROOT / "README.md", 1, "nowhere" + ".md", "2")) is not None


def test_unserved_parts_are_marked_in_one_form() -> None:
    for document in DOCS.glob("*.md"):
        text = document.read_text(encoding="utf-8")
        marks = re.findall(r"\(being built[^)]*\)", text)
        assert all(mark == BEING_BUILT for mark in marks), document.name
    scoring = headings(DOCS / "api-scoring.md")
    for section in ("6. Score speech", "7. Score task", "8. Score writing"):  # served: unmarked
        assert section in scoring and f"{section} {BEING_BUILT}" not in scoring
    # The phone sets are marked exactly while the dialect registry offers no scripted scoring in them.
    for section, dialect in (("11.3 French (fr-fr, fr-ca)", "fr-fr"), ("11.4 Spanish (es-es, es-mx)", "es-es")):
        marked = f"{section} {BEING_BUILT}" in scoring
        assert marked == (not offers(dialect, "scripted")), section


def test_the_generated_routes_and_error_registry_match_the_code() -> None:
    assert stale_documents(write=False) == [], "run: python -m tools.reference"
