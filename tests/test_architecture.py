"""The house's rooms hold: the core is pure (no file, process, thread, spreadsheet, Word, terminal or Excel
library), and no module of the package imports itself round a loop, counting imports made inside functions
(they run later, but they are the same dependency)."""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "billing_addin"

# What the pure core may never import: the file system, processes and threads, and every library of the shells.
FORBIDDEN_IN_CORE = {
    "os", "pathlib", "io", "shutil", "tempfile", "glob", "subprocess", "threading", "multiprocessing",
    "concurrent", "signal", "gc", "socket", "smtplib", "zipfile", "sqlite3", "openpyxl", "python_calamine",
    "xlsxwriter", "docx", "docxtpl", "pypdf", "rich", "xlwings", "pandas", "numpy", "pandera",
    "billing_addin.workbook", "billing_addin.cli", "billing_addin.excel", "billing_addin.documents",
    "billing_addin.commands", "billing_addin.loader", "billing_addin.frames",
}  # fmt: skip


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {module_name(p): p for p in PACKAGE.rglob("*.py")}


def _type_checking_only(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def imports_of(name: str) -> set[str]:
    """Every module `name` imports, at the top or inside a function; not those under `if TYPE_CHECKING:`."""
    path = MODULES[name]
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()

    def visit(node: ast.AST) -> None:
        if isinstance(node, ast.If) and _type_checking_only(node):
            for child in node.orelse:
                visit(child)
            return
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")
                anchor = anchor[: len(anchor) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            for alias in node.names:
                sub = f"{base}.{alias.name}"
                found.add(sub if sub in MODULES else base)
        for child in ast.iter_child_nodes(node):
            visit(child)

    visit(ast.parse(path.read_text(encoding="utf-8")))
    return found


def test_the_core_reads_no_file_starts_no_process_and_imports_no_shell():
    core = [n for n in MODULES if n == "billing_addin.core" or n.startswith("billing_addin.core.")]
    assert len(core) >= 15, core  # the test looks at the real core
    wrong = []
    for name in core:
        for imported in imports_of(name):
            if any(imported == f or imported.startswith(f + ".") for f in FORBIDDEN_IN_CORE):
                wrong.append(f"{name} imports {imported}")
        tree = ast.parse(MODULES[name].read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Name)
                and node.func.id in ("open", "exec", "eval")
            ):
                wrong.append(f"{name} calls {node.func.id}() on line {node.lineno}")
    assert wrong == []


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected groups of more than one module (Tarjan), each sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    out: list[list[str]] = []

    def connect(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in graph.get(v, ()):
            if w not in index:
                connect(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            group = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                group.append(w)
                if w == v:
                    break
            if len(group) > 1:
                out.append(sorted(group))

    for v in sorted(graph):
        if v not in index:
            connect(v)
    return out


def package_graph() -> dict[str, set[str]]:
    return {name: {m for m in imports_of(name) if m in MODULES and m != name} for name in MODULES}


def test_no_module_imports_itself_round_a_loop():
    graph = package_graph()
    assert sum(len(edges) for edges in graph.values()) > 100  # the graph is the real one
    assert cycles(graph) == []


def test_the_cycle_finder_finds_a_loop():
    # The check above can fail: a loop through three modules is found, a chain is not.
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert cycles({"a": {"b"}, "b": {"c"}, "c": set()}) == []


def test_the_import_finder_follows_imports_inside_functions_and_skips_type_checking():
    imported = imports_of("billing_addin.core.book_index")
    assert "billing_addin.core.schema" in imported
    assert "billing_addin.core.book" not in imported  # only under `if TYPE_CHECKING:`
