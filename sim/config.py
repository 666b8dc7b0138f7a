"""Typed config schema (Hydra structured configs) and semantic validation.

The YAML files under ``conf/`` are merged onto these dataclasses, so a wrong type or an
unknown key fails at composition time. :func:`validate` adds the checks types cannot
express (positive counts, known choices, nodes that exist in the network) and raises
:class:`ConfigError` with a one-line message naming the field.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from omegaconf import MISSING


class ConfigError(ValueError):
    """Bad configuration value (one-line message that names the field)."""


def road_exposure() -> dict[str, float]:
    """ASSUMPTION: relative exposure of road classes to blockage (minor roads block more)."""
    return {"expressway": 0.2, "national": 0.5, "provincial": 1.0, "county": 1.5, "local": 2.0}


@dataclass
class TargetConfig:
    """A plan target: ``metric`` ``comparator`` ``threshold`` (source: seed file and line)."""

    metric: str = MISSING
    comparator: str = ">="  # one of >=, <=, >, <
    threshold: float = MISSING
    source: str = ""  # e.g. "000 L198"
    description: str = ""
    # For pooled proportions (e.g. fires out within 24 h over all fires): the KPI columns
    # summed over replications; the estimate is numerator/denominator with a Wilson interval.
    numerator: str = ""
    denominator: str = ""
    # Interval for a per-replication mean: "t" (Student) or "bootstrap" (percentile bootstrap,
    # better for skewed metrics such as burned area, never below the smallest value).
    interval: str = "t"


@dataclass
class DistrictConfig:
    name: str = MISSING
    name_zh: str = ""
    name_en: str = ""
    network: str = MISSING  # path to a GraphML (.graphml) or OSM XML (.osm/.xml) file
    population_total: int = 0
    seat: str = ""  # node id of the district seat
    forest_area_ha: float = 0.0  # total forest area (denominator of the burned share)
    targets: dict[str, TargetConfig] = field(default_factory=dict)


@dataclass
class StageConfig:
    """One stage of a team's staged mobilisation (alarm -> stages -> departure).

    Stages run one after the other; ``mean_min`` is the mean duration of this stage and
    ``share`` the cumulative share of the headcount assembled when it ends.
    """

    name: str = "assembly"
    mean_min: float = MISSING
    share: float = 1.0


@dataclass
class TieredConfig:
    """Tiered escalation village -> town -> district -> regional (dispatch policy 'tiered')."""

    levels: dict[str, int] = field(
        default_factory=lambda: {
            "village": 0,
            "town": 1,
            "district": 2,
            "professional": 2,
            "fire_rescue": 2,
            "militia": 2,
            "regional": 3,
        }
    )
    local_tiers: list[str] = field(default_factory=lambda: ["village", "town"])
    start_level: list[int] = field(default_factory=lambda: [0, 1, 2])  # by severity 1, 2, 3+
    escalate_after_min: float = 30.0  # waiting this long without a team raises the level


@dataclass
class MobilisationConfig:
    """Time of day and work/rest limits of mobilisation (sim/mobilisation.py)."""

    night_start_h: float = 22.0
    night_end_h: float = 6.0
    max_duty_h: float = 0.0  # a team on duty this long is relieved to rest (0 = no limit)
    rest_h: float = 8.0


@dataclass
class AccessConfig:
    """How teams reach places the roads do not (sim/access.py)."""

    walk_kmh: float = 3.0  # on foot over blocked (not flooded) roads
    air_kmh: float = 200.0
    air_overhead_min: float = 15.0  # launch, landing/hoist set-up
    boat_kmh: float = 20.0
    boat_launch_min: float = 15.0
    river_sinuosity: float = 1.3  # river distance / straight line between water nodes
    water_nodes: list[str] = field(default_factory=list)  # nodes reachable by boat
    # ASSUMPTION: driving within the town/street to the scene (trip from a node to itself)
    local_min: float = 10.0
    # ASSUMPTION: no helicopter take-offs at night (start == end: flights at any hour) nor
    # while a storm section's impact window is active
    air_night_start_h: float = 20.0
    air_night_end_h: float = 6.0


@dataclass
class AidCentreConfig:
    """A regional emergency centre or neighbouring district that sends teams on request."""

    node: str = MISSING  # usually an external node ext_*
    tier: str = "regional"
    count: int = 1
    headcount: int = MISSING
    capabilities: list[str] = field(default_factory=lambda: ["rescue"])
    modes: list[str] = field(default_factory=lambda: ["road", "foot"])
    vehicles: int = 1
    activation_min: float = 120.0  # mean request -> departure
    source: str = ""


@dataclass
class MutualAidConfig:
    """When and from where mutual aid is requested (sim/mutual_aid.py)."""

    trigger_waiting: int = 3  # incidents waiting with no local team free
    trigger_wait_min: float = 60.0  # ... or one incident waiting this long
    re_request_min: float = 120.0  # pressure persists this long: ask the next centre
    centres: dict[str, AidCentreConfig] = field(default_factory=dict)


@dataclass
class RepairCrewConfig:
    """A group of identical road-repair crews (sim/repair.py)."""

    home: str = MISSING
    count: int = 1
    productivity: float = 1.0  # repair work per minute relative to the reference crew
    mobilise_min: float = 60.0  # mean call-out time
    source: str = ""


@dataclass
class RepairConfig:
    priority: str = "isolation"  # isolation (reconnect most people first) | fifo
    crews: dict[str, RepairCrewConfig] = field(default_factory=dict)


@dataclass
class TeamConfig:
    """A group of identical rescue teams.

    ``home`` is a node id, or ``each_town`` to spread ``count`` teams over the district's
    towns/streets (one each, the remainder to the most populous).
    """

    tier: str = MISSING  # village, town, district, professional, fire_rescue, militia, regional
    home: str = MISSING
    count: int = 1
    headcount: int = MISSING  # people per team
    capabilities: list[str] = field(default_factory=lambda: ["rescue"])
    assembly_min: float = 30.0  # mean alarm-to-departure time
    stages: list[StageConfig] = field(default_factory=list)  # staged mobilisation ([]: one)
    depart_share: float = 1.0  # leaves once this share of the headcount has assembled
    night_factor: float = 1.0  # stage times x this for alarms at night (off-duty call-out)
    vehicles: int = 1  # 0: moves on foot only
    modes: list[str] = field(default_factory=lambda: ["road", "foot"])  # road foot water air
    source: str = ""


@dataclass
class RescueConfig:
    dispatch: str = "nearest"  # dispatch policy name (sim.dispatch.POLICIES)
    response_standard_min: float = 60.0
    max_crew_speedup: float = 3.0  # on-scene work scales with crew size up to this factor
    ref_crew: int = 10
    people_per_team: float = 10.0  # big incidents get ceil(people / this) teams ...
    max_teams_per_incident: int = 4  # ... up to this many
    capability_penalty_min: float = 10.0  # policy 'capability': minutes per spare capability
    tiered: TieredConfig = field(default_factory=TieredConfig)
    mobilisation: MobilisationConfig = field(default_factory=MobilisationConfig)
    access: AccessConfig = field(default_factory=AccessConfig)


@dataclass
class KitItemConfig:
    """One item of the per-person relief kit (sim/relief.py).

    ``per_person`` units per person, once (durable items) or per day (``per_day``: food,
    water). ``reserve``: the item counts in the plans' "reserve standard of N people".
    """

    per_person: float = MISSING
    per_day: bool = False
    unit_kg: float = MISSING
    unit_m3: float = MISSING
    reserve: bool = True
    source: str = ""


@dataclass
class DepotConfig:
    """A stock holder: district depot, town/village storage point, regional depot, supplier.

    ``stock`` is on hand at the start. ``calloff`` is released by a call-off (regional
    depot, agreement supplier) ``calloff_delay_min`` (mean) after it is triggered, in
    ``calloff_batches`` batches ``calloff_interval_min`` apart; with ``deliver_to`` (a depot
    key) the supplier's own transport brings each batch to that depot, else trucks collect it.
    """

    node: str = MISSING
    level: str = "district"  # district | town | village | regional | supplier
    town: str = ""  # town/street of a town/village storage point ('' = the node itself)
    stock: dict[str, float] = field(default_factory=dict)
    calloff: dict[str, float] = field(default_factory=dict)
    calloff_delay_min: float = 0.0
    calloff_trigger: str = "shortage"  # shortage | first_demand
    calloff_batches: int = 1
    calloff_interval_min: float = 1440.0
    deliver_to: str = ""
    source: str = ""


@dataclass
class FleetConfig:
    """A group of identical relief vehicles (trucks, boats, helicopters).

    ``base`` is a depot key, or ``each_town_depot`` for one group at every town-level
    storage point. Road vehicles use the road network (closures apply); water/air vehicles
    load at their base and travel the great-circle distance x ``detour`` at ``speed_kmh``
    to the nodes in ``serves`` (empty: any node), and are used only where roads fail.
    """

    base: str = MISSING
    mode: str = "road"  # road | water | air
    count: int = 1
    capacity_kg: float = MISSING
    capacity_m3: float = MISSING
    activation_min: float = 0.0  # mean call-out delay from the first demand
    road_time_factor: float = 1.0  # loaded truck time / free-flow road time
    speed_kmh: float = 0.0  # water/air only
    detour: float = 1.0  # water/air only
    max_leg_min: float = 0.0  # > 0: serves only shelters within this drive of depot and itself
    serves: list[str] = field(default_factory=list)
    source: str = ""


@dataclass
class ReliefConfig:
    """Relief logistics: kit, vehicles, handling times, which towns are remote."""

    kit: dict[str, KitItemConfig] = field(default_factory=dict)
    fleets: dict[str, FleetConfig] = field(default_factory=dict)
    remote_towns: list[str] = field(default_factory=list)  # disaster-prone/remote towns
    kit_days: float = 1.0  # days of per-day items in the arrival kit ("needs met")
    reserve_days: float = 1.0  # days of per-day items in one person of the reserve standard
    target_h: float = 24.0  # needs met within this many hours of arrival (002 L180)
    load_fixed_min: float = 15.0  # per stop, loading or unloading
    handle_kg_per_min: float = 130.0  # loading/unloading rate
    # ASSUMPTION: the planner looks again at most every 15 min (a dispatcher's round), not at
    # every arrival or ration order; a free vehicle or new stock waits at most this long.
    replan_min: float = 15.0
    # ASSUMPTION: a truck leaves with at least a quarter of its weight/volume capacity, unless
    # the oldest order it carries has waited an hour or the load completes a group's kit.
    min_load_share: float = 0.25
    max_hold_min: float = 60.0


@dataclass
class ShelterGroupConfig:
    """A group of shelter sites (应急避难场所) of one type.

    ``home`` is a node id, or ``each_town`` to spread ``count`` sites over the towns/streets
    (most populous first, cycling); ``nodes`` lists the sites' nodes explicitly (cycled).
    People per site: ``capacity``; else ``total_capacity`` split over the sites; else
    ``area_m2 / m2_per_person`` (effective area and the standard area per person).
    """

    type: str = "emergency"  # emergency | short_term | long_term (001 L28)
    tier: str = ""  # district | town | village (001 L28)
    home: str = "each_town"
    nodes: list[str] = field(default_factory=list)
    count: int = 1
    capacity: int = 0
    total_capacity: int = 0
    area_m2: float = 0.0
    m2_per_person: float = 1.5
    source: str = ""


@dataclass
class WarningChannelConfig:
    """One way an evacuation order reaches households (broadcast, SMS, grid workers).

    A household is reached with probability ``reach`` after a Gamma(``delay_shape``) delay of
    mean ``delay_min``. A door-to-door channel visits each town's households in random order
    at ``households_per_worker_h`` per worker after ``delay_min``, with ``workers_per_1000``
    workers per 1,000 people at risk (at least one per town).
    """

    reach: float = 1.0
    delay_min: float = 10.0
    delay_shape: float = 2.0
    door_to_door: bool = False
    workers_per_1000: float = 1.0
    households_per_worker_h: float = 12.0
    source: str = ""


@dataclass
class EvacFleetConfig:
    """Vehicles that move evacuees without a car of their own.

    ``role: bus`` serves assembly points; ``role: assist`` fetches households that need help
    (elderly, disabled) at home. ``home``: node id or ``each_town``.
    """

    role: str = "bus"
    home: str = MISSING
    count: int = 1
    capacity: int = 45  # people per trip
    load_min: float = 5.0  # per stop
    load_min_per_household: float = 0.0  # extra per household boarded (assisted pick-ups)
    source: str = ""


@dataclass
class EvacuationLayoutConfig:
    """How a district warns, moves and shelters people (sim/evacuation.py)."""

    channels: dict[str, WarningChannelConfig] = field(default_factory=dict)
    fleet: dict[str, EvacFleetConfig] = field(default_factory=dict)
    household_size: float = 2.45  # people per household
    comply_share: float = 0.98  # warned households that leave
    prep_median_min: float = 60.0  # warning to departure, lognormal median
    prep_sigma: float = 0.8  # lognormal shape
    assisted_share: float = 0.05  # households that need assistance
    car_share: float = 0.4  # households that leave by own vehicle
    walk_km: float = 1.0  # home to assembly point / town shelter
    walk_kmh: float = 4.0
    local_drive_kmh: float = 20.0  # home to the town's road node by car
    first_types: list[str] = field(default_factory=lambda: ["emergency", "short_term", "long_term"])
    handover_types: list[str] = field(default_factory=lambda: ["short_term", "long_term"])
    emergency_hold_h: float = 12.0  # emergency shelters hand people on after this (0: never)
    transfer_vehicle_capacity: int = 45  # people per vehicle when handed on
    group_window_min: float = 5.0  # departures of one town and mode within it move as a group
    max_platoon_veh: int = 100  # vehicles per platoon on the road at most
    vehicle_length_m: float = 7.5  # road space per vehicle (storage capacity)
    lane_capacity_vph: float = 1800.0  # lanes per link = round(capacity_vph / this)
    stuck_min: float = 10.0  # a blocked platoon forces its way on after this


@dataclass
class LayoutConfig:
    name: str = MISSING
    description: str = ""
    hubs: list[str] = field(default_factory=list)  # depots/bases used to judge isolation
    teams: dict[str, TeamConfig] = field(default_factory=dict)
    rescue: RescueConfig = field(default_factory=RescueConfig)
    fire: FireLayoutConfig | None = None  # forest-fire forces (sim/fire.py); None: off
    depots: dict[str, DepotConfig] = field(default_factory=dict)  # relief stock holders
    relief: ReliefConfig | None = None  # relief logistics (sim/relief.py); None: off
    mutual_aid: MutualAidConfig | None = None  # regional mutual aid (sim/mutual_aid.py)
    repair: RepairConfig | None = None  # road-repair crews (sim/repair.py)
    shelters: dict[str, ShelterGroupConfig] = field(default_factory=dict)  # sim/shelters.py
    evacuation: EvacuationLayoutConfig = field(default_factory=EvacuationLayoutConfig)


@dataclass
class StormConfig:
    """Severe convective storm: warning, road closures and rescue incidents."""

    warning_lead_min: float = 45.0
    impact_start_h: float = 2.0
    duration_h: float = 6.0
    closures_mean: float = 4.0
    closure_class_weights: dict[str, float] = field(default_factory=road_exposure)
    closure_hours_median: float = 8.0
    closure_hours_sigma: float = 0.8
    incidents_per_100k: float = 1.5
    people_per_incident_mean: float = 4.0
    work_min_mean: float = 90.0
    window_h: float = 6.0
    report_delay_min_mean: float = 10.0
    water_rescue_share: float = 0.3


@dataclass
class RiverReachConfig:
    """The reach of a district's main river: which nodes flood at which stage."""

    name: str = MISSING  # e.g. 长江 Yangtze
    datum: str = ""  # the gauge stage that thresholds and peaks are measured from
    peak_m_median: float = MISSING  # flood peak above the datum (lognormal median)
    rise_h: float = 24.0  # datum -> peak
    fall_h: float = 48.0  # peak -> back at the datum
    zones: dict[str, float] = field(default_factory=dict)  # node -> flood threshold above datum
    source: str = ""


@dataclass
class FloodConfig:
    """Flash floods in small catchments and a river flood along the district's main river."""

    district: str = ""  # selects the river reach in ``rivers`` (conf: ${district.name})
    start_h: float = 2.0  # rain onset, scenario hours
    flash_events_mean: float = 3.0
    flash_window_h: float = 12.0
    flash_node_kinds: list[str] = field(default_factory=lambda: ["town", "township"])
    flash_road_prob: float = 0.5  # each road of a flash-flooded town is cut with this chance
    flash_hours_median: float = 6.0
    flash_hours_sigma: float = 0.6
    flash_trapped_per_100k: float = 15.0
    river: bool = True
    rivers: dict[str, RiverReachConfig] = field(default_factory=dict)
    peak_factor: float = 1.0  # x the reach's median peak (the cascade scales it with rain)
    peak_m_sigma: float = 0.5
    warning_lead_h: float = 24.0
    exempt_classes: list[str] = field(default_factory=lambda: ["expressway"])
    trapped_per_100k_per_m: float = 20.0
    people_per_incident_mean: float = 4.0
    work_min_mean: float = 60.0
    window_h: float = 12.0
    report_delay_min_mean: float = 15.0


@dataclass
class LandslidePrecedentConfig:
    """A named landslide placed in the scenario (e.g. Bishan's 2020 S109 slide)."""

    district: str = MISSING  # applies when the scenario runs for this district
    name: str = MISSING
    u: str = MISSING  # the road it blocks
    v: str = MISSING
    t_h: float = 0.0  # after the landslide window opens
    repair_h: float = 24.0  # repair work for the reference crew
    people: int = 0  # people buried (0: road only)
    barrier_lake_node: str = ""  # node flooded by a barrier lake behind the slide ('' none)
    source: str = ""


@dataclass
class LandslideConfig:
    """Rain-triggered landslides at geo-hazard points: roads, burials, barrier lakes."""

    district: str = ""  # selects ``points`` and ``precedents`` (conf: ${district.name})
    points: dict[str, int] = field(default_factory=dict)  # geo-hazard points per district
    points_default: int = 150
    fail_prob: float = 0.03  # share of points that fail in the event
    start_h: float = 4.0
    window_h: float = 24.0
    node_kinds: list[str] = field(default_factory=lambda: ["street", "town", "township"])
    road_block_prob: float = 0.6
    road_class_weights: dict[str, float] = field(default_factory=road_exposure)
    bury_prob: float = 0.25
    people_per_burial_mean: float = 3.0
    burial_work_min_mean: float = 240.0
    burial_window_h: float = 6.0
    repair_h_median: float = 12.0
    repair_h_sigma: float = 1.0
    barrier_lake_prob: float = 0.05
    lake_fill_h: float = 12.0
    lake_flood_h: float = 48.0
    lake_trapped_per_100k: float = 10.0
    lake_work_min_mean: float = 60.0
    lake_window_h: float = 12.0
    report_delay_min_mean: float = 30.0
    precedents: list[LandslidePrecedentConfig] = field(default_factory=list)


@dataclass
class EarthquakeConfig:
    """A shallow earthquake: building collapses with trapped people, damaged roads."""

    t_h: float = 1.0
    magnitude: float = 5.5
    epicentre: str = ""  # node id; '' = a settlement drawn by population
    i0_a: float = 0.24  # epicentral intensity I0 = a + b M
    i0_b: float = 1.29
    att_a: float = 0.92  # intensity at R km: I = a + b M - c log10(R)
    att_b: float = 1.63
    att_c: float = 3.49
    min_intensity: float = 6.0  # no collapses below this intensity
    sites_per_100k_at_7: float = 2.0  # collapse sites per 100,000 residents at intensity VII
    sites_growth_per_degree: float = 4.0  # x this per intensity degree above VII
    people_per_site_mean: float = 6.0
    people_dispersion: float = 1.5  # negative binomial shape (smaller: heavier tail)
    work_min_per_person: float = 90.0
    window_h: float = 24.0
    road_damage_prob_at_8: float = 0.25  # a road whose ends are both at VIII is cut
    repair_h_median: float = 24.0
    repair_h_sigma: float = 0.8
    report_delay_min_mean: float = 20.0


@dataclass
class ChemicalConfig:
    """Hazardous-chemical releases from road tanker accidents (need a hazmat team)."""

    releases_mean: float = 1.0  # Poisson; at least one release is drawn
    t_h: float = 1.0
    window_h: float = 24.0
    road_class_weights: dict[str, float] = field(
        default_factory=lambda: {
            "expressway": 3.0,
            "national": 2.0,
            "provincial": 1.0,
            "county": 0.3,
            "local": 0.1,
        }
    )
    cordon_hours_median: float = 6.0
    cordon_hours_sigma: float = 0.5
    people_exposed_mean: float = 8.0
    capabilities: list[str] = field(default_factory=lambda: ["hazmat"])
    work_min_mean: float = 180.0
    window_h_life: float = 2.0
    report_delay_min_mean: float = 5.0


@dataclass
class CascadeConfig:
    """Storm -> flash/river floods + landslides, coupled through one rainfall factor."""

    storm: StormConfig = field(default_factory=StormConfig)
    flood: FloodConfig = field(default_factory=FloodConfig)
    landslide: LandslideConfig = field(default_factory=LandslideConfig)
    rain_sigma: float = 0.4  # lognormal spread of this event's rain around the configured one
    flood_lag_h: float = 1.0  # floods start this long after storm impact
    landslide_lag_h: float = 3.0  # landslide window opens this long after storm impact
    landslide_rain_exponent: float = 2.0  # failure probability x rain^k


@dataclass
class EvacuationZoneConfig:
    """Where one district's evacuation hazard strikes and how many must leave."""

    river: str = ""  # for reports, e.g. 长江 Yangtze
    nodes: list[str] = field(default_factory=list)  # towns/streets, upstream to downstream
    weights: dict[str, float] = field(default_factory=dict)  # relative exposure (default 1)
    unsafe_nodes: list[str] = field(default_factory=list)  # wholly in the zone: leave by road
    people: int = 0  # people at risk in all; 0: share_of_population of each node
    share_of_population: float = 0.0
    plan_people: int = 0  # the plan's relocation standard (紧急转移安置 N 人), 0: none
    lead_h: float | None = None  # overrides the section's lead_h
    keep_open: list[Any] = field(default_factory=list)  # roads that never flood: "u--v" or [u, v]
    source: str = ""


@dataclass
class EvacuationHazardConfig:
    """A hazard that forces an evacuation: order with lead time, impact, flooded roads."""

    kind: str = "river_flood"  # river_flood | flash_flood | geo_hazard | chemical
    district: str = ""  # selects the zone in ``zones`` (conf: ${district.name})
    zones: dict[str, EvacuationZoneConfig] = field(default_factory=dict)
    order_h: float = 1.0  # evacuation order, scenario hours
    lead_h: float = 24.0  # order to expected impact
    impact_error_sd_min: float = 0.0  # actual impact = expected + Normal(0, sd)
    impact_spread_min: float = 0.0  # first to last zone node (in list order)
    close_roads: bool = True  # roads between zone nodes and out of unsafe nodes close at impact
    closure_classes: list[str] = field(
        default_factory=lambda: ["national", "provincial", "county", "local"]
    )
    closed_h: float = 48.0  # how long flooded roads stay closed


@dataclass
class ScenarioConfig:
    name: str = MISSING
    description: str = ""
    start_hour: float = 8.0  # clock time at scenario minute 0 (night-time mobilisation)
    hours: float = 0.0  # simulated horizon for this scenario; 0 = experiment.hours
    storm: StormConfig | None = None
    fire: FireScenarioConfig | None = None
    flood: FloodConfig | None = None
    landslide: LandslideConfig | None = None
    earthquake: EarthquakeConfig | None = None
    chemical: ChemicalConfig | None = None
    cascade: CascadeConfig | None = None
    evacuation: EvacuationHazardConfig | None = None  # scenarios/evacuation.py


@dataclass
class ExperimentConfig:
    replications: int = 10
    seed: int = 20261124
    hours: float = 72.0
    executor: str = "processes"  # serial | processes | dask
    workers: int = 0  # 0 = all cores
    scheduler: str = ""  # dask: scheduler address (tcp://host:8786); "" = local cluster
    save_events: bool = False
    events_format: str = "csv"  # csv | parquet
    sequential: bool = False  # add batches of replications until every verdict is decided
    batch: int = 10  # sequential: replications per batch
    max_replications: int = 200  # sequential: cap
    resume: bool = False  # reuse finished replications checkpointed in the run directory


@dataclass
class Config:
    district: DistrictConfig = MISSING
    scenario: ScenarioConfig = MISSING
    layout: LayoutConfig = MISSING
    experiment: ExperimentConfig = field(default_factory=ExperimentConfig)


EXECUTORS = ("serial", "processes", "dask")
COMPARATORS = (">=", "<=", ">", "<")


def _positive(value: float, name: str, allow_zero: bool = False) -> None:
    if value < 0 or (value == 0 and not allow_zero):
        raise ConfigError(f"{name}={value}: must be {'>= 0' if allow_zero else '> 0'}")


DEPOT_LEVELS = ("district", "town", "village", "regional", "supplier")
FLEET_MODES = ("road", "water", "air")
CALLOFF_TRIGGERS = ("shortage", "first_demand")


def validate_relief(layout: LayoutConfig) -> None:
    """Checks of ``layout.depots`` and ``layout.relief`` (relief logistics)."""
    relief = layout.relief
    kit = relief.kit if relief is not None else {}
    for key, item in kit.items():
        f = f"layout.relief.kit.{key}"
        _positive(item.per_person, f"{f}.per_person", allow_zero=True)
        _positive(item.unit_kg, f"{f}.unit_kg")
        _positive(item.unit_m3, f"{f}.unit_m3")
    for key, d in layout.depots.items():
        f = f"layout.depots.{key}"
        if d.level not in DEPOT_LEVELS:
            raise ConfigError(f"{f}.level='{d.level}': must be one of {', '.join(DEPOT_LEVELS)}")
        if d.calloff_trigger not in CALLOFF_TRIGGERS:
            raise ConfigError(
                f"{f}.calloff_trigger='{d.calloff_trigger}': "
                f"must be one of {', '.join(CALLOFF_TRIGGERS)}"
            )
        for what in ("stock", "calloff"):
            for item, qty in getattr(d, what).items():
                if relief is not None and item not in kit:
                    raise ConfigError(f"{f}.{what}.{item}: not an item of layout.relief.kit")
                _positive(qty, f"{f}.{what}.{item}", allow_zero=True)
        _positive(d.calloff_delay_min, f"{f}.calloff_delay_min", allow_zero=True)
        _positive(d.calloff_batches, f"{f}.calloff_batches")
        _positive(d.calloff_interval_min, f"{f}.calloff_interval_min", allow_zero=True)
        if d.deliver_to and d.deliver_to not in layout.depots:
            raise ConfigError(f"{f}.deliver_to='{d.deliver_to}': not a key of layout.depots")
    if relief is None:
        return
    if not kit:
        raise ConfigError("layout.relief.kit: must list at least one item")
    for key, fl in relief.fleets.items():
        f = f"layout.relief.fleets.{key}"
        if fl.mode not in FLEET_MODES:
            raise ConfigError(f"{f}.mode='{fl.mode}': must be one of {', '.join(FLEET_MODES)}")
        if fl.base != "each_town_depot" and fl.base not in layout.depots:
            raise ConfigError(f"{f}.base='{fl.base}': not a key of layout.depots")
        _positive(fl.count, f"{f}.count", allow_zero=True)
        _positive(fl.capacity_kg, f"{f}.capacity_kg")
        _positive(fl.capacity_m3, f"{f}.capacity_m3")
        _positive(fl.activation_min, f"{f}.activation_min", allow_zero=True)
        _positive(fl.road_time_factor, f"{f}.road_time_factor")
        _positive(fl.max_leg_min, f"{f}.max_leg_min", allow_zero=True)
        if fl.mode != "road":
            _positive(fl.speed_kmh, f"{f}.speed_kmh")
            if fl.detour < 1:
                raise ConfigError(f"{f}.detour={fl.detour}: must be >= 1")
    for name in ("kit_days", "reserve_days", "target_h", "handle_kg_per_min"):
        _positive(getattr(relief, name), f"layout.relief.{name}")
    _positive(relief.load_fixed_min, "layout.relief.load_fixed_min", allow_zero=True)
    for name in ("replan_min", "max_hold_min"):
        _positive(getattr(relief, name), f"layout.relief.{name}", allow_zero=True)
    _share(relief.min_load_share, "layout.relief.min_load_share")


DISPATCH_POLICIES = ("nearest", "tiered", "capability")
TRAVEL_MODES = ("road", "foot", "water", "air")
# capability names teams have and incidents need (scenarios/*.py, conf/layout, conf/scenario)
CAPABILITIES = ("rescue", "water_rescue", "collapse", "hazmat", "medical", "forest")


def _check_capabilities(caps: list[str], name: str) -> None:
    bad = [c for c in caps if c not in CAPABILITIES]
    if bad:
        raise ConfigError(f"{name}: unknown capability '{bad[0]}' (use {', '.join(CAPABILITIES)})")


REPAIR_PRIORITIES = ("isolation", "fifo")


def _team_checks(f: str, headcount: int, count: int, modes: list[str], vehicles: int) -> None:
    _positive(count, f"{f}.count", allow_zero=True)
    _positive(headcount, f"{f}.headcount")
    _positive(vehicles, f"{f}.vehicles", allow_zero=True)
    bad = [m for m in modes if m not in TRAVEL_MODES]
    if bad or not modes:
        raise ConfigError(f"{f}.modes={modes}: use one or more of {', '.join(TRAVEL_MODES)}")


def validate_rescue(layout: LayoutConfig) -> None:
    """Checks of the rescue part of a layout: teams, dispatch, mutual aid, repair crews."""
    r = layout.rescue
    if r.dispatch not in DISPATCH_POLICIES:
        raise ConfigError(
            f"layout.rescue.dispatch='{r.dispatch}': must be one of {', '.join(DISPATCH_POLICIES)}"
        )
    _positive(r.people_per_team, "layout.rescue.people_per_team")
    _positive(r.max_teams_per_incident, "layout.rescue.max_teams_per_incident")
    _positive(r.capability_penalty_min, "layout.rescue.capability_penalty_min", allow_zero=True)
    t = r.tiered
    if not t.start_level or any(lv < 0 for lv in t.start_level):
        raise ConfigError("layout.rescue.tiered.start_level: list of levels >= 0 by severity")
    neg = sorted(k for k, lv in t.levels.items() if lv < 0)
    if neg:
        raise ConfigError(f"layout.rescue.tiered.levels.{neg[0]}: must be >= 0")
    top = max(t.levels.values(), default=0)
    if any(lv > top for lv in t.start_level):
        raise ConfigError(f"layout.rescue.tiered.start_level: levels must be within 0..{top}")
    _positive(t.escalate_after_min, "layout.rescue.tiered.escalate_after_min")
    m = r.mobilisation
    for name in ("night_start_h", "night_end_h"):
        if not 0 <= getattr(m, name) < 24:
            raise ConfigError(f"layout.rescue.mobilisation.{name}: must be within [0, 24)")
    _positive(m.max_duty_h, "layout.rescue.mobilisation.max_duty_h", allow_zero=True)
    _positive(m.rest_h, "layout.rescue.mobilisation.rest_h", allow_zero=True)
    a = r.access
    for name in ("walk_kmh", "air_kmh", "boat_kmh"):
        _positive(getattr(a, name), f"layout.rescue.access.{name}")
    if a.river_sinuosity < 1:
        raise ConfigError("layout.rescue.access.river_sinuosity: must be >= 1")
    _positive(a.local_min, "layout.rescue.access.local_min", allow_zero=True)
    for name in ("air_night_start_h", "air_night_end_h"):
        if not 0 <= getattr(a, name) < 24:
            raise ConfigError(f"layout.rescue.access.{name}: must be within [0, 24)")
    tiers = {tc.tier for tc in layout.teams.values()}
    if layout.mutual_aid is not None:
        tiers |= {c.tier for c in layout.mutual_aid.centres.values()}
    if r.dispatch == "tiered":
        missing = sorted(tiers - set(t.levels))
        if missing:
            raise ConfigError(
                f"layout.rescue.tiered.levels: no level for tier '{missing[0]}' (used by a team)"
            )
    for key, tc in layout.teams.items():
        f = f"layout.teams.{key}"
        _team_checks(f, tc.headcount, tc.count, tc.modes, tc.vehicles)
        _check_capabilities(tc.capabilities, f"{f}.capabilities")
        if not 0 < tc.depart_share <= 1:
            raise ConfigError(f"{f}.depart_share={tc.depart_share}: must be within (0, 1]")
        if tc.night_factor < 1:
            raise ConfigError(f"{f}.night_factor={tc.night_factor}: must be >= 1")
        last = 0.0
        for i, st in enumerate(tc.stages):
            _positive(st.mean_min, f"{f}.stages[{i}].mean_min", allow_zero=True)
            if not last <= st.share <= 1:
                raise ConfigError(
                    f"{f}.stages[{i}].share={st.share}: shares must rise within [0, 1]"
                )
            last = st.share
        if tc.stages and last < tc.depart_share:
            raise ConfigError(f"{f}.stages: never reach depart_share={tc.depart_share}")
    aid = layout.mutual_aid
    if aid is not None:
        _positive(aid.trigger_waiting, "layout.mutual_aid.trigger_waiting")
        _positive(aid.trigger_wait_min, "layout.mutual_aid.trigger_wait_min")
        _positive(aid.re_request_min, "layout.mutual_aid.re_request_min")
        for key, c in aid.centres.items():
            f = f"layout.mutual_aid.centres.{key}"
            _team_checks(f, c.headcount, c.count, c.modes, c.vehicles)
            _check_capabilities(c.capabilities, f"{f}.capabilities")
            _positive(c.activation_min, f"{f}.activation_min", allow_zero=True)
    rep = layout.repair
    if rep is not None:
        if rep.priority not in REPAIR_PRIORITIES:
            raise ConfigError(
                f"layout.repair.priority='{rep.priority}': "
                f"must be one of {', '.join(REPAIR_PRIORITIES)}"
            )
        for key, c in rep.crews.items():
            f = f"layout.repair.crews.{key}"
            _positive(c.count, f"{f}.count", allow_zero=True)
            _positive(c.productivity, f"{f}.productivity")
            _positive(c.mobilise_min, f"{f}.mobilise_min", allow_zero=True)


def _check_prob(value: float, name: str) -> None:
    if not 0 <= value <= 1:
        raise ConfigError(f"{name}={value}: must be within [0, 1]")


def validate_hazards(sc: ScenarioConfig) -> None:
    """Checks of the flood, landslide, earthquake, chemical and cascade sections."""
    if not 0 <= sc.start_hour < 24:
        raise ConfigError(f"scenario.start_hour={sc.start_hour}: must be within [0, 24)")
    if sc.cascade is not None:
        for other in ("storm", "flood", "landslide"):
            if getattr(sc, other) is not None:
                raise ConfigError(
                    f"scenario.{other}: already part of scenario.cascade (remove one of them)"
                )
        c = sc.cascade
        _positive(c.rain_sigma, "scenario.cascade.rain_sigma", allow_zero=True)
        _positive(c.flood_lag_h, "scenario.cascade.flood_lag_h", allow_zero=True)
        _positive(c.landslide_lag_h, "scenario.cascade.landslide_lag_h", allow_zero=True)
        _positive(c.landslide_rain_exponent, "scenario.cascade.landslide_rain_exponent", True)
        _check_storm(c.storm, "scenario.cascade.storm")
        _check_flood(c.flood, "scenario.cascade.flood")
        _check_landslide(c.landslide, "scenario.cascade.landslide")
    if sc.flood is not None:
        _check_flood(sc.flood, "scenario.flood")
    if sc.landslide is not None:
        _check_landslide(sc.landslide, "scenario.landslide")
    q = sc.earthquake
    if q is not None:
        if not 3 <= q.magnitude <= 9:
            raise ConfigError(f"scenario.earthquake.magnitude={q.magnitude}: must be 3..9")
        for name in ("t_h", "sites_per_100k_at_7", "report_delay_min_mean", "repair_h_sigma"):
            _positive(getattr(q, name), f"scenario.earthquake.{name}", allow_zero=True)
        for name in ("people_per_site_mean", "people_dispersion", "work_min_per_person"):
            _positive(getattr(q, name), f"scenario.earthquake.{name}")
        for name in ("window_h", "repair_h_median", "att_c", "sites_growth_per_degree"):
            _positive(getattr(q, name), f"scenario.earthquake.{name}")
        _check_prob(q.road_damage_prob_at_8, "scenario.earthquake.road_damage_prob_at_8")
    ch = sc.chemical
    if ch is not None:
        for name in ("releases_mean", "t_h", "window_h", "report_delay_min_mean"):
            _positive(getattr(ch, name), f"scenario.chemical.{name}", allow_zero=True)
        _positive(ch.cordon_hours_sigma, "scenario.chemical.cordon_hours_sigma", allow_zero=True)
        _check_capabilities(ch.capabilities, "scenario.chemical.capabilities")
        for name in ("cordon_hours_median", "work_min_mean", "window_h_life"):
            _positive(getattr(ch, name), f"scenario.chemical.{name}")
        if not ch.capabilities:
            raise ConfigError("scenario.chemical.capabilities: name at least one capability")
        if not any(w > 0 for w in ch.road_class_weights.values()):
            raise ConfigError("scenario.chemical.road_class_weights: need a positive weight")


def _check_flood(f: FloodConfig, name: str) -> None:
    for k in ("start_h", "flash_events_mean", "flash_trapped_per_100k", "warning_lead_h"):
        _positive(getattr(f, k), f"{name}.{k}", allow_zero=True)
    for k in ("flash_hours_sigma", "peak_m_sigma", "trapped_per_100k_per_m"):
        _positive(getattr(f, k), f"{name}.{k}", allow_zero=True)
    _positive(f.report_delay_min_mean, f"{name}.report_delay_min_mean", allow_zero=True)
    for k in ("flash_window_h", "flash_hours_median", "peak_factor"):
        _positive(getattr(f, k), f"{name}.{k}")
    for d, r in f.rivers.items():
        for k in ("peak_m_median", "rise_h", "fall_h"):
            _positive(getattr(r, k), f"{name}.rivers.{d}.{k}")
    for k in ("people_per_incident_mean", "work_min_mean", "window_h"):
        _positive(getattr(f, k), f"{name}.{k}")
    _check_prob(f.flash_road_prob, f"{name}.flash_road_prob")
    if f.river and f.district not in f.rivers:
        have = ", ".join(sorted(f.rivers)) or "none"
        raise ConfigError(
            f"{name}.rivers: no river reach for district '{f.district}' (have: {have}); "
            f"set {name}.river=false for flash floods only"
        )


def _check_landslide(s: LandslideConfig, name: str) -> None:
    for k in ("start_h", "points_default", "people_per_burial_mean", "lake_trapped_per_100k"):
        _positive(getattr(s, k), f"{name}.{k}", allow_zero=True)
    for k in ("repair_h_sigma", "report_delay_min_mean", "lake_work_min_mean", "lake_window_h"):
        _positive(getattr(s, k), f"{name}.{k}", allow_zero=True)
    for k in ("window_h", "burial_work_min_mean", "burial_window_h", "repair_h_median"):
        _positive(getattr(s, k), f"{name}.{k}")
    for k in ("lake_fill_h", "lake_flood_h"):
        _positive(getattr(s, k), f"{name}.{k}")
    for k in ("fail_prob", "road_block_prob", "bury_prob", "barrier_lake_prob"):
        _check_prob(getattr(s, k), f"{name}.{k}")
    for d, n in s.points.items():
        _positive(n, f"{name}.points.{d}", allow_zero=True)


def validate(cfg: Config) -> None:
    """Semantic checks that the schema's types cannot express."""
    validate_fire(cfg)
    ex = cfg.experiment
    _positive(ex.replications, "experiment.replications")
    _positive(ex.hours, "experiment.hours")
    _positive(ex.workers, "experiment.workers", allow_zero=True)
    _positive(ex.batch, "experiment.batch")
    _positive(ex.max_replications, "experiment.max_replications")
    if ex.executor not in EXECUTORS:
        raise ConfigError(
            f"experiment.executor='{ex.executor}': must be one of {', '.join(EXECUTORS)}"
        )
    if ex.events_format not in ("csv", "parquet"):
        raise ConfigError(f"experiment.events_format='{ex.events_format}': use csv or parquet")
    for key, t in cfg.district.targets.items():
        if t.interval not in ("t", "bootstrap"):
            raise ConfigError(f"district.targets.{key}.interval='{t.interval}': use t or bootstrap")
        if t.comparator not in COMPARATORS:
            raise ConfigError(
                f"district.targets.{key}.comparator='{t.comparator}': "
                f"must be one of {', '.join(COMPARATORS)}"
            )
    for key, team in cfg.layout.teams.items():
        _positive(team.count, f"layout.teams.{key}.count", allow_zero=True)
        _positive(team.headcount, f"layout.teams.{key}.headcount")
        _positive(team.assembly_min, f"layout.teams.{key}.assembly_min", allow_zero=True)
    _positive(cfg.layout.rescue.response_standard_min, "layout.rescue.response_standard_min")
    _positive(cfg.layout.rescue.ref_crew, "layout.rescue.ref_crew")
    if cfg.layout.rescue.max_crew_speedup < 1:
        raise ConfigError("layout.rescue.max_crew_speedup: must be >= 1")
    validate_relief(cfg.layout)
    validate_rescue(cfg.layout)
    validate_hazards(cfg.scenario)
    validate_evacuation(cfg)
    if cfg.scenario.storm is not None:
        _check_storm(cfg.scenario.storm, "scenario.storm")


def _check_storm(s: StormConfig, f: str) -> None:
    for name in ("warning_lead_min", "impact_start_h", "closures_mean", "incidents_per_100k"):
        _positive(getattr(s, name), f"{f}.{name}", allow_zero=True)
    for name in ("closure_hours_sigma", "report_delay_min_mean"):
        _positive(getattr(s, name), f"{f}.{name}", allow_zero=True)
    for name in ("duration_h", "closure_hours_median", "work_min_mean", "window_h"):
        _positive(getattr(s, name), f"{f}.{name}")
    if not 0 <= s.water_rescue_share <= 1:
        raise ConfigError(f"{f}.water_rescue_share: must be within [0, 1]")


EVAC_KINDS = ("river_flood", "flash_flood", "geo_hazard", "chemical")
SHELTER_TYPES = ("emergency", "short_term", "long_term")
EVAC_ROLES = ("bus", "assist")


def _share(value: float, name: str) -> None:
    if not 0.0 <= value <= 1.0:
        raise ConfigError(f"{name}={value}: must be within [0, 1]")


def validate_evacuation(cfg: Config) -> None:
    """Shelters and evacuation (layout) and the evacuation hazard (scenario)."""
    for key, g in cfg.layout.shelters.items():
        f = f"layout.shelters.{key}"
        if g.type not in SHELTER_TYPES:
            raise ConfigError(f"{f}.type='{g.type}': must be one of {', '.join(SHELTER_TYPES)}")
        _positive(g.count, f"{f}.count", allow_zero=True)
        for name in ("capacity", "total_capacity", "area_m2"):
            _positive(getattr(g, name), f"{f}.{name}", allow_zero=True)
        _positive(g.m2_per_person, f"{f}.m2_per_person")
        if g.capacity == 0 and g.total_capacity == 0 and g.area_m2 == 0:
            raise ConfigError(f"{f}: give capacity, total_capacity or area_m2")
    ev = cfg.layout.evacuation
    f = "layout.evacuation"
    for key, c in ev.channels.items():
        _share(c.reach, f"{f}.channels.{key}.reach")
        _positive(c.delay_min, f"{f}.channels.{key}.delay_min", allow_zero=True)
        _positive(c.delay_shape, f"{f}.channels.{key}.delay_shape")
        if c.door_to_door:
            _positive(c.workers_per_1000, f"{f}.channels.{key}.workers_per_1000")
            _positive(c.households_per_worker_h, f"{f}.channels.{key}.households_per_worker_h")
    for key, v in ev.fleet.items():
        if v.role not in EVAC_ROLES:
            raise ConfigError(f"{f}.fleet.{key}.role='{v.role}': must be bus or assist")
        _positive(v.count, f"{f}.fleet.{key}.count", allow_zero=True)
        _positive(v.capacity, f"{f}.fleet.{key}.capacity")
        _positive(v.load_min, f"{f}.fleet.{key}.load_min", allow_zero=True)
        _positive(v.load_min_per_household, f"{f}.fleet.{key}.load_min_per_household", True)
    for name in ("comply_share", "assisted_share", "car_share"):
        _share(getattr(ev, name), f"{f}.{name}")
    if ev.assisted_share + ev.car_share > 1.0:
        raise ConfigError(f"{f}: assisted_share + car_share must not exceed 1")
    for name in (
        "household_size",
        "prep_median_min",
        "walk_kmh",
        "local_drive_kmh",
        "group_window_min",
        "max_platoon_veh",
        "vehicle_length_m",
        "lane_capacity_vph",
        "transfer_vehicle_capacity",
    ):
        _positive(getattr(ev, name), f"{f}.{name}")
    for name in ("prep_sigma", "walk_km", "emergency_hold_h", "stuck_min"):
        _positive(getattr(ev, name), f"{f}.{name}", allow_zero=True)
    for name in ("first_types", "handover_types"):
        for t in getattr(ev, name):
            if t not in SHELTER_TYPES:
                raise ConfigError(f"{f}.{name}: '{t}' is not one of {', '.join(SHELTER_TYPES)}")
    sc = cfg.scenario.evacuation
    if sc is None:
        return
    f = "scenario.evacuation"
    if sc.kind not in EVAC_KINDS:
        raise ConfigError(f"{f}.kind='{sc.kind}': must be one of {', '.join(EVAC_KINDS)}")
    if sc.district and sc.district not in sc.zones:
        raise ConfigError(
            f"{f}.district='{sc.district}': no zone for it (zones: {', '.join(sc.zones) or 'none'})"
        )
    if not sc.district and len(sc.zones) != 1:
        raise ConfigError(f"{f}.district: name the district whose zone to use")
    _positive(sc.order_h, f"{f}.order_h", allow_zero=True)
    _positive(sc.lead_h, f"{f}.lead_h")
    _positive(sc.impact_error_sd_min, f"{f}.impact_error_sd_min", allow_zero=True)
    _positive(sc.impact_spread_min, f"{f}.impact_spread_min", allow_zero=True)
    _positive(sc.closed_h, f"{f}.closed_h")
    for c in sc.closure_classes:
        if c not in road_exposure():  # keys: the road classes
            raise ConfigError(
                f"{f}.closure_classes: '{c}' is not one of {', '.join(road_exposure())}"
            )
    for key, z in sc.zones.items():
        fz = f"{f}.zones.{key}"
        if not z.nodes:
            raise ConfigError(f"{fz}.nodes: list at least one town/street")
        _positive(z.people, f"{fz}.people", allow_zero=True)
        _share(z.share_of_population, f"{fz}.share_of_population")
        if z.people == 0 and z.share_of_population == 0:
            raise ConfigError(f"{fz}: give people or share_of_population")
        _positive(z.plan_people, f"{fz}.plan_people", allow_zero=True)
        if z.lead_h is not None:
            _positive(z.lead_h, f"{fz}.lead_h")
        for n in z.unsafe_nodes:
            if n not in z.nodes:
                raise ConfigError(f"{fz}.unsafe_nodes: '{n}' is not one of the zone's nodes")
        for n, w in z.weights.items():
            if n not in z.nodes:
                raise ConfigError(f"{fz}.weights: '{n}' is not one of the zone's nodes")
            _positive(w, f"{fz}.weights.{n}", allow_zero=True)
        for i, r in enumerate(z.keep_open):
            road_ends(r, f"{fz}.keep_open[{i}]")


def road_ends(road: Any, field_name: str) -> tuple[str, str]:
    """A road given as "u--v" or [u, v] -> (u, v); ConfigError naming the field if not."""
    ends = road.split("--") if isinstance(road, str) else list(road) if road else []
    if len(ends) != 2 or not all(isinstance(n, str) and n.strip() for n in ends):
        raise ConfigError(f"{field_name}={road!r}: give a road as 'u--v' or [u, v]")
    return ends[0].strip(), ends[1].strip()


def to_plain(obj: Any) -> Any:
    """Dataclass config -> plain dict (for summary.json)."""
    from dataclasses import asdict, is_dataclass

    return asdict(obj) if is_dataclass(obj) else obj


# ------------------------------------------------------------------ forest fires
@dataclass
class DangerClassConfig:
    """One daily fire-danger class: how likely the day is, ignitions and fire behaviour."""

    p_day: float = MISSING  # share of season days in this class
    ignition_weight: float = 1.0  # relative ignition rate on such a day
    head_ros_m_min: float = MISSING  # median head rate of spread at the day's peak
    lb_ratio: float = 2.0  # length-to-breadth ratio of the fire ellipse


@dataclass
class FireScenarioConfig:
    """Forest-fire ignitions: a season of days with danger classes, or one extreme day."""

    mode: str = "season"  # season | extreme_day
    start_clock_h: float = 0.0  # clock hour at scenario time 0
    season_days: int = 90
    fires_per_season: float = 10.0
    extreme_ignitions_mean: float = 6.0
    extreme_class: str = "extreme"
    ignition_hour_mean: float = 14.0
    ignition_hour_sd: float = 3.0
    ros_sigma: float = 0.5  # lognormal spread of head ROS around the class median
    zones: list[str] = field(default_factory=list)  # forest-zone nodes; [] = all forest_zone nodes
    classes: dict[str, DangerClassConfig] = field(default_factory=dict)


@dataclass
class FireDetectionConfig:
    camera_zones: list[str] = field(default_factory=list)  # zones under 24 h video/infrared watch
    camera_delay_min_mean: float = 10.0
    other_delay_min_mean: float = 45.0  # lookouts, patrols, public reports


@dataclass
class FireLayoutConfig:
    """Forest-fire forces and suppression settings of a layout."""

    teams: dict[str, TeamConfig] = field(default_factory=dict)
    production_m_min_per_person: dict[str, float] = field(default_factory=dict)  # by tier
    detection: FireDetectionConfig = field(default_factory=FireDetectionConfig)
    initial_attack_teams: int = 2
    max_teams_per_fire: int = 6
    attack: str = "rear"  # rear | head
    max_ia_hours: float = 8.0
    max_ia_area_ha: float = 404.7
    walk_speed_kmh: float = 2.0
    water_distance_km: float = 2.0
    water_dependent_share: float = 0.5
    rest_ratio: float = 0.5  # hours of rest per hour worked before the next call-out
    diurnal_peak_hour: float = 15.0
    diurnal_min_multiplier: float = 0.3
    ea_p_contain_per_day: float = 0.3


def validate_fire(cfg: Config) -> None:
    """Checks of the forest-fire sections."""
    f = cfg.scenario.fire
    if f is not None:
        if f.mode not in ("season", "extreme_day"):
            raise ConfigError(f"scenario.fire.mode='{f.mode}': use season or extreme_day")
        _positive(f.season_days, "scenario.fire.season_days")
        _positive(f.fires_per_season, "scenario.fire.fires_per_season", allow_zero=True)
        _positive(f.extreme_ignitions_mean, "scenario.fire.extreme_ignitions_mean", allow_zero=True)
        if not f.classes:
            raise ConfigError("scenario.fire.classes: at least one danger class is needed")
        for k, c in f.classes.items():
            _positive(c.p_day, f"scenario.fire.classes.{k}.p_day", allow_zero=True)
            _positive(c.head_ros_m_min, f"scenario.fire.classes.{k}.head_ros_m_min")
            if c.lb_ratio < 1:
                raise ConfigError(f"scenario.fire.classes.{k}.lb_ratio: must be >= 1")
        if sum(c.p_day for c in f.classes.values()) <= 0:
            raise ConfigError("scenario.fire.classes: p_day must not all be 0")
        if f.mode == "extreme_day" and f.extreme_class not in f.classes:
            raise ConfigError(f"scenario.fire.extreme_class='{f.extreme_class}': not in classes")
    lf = cfg.layout.fire
    if lf is not None:
        if lf.attack not in ("rear", "head"):
            raise ConfigError(f"layout.fire.attack='{lf.attack}': use rear or head")
        for name in ("max_ia_hours", "max_ia_area_ha", "walk_speed_kmh"):
            _positive(getattr(lf, name), f"layout.fire.{name}")
        _positive(lf.initial_attack_teams, "layout.fire.initial_attack_teams", allow_zero=True)
        _positive(lf.water_distance_km, "layout.fire.water_distance_km", allow_zero=True)
        if not 0 <= lf.water_dependent_share <= 1:
            raise ConfigError("layout.fire.water_dependent_share: must be within [0, 1]")
        for k, team in lf.teams.items():
            _positive(team.count, f"layout.fire.teams.{k}.count", allow_zero=True)
            _positive(team.headcount, f"layout.fire.teams.{k}.headcount")
            if team.tier not in lf.production_m_min_per_person and (
                "default" not in lf.production_m_min_per_person
            ):
                raise ConfigError(
                    f"layout.fire.teams.{k}.tier='{team.tier}': no rate in "
                    "layout.fire.production_m_min_per_person"
                )
