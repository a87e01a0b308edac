"""The README a newcomer reads: short, with pictures of every page, and every image and relative link it and the
docs/ pages hold resolves to a file in the repository."""

import re
from pathlib import Path
from urllib.parse import unquote

import pytest

from tests.paths import DOCS, ROOT

PAGES = [ROOT / "README.md", *sorted(DOCS.glob("*.md")), *sorted((ROOT / "benchmarks" / "results").glob("*.md"))]
LINK = re.compile(r"!?\[[^\]]*\]\(([^)\s]+)(?:\s+\"[^\"]*\")?\)")


def relative_links(path: Path) -> list[str]:
    text = re.sub(r"```.*?```", "", path.read_text(encoding="utf-8"), flags=re.S)  # code blocks hold no links
    return [target for target in LINK.findall(text)
            if not re.match(r"[a-z][a-z0-9+.-]*:", target) and not target.startswith("#")]


@pytest.mark.parametrize("path", PAGES, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_relative_link_and_image_resolves(path):
    links = relative_links(path)
    missing = [target for target in links
               if not (path.parent / unquote(target.split("#", 1)[0])).resolve().exists()]
    assert not missing, f"{path.relative_to(ROOT)} links to what does not exist: {missing}"


def test_the_link_check_finds_a_broken_link(tmp_path):
    page = tmp_path / "page.md"
    page.write_text("See [there](nowhere.md), ![a picture](img/none.png), [web](https://example.org), "
                    "[here](#top).\n```\n[not a link](inside/code.md)\n```\n", encoding="utf-8")
    assert relative_links(page) == ["nowhere.md", "img/none.png"]


def test_the_readme_is_short_and_shows_every_page():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert len(readme.splitlines()) <= 300
    images = re.findall(r"!\[[^\]]*\]\((docs/images/[^)]+\.png)\)", readme)
    pages = [p.stem for p in (ROOT / "pages").glob("*.py") if p.stem != "__init__"]
    assert len(images) >= 4 and {Path(i).stem for i in images} >= set(pages)
    for image in images:  # real screenshots: PNG files of a browser window's size
        data = (ROOT / image).read_bytes()
        assert data[:8] == b"\x89PNG\r\n\x1a\n"
        width, height = int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")
        assert width >= 1000 and height >= 600, f"{image} is {width}x{height}"
    for subject in ("formats", "mining", "salt", "scaling", "cluster", "models", "limitations"):
        assert f"docs/{subject}.md" in readme, f"the README does not link docs/{subject}.md"


def test_every_command_line_of_the_readme_parses():
    """The README's CLI lines are real: each parses with the CLI's own parser (nothing is run)."""
    import shlex

    from salt_core.cli import build_parser

    readme = (ROOT / "README.md").read_text(encoding="utf-8").replace("\\\n", " ")  # continued lines joined
    lines = [line.split("  #")[0] for line in readme.splitlines() if line.startswith("python -m salt_core ")]
    assert len(lines) >= 8
    parser = build_parser()
    for line in lines:
        args = shlex.split(line)[3:]
        try:
            parser.parse_args(args)
        except SystemExit as exc:  # argparse's way of refusing
            raise AssertionError(f"the README's {line!r} does not parse") from exc
