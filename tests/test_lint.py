import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def test_ruff_finds_nothing():
    res = subprocess.run([sys.executable, "-m", "ruff", "check", "kit", "tests", "bench"],
                         cwd=REPO, capture_output=True, text=True)
    assert res.returncode == 0, res.stdout + res.stderr


def imports_of(package: Path = REPO / "kit") -> dict[str, set[str]]:
    """Each module of the kit and the kit modules it imports, anywhere in it (at the top or
    inside a function), read from its source."""
    import ast

    files = {".".join(f.relative_to(package.parent).with_suffix("").parts)
             .removesuffix(".__init__"): f for f in package.rglob("*.py")}
    graph = {}
    for name, f in files.items():
        here = name if f.name == "__init__.py" else name.rpartition(".")[0]
        found = set()
        for node in ast.walk(ast.parse(f.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                found |= {a.name for a in node.names}
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    up = here.split(".")[:len(here.split(".")) - node.level + 1]
                    base = ".".join(up + ([base] if base else []))
                found |= {f"{base}.{a.name}" if f"{base}.{a.name}" in files else base
                          for a in node.names}
        graph[name] = {m for m in found if m in files and m != name}
    return graph


def circles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Every circle of imports found by a depth-first walk, as the modules along it."""
    found, state, path = [], {}, []

    def visit(name):
        state[name] = "open"
        path.append(name)
        for dep in sorted(graph[name]):
            if state.get(dep) == "open":
                found.append(path[path.index(dep):] + [dep])
            elif dep not in state:
                visit(dep)
        path.pop()
        state[name] = "done"

    for name in sorted(graph):
        if name not in state:
            visit(name)
    return found


def test_the_kit_imports_in_no_circle():
    """kit.jobs sits below kit.render and kit.cluster, kit.metrics' modules below
    kit.metrics.briefing: no module imports one that imports it back, even inside a
    function."""
    graph = imports_of()
    assert {"kit.jobs", "kit.metrics.briefing", "kit.metrics.guidance"} <= set(graph)
    assert circles(graph) == []
    assert circles({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == [["a", "b", "c", "a"]]
