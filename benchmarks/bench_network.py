"""Cost per incident and memory as the road network grows to 20,000+ nodes.

    python benchmarks/bench_network.py                      # 300, 1k, 5k, 20k nodes
    python benchmarks/bench_network.py --nodes 300 20000 --incidents 20000 --repeat 3
    python benchmarks/bench_network.py --anywhere           # incidents at any node (worst case)

Synthetic networks (``grid_network`` of bench_events.py): jittered grids over the *same*
area as the 300-node dispatch benchmark (about 31 x 42 km), so a finer network means more
junctions between the same places, as when a district's roads come from OpenStreetMap. 300
of the nodes are places (towns, ``kind: town``), spread evenly; the others are junctions.
The workload is the stable dispatch benchmark (6 teams based at places, incidents at
random places, mean 20 min between them), so trips are as long at every size and the
utilisation stays about 0.65 (printed). ``--anywhere`` puts incidents at random nodes of
the whole network instead: every incident then needs shortest paths to a new destination.

Each size runs in a fresh process: CPU per incident of the run (``time.process_time``,
network building excluded), the peak resident memory of that process (``ru_maxrss``, the
network included), shortest-path rows computed and evicted, and the CPU of drawing the
network map (``sim.run.figures.network_map``) for the network and the run's closures.
"""

from __future__ import annotations

import argparse
import json
import math
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

N_PLACES = 300


def network(n_nodes: int):
    """A grid of about ``n_nodes`` nodes over the 300-node benchmark's area, with places."""
    from bench_events import grid_network

    side = max(15, round(math.sqrt(n_nodes * 15 / 20)))
    rows = max(20, round(n_nodes / side))
    net = grid_network(side=side, rows=rows, spacing=0.02 * 15 / side)
    # 300 places spread evenly over the nodes (all nodes are places at 300)
    step = net.n / N_PLACES
    places = sorted({int(k * step) for k in range(N_PLACES)})
    kinds = net.node_attr["kind"]
    keep = set(places)
    for i in range(net.n):
        if i not in keep:
            kinds[i] = "junction"
    return net, places


def one(n_nodes: int, incidents: int, anywhere: bool, figure: bool) -> dict:
    """Measure one network size (in this process)."""
    import bench_events as be

    t0 = time.process_time()
    net, places = network(n_nodes)
    build = time.process_time() - t0
    wl = be.dispatch_setup(incidents, "stable", net=net, places=None if anywhere else places)
    cpu, events = be.cpu_run(wl.world)
    stats = be.log_stats(wl.world.log.rows, be.N_TEAMS, wl.world.now)
    out = {
        "nodes": net.n,
        "edges": len(net.edges),
        "incidents": incidents,
        "us_per_incident": cpu / incidents * 1e6,
        "events": events,
        "utilisation": stats["utilisation"],
        "build_s": build,
        "rows_cached": len(net.rows),
        "row_mb": net.rows.bytes / 2**20,
        "evictions": net.rows.evictions,
    }
    if figure:
        out["map_s"] = map_cpu(net)
    out["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return out


def map_cpu(net) -> float:
    """CPU seconds of drawing the network map (``network_map.png``) of ``net`` with 50
    roads closed, as a run's outputs do."""
    import tempfile
    from types import SimpleNamespace

    import pandas as pd

    from sim.run.figures import network_map

    step = max(len(net.edges) // 50, 1)
    closures = pd.DataFrame({"entity": [net.edge_name(e) for e in range(0, len(net.edges), step)]})
    closures["rep"] = 0
    conf = SimpleNamespace(
        district=SimpleNamespace(name_en="synthetic"), layout=SimpleNamespace(name="bench")
    )
    with tempfile.TemporaryDirectory() as d:
        t0 = time.process_time()
        network_map(net, conf, Path(d) / "network_map.png", closures)
        return time.process_time() - t0


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--nodes", type=int, nargs="+", default=[300, 1000, 5000, 20000])
    ap.add_argument("--incidents", type=int, default=20_000)
    ap.add_argument("--repeat", type=int, default=1)
    ap.add_argument("--anywhere", action="store_true", help="incidents at any node")
    ap.add_argument("--no-figure", action="store_true", help="skip the network map")
    ap.add_argument("--one", type=int, help=argparse.SUPPRESS)  # worker: one size, JSON out
    a = ap.parse_args()
    if a.one:
        print(json.dumps(one(a.one, a.incidents, a.anywhere, not a.no_figure)))
        return
    base = None
    for n in a.nodes:
        runs = []
        for _ in range(a.repeat):
            cmd = [sys.executable, __file__, "--one", str(n), "--incidents", str(a.incidents)]
            cmd += ["--anywhere"] * a.anywhere + ["--no-figure"] * a.no_figure
            res = subprocess.run(cmd, capture_output=True, text=True, check=True)
            runs.append(json.loads(res.stdout.strip().splitlines()[-1]))
        us = [r["us_per_incident"] for r in runs]
        r = runs[0]
        base = base or min(us)
        fig = f" map {min(x['map_s'] for x in runs):5.2f} s" if "map_s" in r else ""
        print(
            f"nodes={r['nodes']:>6,d} edges={r['edges']:>6,d} util={r['utilisation']:.2f} "
            f"us/incident min {min(us):7.1f} median {statistics.median(us):7.1f} "
            f"({min(us) / base:4.2f}x) peak RSS {max(x['peak_rss_mb'] for x in runs):6.0f} MB "
            f"rows {r['rows_cached']:,d} ({r['row_mb']:.0f} MB, {r['evictions']:,d} evicted)"
            f"{fig}"
        )


if __name__ == "__main__":
    main()
