"""Where the tests find the project, its fixtures and the shared reference material."""

from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = ROOT / "tests" / "fixtures"
REAL = FIXTURES / "real"  # real artefacts from public repositories, with SOURCES.md
RUN_FIXTURES = FIXTURES / "runs"
SHARED = ROOT.parent / "shared"  # the read-only shared folder beside the checkout (tests may read it)
