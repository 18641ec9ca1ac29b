"""The README and docs/: examples that work as written, links that resolve, no path outside the
checkout, and the programmes said to be live are the live ones of the registry."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DOCS = [ROOT / "README.md", ROOT / "data" / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
CARD_SOURCES = "\n".join(p.read_text(encoding="utf-8") for p in (ROOT / "cards").glob("*.py"))


def text(path: Path) -> str:
    return path.read_text(encoding="utf-8")


def code_blocks(markdown: str) -> list[str]:
    return re.findall(r"^```[a-z]*\n(.*?)^```", markdown, re.M | re.S)


def live_titles() -> list[str]:
    from bot.programmes import PROGRAMMES
    from dialogs.base import PreparingDialog

    return [p.info.title for p in PROGRAMMES if p.dialog is not PreparingDialog]


@pytest.mark.parametrize("path", DOCS, ids=lambda p: str(p.relative_to(ROOT)))
def test_no_path_outside_the_checkout(path):
    # the machine folders, spelled so that this line is not itself a machine path
    found = re.findall(r"(?<![\w.])(?:/(?:work|home|Users|tmp|root)/|[A-Z]:\\)\S*", text(path))
    assert found == []


@pytest.mark.parametrize("path", DOCS, ids=lambda p: str(p.relative_to(ROOT)))
def test_commands_in_examples_use_the_venv(path):
    for block in code_blocks(text(path)):
        for line in block.splitlines():
            command = line.split("#")[0].strip()
            assert not re.match(r"^(?:\w+=\S+ )*python3? ", command), (
                line
            )  # plain python fails outside the venv


@pytest.mark.parametrize("path", DOCS, ids=lambda p: str(p.relative_to(ROOT)))
def test_relative_links_resolve(path):
    for target in re.findall(r"\]\(([^)#:]+)(?:#[^)]*)?\)", text(path)):
        assert (path.parent / target).exists(), target


def test_the_readme_and_the_staff_guide_name_the_live_programmes():
    live = live_titles()
    readme = text(ROOT / "README.md")
    works = next(p for p in readme.split("\n\n") if p.startswith("**What works today.**"))
    assert re.findall(r"\*\*([^*]+)\*\*", works)[1:] == live
    guide = text(ROOT / "docs" / "staff-guide.md")
    assert re.findall(r"現在ご利用いただける取組は((?:「[^」]+」、?)+)です", guide) == [
        "、".join(f"「{t}」" for t in live)
    ]


def test_the_end_to_end_example_uses_labels_that_are_on_the_card():
    readme = text(ROOT / "README.md")
    [example] = [b for b in code_blocks(readme) if "playground.fill_number" in b]
    labels = re.findall(
        r'(?:wait_for_card|click_card_button|fill_number|fill_text|to_contain_text)\("([^"]+)"', example
    )
    assert len(labels) >= 6
    for label in labels:
        assert label.split(": ")[0] in CARD_SOURCES, label
