"""The repository documents itself: CONTRIBUTING's map names every module, and nothing cites
a design file that is not in the repository."""

from __future__ import annotations

import re
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
PACKAGE = REPO / "nudger"


def modules() -> list[str]:
    """Every module of the package, as its path under nudger/ (command modules are found
    by the CLI and documented by the command table, migrations by their revision)."""
    found = []
    for path in sorted(PACKAGE.rglob("*.py")):
        rel = path.relative_to(PACKAGE).as_posix()
        if path.name in ("__init__.py", "__main__.py") or rel.startswith(
                ("commands/", "store/migrations/")):
            continue
        found.append(rel)
    return found


def test_contributing_names_every_module() -> None:
    text = (REPO / "CONTRIBUTING.md").read_text(encoding="utf-8")
    missing = [rel for rel in modules() if f"`{rel}`" not in text]
    assert not missing, f"CONTRIBUTING.md's module map does not name: {missing}"


def test_every_wing_has_a_docstring() -> None:
    for init in PACKAGE.rglob("__init__.py"):
        assert init.read_text(encoding="utf-8").startswith('"""'), init


def test_cited_design_files_exist() -> None:
    """A comment that cites `docs/x.md` names a page that is there; the team's contract files
    outside the repository are never cited."""
    cited: set[str] = set()
    outside = re.compile(r"\b(MAILBOX|DESIGN|NOTES|MAILSPEC|STYLE)\.md\b")
    files = [*REPO.glob("nudger/**/*.py"), *REPO.glob("tests/**/*.py"),
             *REPO.glob("bench/*.py"), REPO / "README.md", REPO / "CONTRIBUTING.md",
             REPO / "pyproject.toml", REPO / "config.example.toml"]
    for path in files:
        if path == Path(__file__).resolve():
            continue
        text = path.read_text(encoding="utf-8")
        assert not outside.search(text), f"{path.relative_to(REPO)} cites a file not in the repo"
        cited.update(re.findall(r"docs/[a-z]+\.md", text))
    assert cited, "nothing cites docs/"
    for page in cited:
        assert (REPO / page).is_file(), f"{page} is cited but missing"
