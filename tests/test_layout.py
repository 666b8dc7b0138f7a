"""The code layout keeps its rule: imports point down only (README, 'Code layout').

sim.config <- sim.core <- {scenarios, response packages} <- sim.modules <- sim.run
    <- sim.drill <- sim.cli <- run_sim.py
A response package imports only sim.core and sim.config (and itself), never another
response package or sim.run. Every import counts, including those inside functions and
under TYPE_CHECKING: a circle through a type hint is still a circle for a reader.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from sim.core.module import ResponseModule
from sim.modules import RESPONSE_MODULES

ROOT = Path(__file__).resolve().parent.parent
RESPONSE = ("sim.rescue", "sim.fire", "sim.evacuation", "sim.relief")

# layer -> the project layers it may import (besides itself)
ALLOWED = {
    "sim.config": set(),
    "sim.core": {"sim.config"},
    "sim.district": {"sim.config", "sim.core"},  # python -m sim.district new (a tool)
    "scenarios": {"sim.config", "sim.core"},
    **{r: {"sim.config", "sim.core"} for r in RESPONSE},
    "sim.modules": {"sim.config", "sim.core", *RESPONSE},
    "sim.run": {"sim.config", "sim.core", "scenarios", "sim.modules", *RESPONSE},
    "sim.drill": {"sim.config", "sim.core", "scenarios", "sim.modules", "sim.run", *RESPONSE},
    "sim.cli": {"sim.config", "sim.core", "scenarios", "sim.modules", "sim.run", "sim.drill"},
}


def layer_of(module: str) -> str | None:
    """The layer a dotted module name belongs to (None: not the project's)."""
    if module == "scenarios" or module.startswith("scenarios."):
        return "scenarios"
    if module == "sim":
        return "sim"
    for layer in sorted(ALLOWED, key=len, reverse=True):
        if module == layer or module.startswith(layer + "."):
            return layer
    return "sim" if module.startswith("sim.") else None


def module_name(path: Path) -> str:
    rel = path.relative_to(ROOT).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


def imported_modules(tree: ast.AST, this: str) -> list[tuple[int, str]]:
    """(line, dotted name) of every import in ``tree``; ``from m import x`` gives ``m.x``."""
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out += [(node.lineno, a.name) for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = this.rsplit(".", node.level)[0]
                mod = f"{base}.{node.module}" if node.module else base
            else:
                mod = node.module or ""
            # the imported name may be a submodule: keep it; resolving strips what is not
            out += [(node.lineno, f"{mod}.{a.name}") for a in node.names]
    return out


def violations(files: list[Path]) -> list[str]:
    bad = []
    for path in files:
        this = module_name(path)
        src = layer_of(this)
        for line, mod in imported_modules(ast.parse(path.read_text(encoding="utf-8")), this):
            dst = layer_of(mod)
            if dst is None or dst == src:
                continue
            if dst not in ALLOWED.get(src, set()):
                bad.append(f"{path.relative_to(ROOT)}:{line} ({src}) imports {mod} ({dst})")
    return bad


def project_files() -> list[Path]:
    return sorted((ROOT / "sim").rglob("*.py")) + sorted((ROOT / "scenarios").rglob("*.py"))


def test_imports_point_down_only():
    assert violations(project_files()) == []


def test_no_loose_modules_in_sim():
    """sim/ holds only the layer packages, modules.py and cli.py: nothing sits outside a layer."""
    allowed = ("__init__.py", "modules.py", "cli.py")
    loose = [p.name for p in (ROOT / "sim").glob("*.py") if p.name not in allowed]
    assert loose == []


@pytest.mark.parametrize(
    ("source", "where", "expected"),
    [
        ("from sim.run.app import UserError\n", "sim/core/x.py", "imports sim.run.app"),
        ("from sim.fire import fire_table\n", "sim/rescue/x.py", "imports sim.fire"),
        ("from sim import relief\n", "sim/evacuation/x.py", "imports sim.relief"),
        ("import sim.core.world\n", "sim/config/x.py", "imports sim.core.world"),
        ("from sim.rescue.teams import Team\n", "scenarios/x.py", "imports sim.rescue.teams"),
        (
            "def f():\n    from sim.modules import RESPONSE_MODULES\n",
            "sim/core/y.py",
            "sim.modules",
        ),
        ("from ..run import app\n", "sim/fire/z.py", "imports sim.run"),
    ],
)
def test_checker_catches_an_upward_import(tmp_path, monkeypatch, source, where, expected):
    """The checker must fail when someone adds an upward or sideways import."""
    fake = tmp_path / where
    fake.parent.mkdir(parents=True, exist_ok=True)
    fake.write_text(source, encoding="utf-8")
    monkeypatch.setattr(f"{__name__}.ROOT", tmp_path)
    found = violations([fake])
    assert len(found) == 1 and expected in found[0]


def test_downward_imports_are_allowed(tmp_path, monkeypatch):
    fake = tmp_path / "sim" / "rescue" / "x.py"
    fake.parent.mkdir(parents=True)
    fake.write_text("from sim.core.world import World\nfrom sim.config import Config\n")
    monkeypatch.setattr(f"{__name__}.ROOT", tmp_path)
    assert violations([fake]) == []


@pytest.mark.parametrize("module", RESPONSE_MODULES, ids=lambda m: m.__name__)
def test_every_response_module_satisfies_the_protocol(module):
    assert isinstance(module, ResponseModule)
    for name in (
        "check_nodes",
        "attach",
        "kpis",
        "produces",
        "tables",
        "write_figures",
        "map_layers",
        "kpi_specs",
        "contributors",
        "deciding_inputs",
    ):
        assert callable(getattr(module, name)), f"{module.__name__}.{name}"


def test_response_module_is_one_folder():
    for pkg in RESPONSE:
        folder = ROOT / pkg.replace(".", "/")
        for required in ("__init__.py", "service.py", "metrics.py", "figures.py"):
            assert (folder / required).exists(), f"{pkg}: {required} missing"


def test_dispatch_policy_names_have_one_home():
    """sim.config names the policies a user may choose; the dispatcher implements each."""
    from sim.config import DISPATCH_POLICIES
    from sim.rescue.dispatch import POLICIES

    assert tuple(POLICIES) == DISPATCH_POLICIES


def import_graph(files: list[Path]) -> dict[str, set[str]]:
    """Module -> project modules it imports when run (anywhere but under TYPE_CHECKING)."""
    graph: dict[str, set[str]] = {}
    for path in files:
        this = module_name(path)
        tree = ast.parse(path.read_text(encoding="utf-8"))
        guarded = {
            id(n)
            for node in ast.walk(tree)
            if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test)
            for n in ast.walk(node)
        }
        live = [n for n in ast.walk(tree) if isinstance(n, ast.Import | ast.ImportFrom)]
        live = [n for n in live if id(n) not in guarded]
        mods = imported_modules(ast.Module(body=live, type_ignores=[]), this)
        graph[this] = {m for _, m in mods if layer_of(m) is not None}
    known = set(graph)

    def resolve(m: str) -> str | None:
        while m and m not in known:
            m = m.rpartition(".")[0]
        return m or None

    return {a: {r for b in bs if (r := resolve(b)) and r != a} for a, bs in graph.items()}


def find_cycle(edges: dict[str, set[str]]) -> list[str] | None:
    """One import circle, or None. A package importing its own submodules is not a circle."""
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(a: str) -> list[str] | None:
        state[a] = 1
        stack.append(a)
        for b in sorted(edges.get(a, ())):
            if b.startswith(a + "."):
                continue
            if state.get(b) == 1:
                return stack[stack.index(b) :] + [b]
            if b not in state and (cycle := visit(b)):
                return cycle
        stack.pop()
        state[a] = 2
        return None

    for a in sorted(edges):
        if a not in state and (cycle := visit(a)):
            return cycle
    return None


def test_no_import_circle_between_project_modules():
    cycle = find_cycle(import_graph(project_files()))
    assert cycle is None, " -> ".join(cycle)


def test_cycle_finder_catches_a_planted_circle(tmp_path, monkeypatch):
    for name, src in {
        "a": "from sim.core import b\n",
        "b": "def f():\n    from sim.core import a\n",
    }.items():
        f = tmp_path / "sim" / "core" / f"{name}.py"
        f.parent.mkdir(parents=True, exist_ok=True)
        f.write_text(src)
    monkeypatch.setattr(f"{__name__}.ROOT", tmp_path)
    files = sorted((tmp_path / "sim").rglob("*.py"))
    assert find_cycle(import_graph(files)) == ["sim.core.a", "sim.core.b", "sim.core.a"]
