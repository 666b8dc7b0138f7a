"""``python -m sim.district new NAME --network FILE.osm|.graphml [--population CSV]``."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from sim.core.errors import NetworkError, UserError
from sim.district.build import PROJECT_ROOT, new_district


def main(argv: list[str] | None = None) -> int:
    """Parse the command line, build the district, print what was derived and what is missing."""
    p = argparse.ArgumentParser(
        prog="python -m sim.district",
        description="Make a district config set from an OpenStreetMap extract or a GraphML network.",
        epilog="Then: python run_sim.py district=NAME  (the plan audit)",
    )
    sub = p.add_subparsers(dest="cmd", required=True)
    n = sub.add_parser(
        "new", help="derive networks/NAME.graphml and conf/{district,layout}/NAME.yaml"
    )
    n.add_argument("name", help="district name (lower case, names the config files)")
    n.add_argument("--network", required=True, type=Path, help=".osm XML or .graphml file")
    n.add_argument("--population", type=Path, help="gazetteer CSV: name_zh,name_pinyin,population")
    n.add_argument(
        "--seat", default="", help="node id of the district seat (default: most populous town)"
    )
    n.add_argument(
        "--force", action="store_true", help="overwrite an existing district of that name"
    )
    args = p.parse_args(argv)
    t0 = time.perf_counter()
    try:
        d = new_district(args.name, args.network, args.population, args.seat, args.force)
    except (UserError, NetworkError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    pop = sum(t.population for t in d.towns)
    print(f"district {d.name}: {len(d.towns)} towns ({pop:,} residents), seat {d.seat}")
    kinds = {}
    for f in d.facilities:
        kinds[f.kind] = kinds.get(f.kind, 0) + 1
    print("facilities: " + (", ".join(f"{v} {k}" for k, v in kinds.items()) or "none"))
    area = sum(f.forest_area_ha for f in d.forests)
    print(
        f"forest zones: {len(d.forests)} ({area:,.1f} ha); riverside towns: {', '.join(d.riverside) or 'none'}"
    )
    print(f"targets audited: {', '.join(d.targets) or 'none'}")
    print(
        "wrote: "
        + ", ".join(
            str(w.relative_to(PROJECT_ROOT)) if w.is_relative_to(PROJECT_ROOT) else str(w)
            for w in d.written
        )
    )
    if d.missing:
        print("not derived (key to set: why):")
        for key, why in d.missing:
            print(f"  - {key}: {why}")
    print(f"done in {time.perf_counter() - t0:.1f} s. Next: python run_sim.py district={d.name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
