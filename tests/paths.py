"""Where the tests find the project, its fixtures and the shared reference material."""

from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = ROOT / "tests" / "fixtures"
REAL = FIXTURES / "real"  # real artefacts from public repositories, with SOURCES.md
RUN_FIXTURES = FIXTURES / "runs"
SHARED = ROOT.parent / "shared"  # the read-only shared folder beside the checkout (tests may read it)
DOCS = ROOT / "docs"


def documentation() -> str:
    """The README and every page of docs/, as one text: what the project tells its readers."""
    return "\n".join(path.read_text(encoding="utf-8") for path in [ROOT / "README.md", *sorted(DOCS.glob("*.md"))])
