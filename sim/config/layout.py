"""``layout``: a district's resource layout (conf/layout/), one section per response module."""

from __future__ import annotations

from dataclasses import dataclass, field

from omegaconf import MISSING

from sim.config.evacuation import EvacuationLayoutConfig, ShelterGroupConfig
from sim.config.fire import FireLayoutConfig
from sim.config.relief import DepotConfig, ReliefConfig
from sim.config.rescue import MutualAidConfig, RepairConfig, RescueConfig
from sim.config.teams import TeamConfig
from sim.config.uncertainty import UncertaintyRange


@dataclass
class LayoutConfig:
    name: str = MISSING
    description: str = ""
    hubs: list[str] = field(default_factory=list)  # depots/bases used to judge isolation
    teams: dict[str, TeamConfig] = field(default_factory=dict)
    rescue: RescueConfig = field(default_factory=RescueConfig)
    fire: FireLayoutConfig | None = None  # forest-fire forces (sim/fire/service.py); None: off
    depots: dict[str, DepotConfig] = field(default_factory=dict)  # relief stock holders
    relief: ReliefConfig | None = None  # relief logistics (sim/relief/service.py); None: off
    mutual_aid: MutualAidConfig | None = None  # regional mutual aid (sim/rescue/mutual_aid.py)
    repair: RepairConfig | None = None  # road-repair crews (sim/rescue/repair.py)
    shelters: dict[str, ShelterGroupConfig] = field(
        default_factory=dict
    )  # sim/evacuation/shelters.py
    evacuation: EvacuationLayoutConfig = field(default_factory=EvacuationLayoutConfig)
    # plausible ranges of assumed settings (dotted config key -> range), screened by
    # experiment=robustness (sim/config/uncertainty.py)
    uncertainty: dict[str, UncertaintyRange] = field(default_factory=dict)
