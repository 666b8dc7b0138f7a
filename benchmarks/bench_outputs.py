"""Outputs of a run on a 20,000-node network: tables, figures and report, by phase.

    python benchmarks/bench_outputs.py                     # Bishan storm on ~20,000 nodes
    python benchmarks/bench_outputs.py --nodes 5000 --repeat 3 -- experiment.replications=4

The network is Bishan's own (25 places, 33 roads) with every road cut into a chain of
segments through junctions (``kind: junction``, no population) until the network has about
``--nodes`` nodes: every place, team home and hub of Bishan's configs still exists and every
trip between places takes as long as on the shipped network, so ``python run_sim.py
scenario=storm`` runs unchanged on it, while its road maps draw 20,000 segments and its road
closures name 20,000 roads, as with a district's network from OpenStreetMap. The run is
``bench_startup.py``'s phase measurement of ``python run_sim.py scenario=storm
district.network=<that file>`` (CPU seconds, exclusive per phase, the least total of
``--repeat`` runs); the outputs are the ``tables``, ``figures`` and ``report`` phases.
"""

from __future__ import annotations

import argparse
import math
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))


def subdivided(source: Path, nodes: int, out: Path) -> tuple[int, int]:
    """Write ``source`` with each road cut into a chain of segments (about ``nodes`` nodes
    in all) to ``out``; the number of nodes and roads written."""
    import networkx as nx

    g = nx.read_graphml(source)
    per_road = max(0, math.ceil((nodes - g.number_of_nodes()) / g.number_of_edges()))
    h = g.__class__()
    h.graph.update(g.graph)
    h.add_nodes_from(g.nodes(data=True))
    for u, v, data in g.edges(data=True):
        a, b = g.nodes[u], g.nodes[v]
        chain = [u]
        for k in range(1, per_road + 1):
            f = k / (per_road + 1)
            name = f"{u}~{v}~{k}"
            h.add_node(
                name,
                kind="junction",
                name_zh="",
                name_en=name,
                lat=a["lat"] + f * (b["lat"] - a["lat"]),
                lon=a["lon"] + f * (b["lon"] - a["lon"]),
                population=0,
            )
            chain.append(name)
        chain.append(v)
        segment = {**data, "length_m": float(data["length_m"]) / (per_road + 1)}
        for x, y in zip(chain, chain[1:], strict=False):
            h.add_edge(x, y, **segment)
    nx.write_graphml(h, out)
    return h.number_of_nodes(), h.number_of_edges()


def main() -> None:
    from bench_startup import load_avg, phases

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--nodes", type=int, default=20_000)
    ap.add_argument("--repeat", type=int, default=1)
    ap.add_argument("overrides", nargs="*", help="more overrides of python run_sim.py")
    a = ap.parse_args()
    with tempfile.TemporaryDirectory() as d:
        path = Path(d) / f"bishan_{a.nodes}.graphml"
        n, m = subdivided(ROOT / "networks" / "bishan.graphml", a.nodes, path)
        print(
            f"network: Bishan's roads cut into segments: {n:,d} nodes, {m:,d} roads ({load_avg()})"
        )
        best = phases(["scenario=storm", f"district.network={path}", *a.overrides], a.repeat)
    outputs = sum(best.get(k, 0.0) for k in ("tables", "figures", "report"))
    print(f"outputs (tables + figures + report): {outputs:.2f} s CPU (goal < 5 s)")


if __name__ == "__main__":
    main()
