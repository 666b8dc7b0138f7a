"""The interface every response module satisfies (a plain Python module is enough).

A response module is a package under ``sim/`` whose ``__init__`` defines these functions
(``write_figures``, not ``figures``: the package's ``figures`` submodule owns that name);
``sim.modules.RESPONSE_MODULES`` lists them in the order a replication attaches them. The
run code calls a module only through this Protocol: it never probes for functions, never
reads a module's tables by name and never rebuilds a module's assets.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

if TYPE_CHECKING:
    import pandas as pd

    from sim.config import Config
    from sim.core.kpi import KpiSpec
    from sim.core.network import RoadNetwork
    from sim.core.replication import Replication
    from sim.core.roads import RoadState
    from sim.core.world import World


@dataclass
class MapLayer:
    """Nodes a module wants marked on the network map (hollow markers sized by ``sizes``)."""

    label: str
    nodes: list[int]
    sizes: list[float] = field(default_factory=list)  # marker areas in points^2
    marker: str = "o"
    colour: str = "black"


@runtime_checkable
class ResponseModule(Protocol):
    """What a replication and the run code may ask of a response module."""

    #: Every KPI name ``kpis`` can return (targets naming anything else are refused before a
    #: run; tests/test_reliability.py checks the list against what the module emits).
    KPI_NAMES: tuple[str, ...]

    def check_nodes(self, cfg: Config, net: RoadNetwork) -> None:
        """Raise NetworkError naming the field if a node the module's config names is missing."""

    def attach(self, world: World, cfg: Config, roads: RoadState) -> Any:
        """Build the module's assets from ``cfg`` and subscribe its processes to the World."""

    def kpis(self, rep: Replication, events: pd.DataFrame) -> dict[str, float]:
        """The module's measures of one replication, from the event log (empty if inactive)."""

    def produces(self, cfg: Config) -> frozenset[str]:
        """The KPI names ``kpis`` may return for a replication of ``cfg``, known before any
        runs: every replication's names are among them (tests/test_reliability.py checks each
        shipped scenario), and they are exactly its names where no draw decides them. A search
        objective or compared KPI outside every alternative's set is refused in the pre-flight.
        """

    def tables(self, rep: Replication, events: pd.DataFrame) -> dict[str, pd.DataFrame]:
        """Detail tables of one replication (written as ``<name>.csv`` with a ``rep`` column)."""

    def write_figures(self, tables: dict[str, pd.DataFrame], conf: Config, outdir: Path) -> None:
        """PNG figures from the tables combined over replications."""

    def kpi_specs(self) -> dict[str, KpiSpec]:
        """How each KPI the module emits is estimated and read (range, ratio, provenance)."""

    def contributors(self, metric: str, tables: dict[str, pd.DataFrame]) -> list[str]:
        """For a failed target on one of the module's metrics: what drives it (a few lines)."""

    def deciding_inputs(self, metric: str, cfg: Config) -> list[str]:
        """Config keys whose values alone decide ``metric`` (arithmetic on them, or a share
        bounded by them): where one is an ASSUMPTION, the verdict checks that assumption,
        not the plan, and says so. Empty for a metric the dynamics decide."""

    def map_layers(
        self, cfg: Config, net: RoadNetwork, tables: dict[str, pd.DataFrame]
    ) -> list[MapLayer]:
        """Nodes the network map should mark (e.g. team bases, shelters used)."""
