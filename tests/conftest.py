"""Shared fixtures: small hand-made networks with known travel times."""

from __future__ import annotations

from pathlib import Path

import networkx as nx
import pytest

from sim.core.network import RoadNetwork

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="session", autouse=True)
def _checkpoint_key_outside_home(tmp_path_factory):
    """Tests sign checkpoints with a key in a temporary config home, not the user's own."""
    import os

    old = os.environ.get("XDG_CONFIG_HOME")
    os.environ["XDG_CONFIG_HOME"] = str(tmp_path_factory.mktemp("config_home"))
    yield
    if old is None:
        os.environ.pop("XDG_CONFIG_HOME", None)
    else:
        os.environ["XDG_CONFIG_HOME"] = old


def node(g: nx.Graph, n: str, kind: str = "town", pop: int = 1000, lat=29.5, lon=106.2) -> None:
    g.add_node(n, kind=kind, name_zh=n, name_en=n, lat=lat, lon=lon, population=pop)


def road(
    g: nx.Graph,
    u: str,
    v: str,
    minutes: float,
    speed: float = 60.0,
    cap: float = 1000.0,
    cls: str = "county",
) -> None:
    """A road whose free travel time is ``minutes`` at ``speed`` km/h."""
    g.add_edge(
        u,
        v,
        length_m=minutes * speed * 1000 / 60,
        speed_kmh=speed,
        road_class=cls,
        capacity_vph=cap,
    )


def line_graph(depot_a: float = 10, a_b: float = 20, b_c: float = 30, a_c: float = 70) -> nx.Graph:
    """depot - a - b - c with a shortcut a - c: travel minutes 10, 20, 30, shortcut 70 (at
    60 km/h, so a road of m minutes is m km long)."""
    g = nx.Graph()
    node(g, "depot", kind="depot", pop=0)
    for n in "abc":
        node(g, n)
    road(g, "depot", "a", depot_a)
    road(g, "a", "b", a_b)
    road(g, "b", "c", b_c)
    road(g, "a", "c", a_c)
    return g


@pytest.fixture
def line_net() -> RoadNetwork:
    return RoadNetwork(line_graph(), source="line")


@pytest.fixture
def line_graphml(tmp_path: Path) -> Path:
    p = tmp_path / "line.graphml"
    nx.write_graphml(line_graph(), p)
    return p


def assert_planted_link_refused(tmp_path, monkeypatch, name, run, let_resume, module, hook):
    """A symlink planted in the run folder for output ``name`` is refused, never written
    through: planted before the run (``let_resume()`` sets ``experiment.resume`` so that the
    run gets past the earlier-run check) and while it runs (planted when ``module.hook`` is
    called, after the pre-flight). ``run(folder)`` runs the mode into ``folder``. The link's
    target keeps its content, the link stays, and no staging folder is left."""
    import re

    from sim.core.errors import OutputError

    victim = tmp_path / "victim.txt"
    victim.write_text("precious")
    folder = tmp_path / "run"
    folder.mkdir()
    (folder / name).symlink_to(victim)
    let_resume()
    refused = f"{re.escape(name)}: is a symbolic link"
    with pytest.raises(OutputError, match=refused):
        run(folder)
    (folder / name).unlink()
    original = getattr(module, hook)

    def plant_then_call(*args, **kw):  # a link made after the pre-flight check
        (folder / name).symlink_to(victim)
        return original(*args, **kw)

    monkeypatch.setattr(module, hook, plant_then_call)
    with pytest.raises(OutputError, match=refused):
        run(folder)
    assert victim.read_text() == "precious"
    assert (folder / name).is_symlink()  # the link itself is left alone
    assert not list(folder.glob(".staging-*"))
