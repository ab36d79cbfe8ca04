"""The house follows the flow: no import cycle between nudger's modules, and no module imports
another module's private (`_name`) names. Read from the source with `ast`, so a lazy import
inside a function counts as much as one at the top."""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "nudger"


def module_name(path: Path, root: Path = PACKAGE.parent) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def graph() -> tuple[dict[str, set[str]], list[str]]:
    modules = {module_name(p): p for p in PACKAGE.rglob("*.py")
               if "migrations" not in p.parts}
    edges: dict[str, set[str]] = {m: set() for m in modules}
    private: list[str] = []
    for name, path in modules.items():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                if not node.module.startswith("nudger"):
                    continue
                for alias in node.names:
                    sub = f"{node.module}.{alias.name}"
                    target = sub if sub in modules else node.module
                    if target in modules and target != name:
                        edges[name].add(target)
                    if alias.name.startswith("_") and not alias.name.startswith("__"):
                        private.append(f"{name} imports {node.module}.{alias.name}")
            elif isinstance(node, ast.Import):
                for alias in node.names:
                    if alias.name in modules and alias.name != name:
                        edges[name].add(alias.name)
    return edges, private


def cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on: set[str] = set()
    found: list[list[str]] = []
    counter = [0]

    def visit(v: str) -> None:
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in edges[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                found.append(sorted(comp))

    for v in edges:
        if v not in index:
            visit(v)
    return found


def test_no_import_cycle() -> None:
    edges, _ = graph()
    assert cycles(edges) == []


def test_no_module_imports_another_modules_private_names() -> None:
    _, private = graph()
    assert private == []


# --- other libraries' private internals ----------------------------------------------------
# Each use of a private (`_name`) attribute or module of another library (the standard
# library included) is listed here with its module, and CONTRIBUTING.md ("Other libraries'
# private internals") says why it is needed and what happens when a release changes it.
# A new one fails this test until it is listed and explained there.

FOREIGN_PRIVATE = {
    # argparse: the command list for "did you mean", and parsers built only when used.
    "nudger.cli": {"_actions", "_SubParsersAction"},
    "nudger.commands": {"_name_parser_map", "_choices_actions", "_ChoicesPseudoAction"},
    # re: the case folding IGNORECASE uses, to skip patterns that cannot match.
    "nudger.mail.capture.rules": {"_parser", "_casefix", "_EXTRA_CASES"},
}
# The one module made for them: imapclient's and imaplib's internals the IMAP session hooks,
# each probed at connect with a public fallback (CONTRIBUTING.md's map, `mail/imap/`).
ADAPTER = "nudger.mail.imap.adapter"
# Underscored yet public: SQLAlchemy's Row._mapping, os._exit, namedtuple's methods.
PUBLIC_UNDERSCORED = {"_mapping", "_exit", "_asdict", "_replace", "_fields", "_make"}


def _private(name: str) -> bool:
    return name.startswith("_") and not name.startswith("__")


def foreign_private_uses(package: Path = PACKAGE) -> dict[str, set[str]]:
    """Per module (the adapter aside), the private names it reads that the package itself
    never defines."""
    modules = {module_name(p, package.parent): ast.parse(p.read_text(encoding="utf-8"))
               for p in package.rglob("*.py") if "migrations" not in p.parts}
    modules.pop(ADAPTER, None)
    own: set[str] = set()
    for tree in modules.values():
        for node in ast.walk(tree):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
                own.add(node.name)
            elif isinstance(node, ast.Attribute) and isinstance(node.ctx, ast.Store):
                own.add(node.attr)
            elif isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
                own.add(node.id)
            elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
                own.add(node.target.id)
            elif isinstance(node, ast.Constant) and isinstance(node.value, str) \
                    and _private(node.value) and node.value.isidentifier():
                own.add(node.value)  # __slots__ entries
    found: dict[str, set[str]] = {}
    for name, tree in modules.items():
        for node in ast.walk(tree):
            names: list[str] = []
            if isinstance(node, ast.Attribute) and _private(node.attr) \
                    and node.attr not in own and isinstance(node.ctx, ast.Load):
                names.append(node.attr)
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0 \
                    and not node.module.startswith("nudger"):
                names += [part for part in node.module.split(".") if _private(part)]
                names += [a.name for a in node.names if _private(a.name)]
            names = [n for n in names if n not in PUBLIC_UNDERSCORED]
            if names:
                found.setdefault(name, set()).update(names)
    return found


def test_other_libraries_private_internals_are_listed_and_explained() -> None:
    assert foreign_private_uses() == FOREIGN_PRIVATE
    contributing = (PACKAGE.parent / "CONTRIBUTING.md").read_text(encoding="utf-8")
    section = contributing.split("## Other libraries' private internals", 1)[1]
    section = section.split("\n## ", 1)[0]
    for module, names in FOREIGN_PRIVATE.items():
        path = module.replace(".", "/")
        assert f"`{path}" in section, f"CONTRIBUTING.md does not explain {module}'s uses"
        missing = [n for n in names if f"`{n}`" not in section]
        assert not missing, f"CONTRIBUTING.md does not name {module}'s {missing}"


def test_the_audit_sees_a_new_private_use(tmp_path: Path) -> None:
    package = tmp_path / "nudger"
    package.mkdir()
    (package / "a.py").write_text(
        "import asyncio\nfrom re import _parser\n\n\nclass Own:\n    def _mine(self):\n"
        "        return self._mine, asyncio.get_event_loop()._selector\n")
    (package / "b.py").write_text("def use(o):\n    return o._mine, o._ready, o._mapping\n")
    assert foreign_private_uses(package) == {"nudger.a": {"_selector", "_parser"},
                                             "nudger.b": {"_ready"}}


# --- size -----------------------------------------------------------------------------------
# A module over this many lines holds more than one concept: split it along them (CONTRIBUTING
# names each part). Migrations are history and exempt.
MAX_LINES = 500


def test_no_module_is_over_the_size_limit() -> None:
    over = {module_name(p): n for p in PACKAGE.rglob("*.py") if "migrations" not in p.parts
            if (n := len(p.read_text(encoding="utf-8").splitlines())) > MAX_LINES}
    assert over == {}
