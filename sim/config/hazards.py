"""``scenario``: every hazard generator's parameters (storm, flood, landslide, fire, ...)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from omegaconf import MISSING

from sim.config.checks import ConfigError, check_prob, positive, road_exposure
from sim.config.teams import _check_capabilities
from sim.config.uncertainty import UncertaintyRange


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
class CasualtyConfig:
    """People caught by the hazard during an evacuation become rescue incidents.

    ``None`` values take the kind's default (scenarios/evacuation.py ``CASUALTY_DEFAULTS``,
    with sources): the capability a team needs and the survival windows of people caught
    where they were (home, assembly point: ``trapped_window_h``) and on a road
    (``swept_window_h``). People caught together are split into incidents of at most
    ``max_people`` (a building, a stretch of road).
    """

    enabled: bool = True
    capabilities: list[str] | None = None
    trapped_window_h: float | None = None
    swept_window_h: float | None = None
    # ASSUMPTION: a reference crew needs 20 min per person to get them out by boat/ladder
    work_min_per_person: float = 20.0
    max_people: int = 20  # ASSUMPTION: one incident per building or road stretch of 20
    report_delay_min_mean: float = 15.0  # ASSUMPTION: phone call or neighbours (110/119)


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
    casualties: CasualtyConfig = field(default_factory=CasualtyConfig)  # caught -> rescue


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
    # plausible ranges of assumed settings (sim/config/uncertainty.py)
    uncertainty: dict[str, UncertaintyRange] = field(default_factory=dict)


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
        positive(c.rain_sigma, "scenario.cascade.rain_sigma", allow_zero=True)
        positive(c.flood_lag_h, "scenario.cascade.flood_lag_h", allow_zero=True)
        positive(c.landslide_lag_h, "scenario.cascade.landslide_lag_h", allow_zero=True)
        positive(c.landslide_rain_exponent, "scenario.cascade.landslide_rain_exponent", True)
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
            positive(getattr(q, name), f"scenario.earthquake.{name}", allow_zero=True)
        for name in ("people_per_site_mean", "people_dispersion", "work_min_per_person"):
            positive(getattr(q, name), f"scenario.earthquake.{name}")
        for name in ("window_h", "repair_h_median", "att_c"):
            positive(getattr(q, name), f"scenario.earthquake.{name}")
        if q.sites_growth_per_degree < 1:  # < 1 would put more collapses at lower intensity
            raise ConfigError(
                f"scenario.earthquake.sites_growth_per_degree={q.sites_growth_per_degree}: "
                "must be >= 1"
            )
        check_prob(q.road_damage_prob_at_8, "scenario.earthquake.road_damage_prob_at_8")
    ch = sc.chemical
    if ch is not None:
        for name in ("releases_mean", "t_h", "window_h", "report_delay_min_mean"):
            positive(getattr(ch, name), f"scenario.chemical.{name}", allow_zero=True)
        positive(ch.cordon_hours_sigma, "scenario.chemical.cordon_hours_sigma", allow_zero=True)
        _check_capabilities(ch.capabilities, "scenario.chemical.capabilities")
        for name in ("cordon_hours_median", "work_min_mean", "window_h_life"):
            positive(getattr(ch, name), f"scenario.chemical.{name}")
        if not ch.capabilities:
            raise ConfigError("scenario.chemical.capabilities: name at least one capability")
        if not any(w > 0 for w in ch.road_class_weights.values()):
            raise ConfigError("scenario.chemical.road_class_weights: need a positive weight")


def _check_flood(f: FloodConfig, name: str) -> None:
    for k in ("start_h", "flash_events_mean", "flash_trapped_per_100k", "warning_lead_h"):
        positive(getattr(f, k), f"{name}.{k}", allow_zero=True)
    for k in ("flash_hours_sigma", "peak_m_sigma", "trapped_per_100k_per_m"):
        positive(getattr(f, k), f"{name}.{k}", allow_zero=True)
    positive(f.report_delay_min_mean, f"{name}.report_delay_min_mean", allow_zero=True)
    for k in ("flash_window_h", "flash_hours_median", "peak_factor"):
        positive(getattr(f, k), f"{name}.{k}")
    for d, r in f.rivers.items():
        for k in ("peak_m_median", "rise_h", "fall_h"):
            positive(getattr(r, k), f"{name}.rivers.{d}.{k}")
    for k in ("people_per_incident_mean", "work_min_mean", "window_h"):
        positive(getattr(f, k), f"{name}.{k}")
    check_prob(f.flash_road_prob, f"{name}.flash_road_prob")
    if f.river and f.district not in f.rivers:
        have = ", ".join(sorted(f.rivers)) or "none"
        raise ConfigError(
            f"{name}.rivers: no river reach for district '{f.district}' (have: {have}); "
            f"set {name}.river=false for flash floods only"
        )


def _check_landslide(s: LandslideConfig, name: str) -> None:
    for k in ("start_h", "points_default", "people_per_burial_mean", "lake_trapped_per_100k"):
        positive(getattr(s, k), f"{name}.{k}", allow_zero=True)
    for k in ("repair_h_sigma", "report_delay_min_mean", "lake_work_min_mean", "lake_window_h"):
        positive(getattr(s, k), f"{name}.{k}", allow_zero=True)
    for k in ("window_h", "burial_work_min_mean", "burial_window_h", "repair_h_median"):
        positive(getattr(s, k), f"{name}.{k}")
    for k in ("lake_fill_h", "lake_flood_h"):
        positive(getattr(s, k), f"{name}.{k}")
    for k in ("fail_prob", "road_block_prob", "bury_prob", "barrier_lake_prob"):
        check_prob(getattr(s, k), f"{name}.{k}")
    for d, n in s.points.items():
        positive(n, f"{name}.points.{d}", allow_zero=True)


def _check_storm(s: StormConfig, f: str) -> None:
    for name in ("warning_lead_min", "impact_start_h", "closures_mean", "incidents_per_100k"):
        positive(getattr(s, name), f"{f}.{name}", allow_zero=True)
    for name in ("closure_hours_sigma", "report_delay_min_mean"):
        positive(getattr(s, name), f"{f}.{name}", allow_zero=True)
    for name in ("duration_h", "closure_hours_median", "work_min_mean", "window_h"):
        positive(getattr(s, name), f"{f}.{name}")
    if not 0 <= s.water_rescue_share <= 1:
        raise ConfigError(f"{f}.water_rescue_share: must be within [0, 1]")


@dataclass
class DangerClassConfig:
    """One daily fire-danger class: ignitions on such a day and their fire behaviour.

    ``p_day`` is used by ``extreme_day`` and by a season without ``periods``; a period's own
    ``p_day`` (share of its days in each class) takes precedence.
    """

    p_day: float = 0.0  # share of days in this class (see above)
    ignition_weight: float = 1.0  # relative ignition rate on such a day
    head_ros_m_min: float = MISSING  # median head rate of spread at the day's peak
    lb_ratio: float = 2.0  # length-to-breadth ratio of the fire ellipse


@dataclass
class FirePeriodConfig:
    """A part of the fire year (e.g. the winter-spring fire-prevention period).

    ``fire_share``: share of the year's fires that start in it; ``p_day``: share of its days
    in each danger class (class name -> share).
    """

    days: int = MISSING
    fire_share: float = MISSING
    p_day: dict[str, float] = field(default_factory=dict)


@dataclass
class FireSizeConfig:
    """Recorded fire-size distribution (lognormal in ha) used for escaped fires.

    An escaped fire of area a ends at a size drawn from the recorded distribution of fires
    larger than a (sim/fire/tactics.py); ``log_mean``/``log_sd`` are of *damaged* area in ln ha,
    as the statistics count it.
    """

    log_mean: float = -0.19
    log_sd: float = 1.79


@dataclass
class FireScenarioConfig:
    """Forest-fire ignitions: a fire year (periods of danger-class days) or one extreme day.

    Season: the expected number of fires is ``fires_per_10kha_year`` x forest area / 10,000 ha
    x the district's risk multiplier x the summed ``fire_share`` of the periods, in each of the
    ``years`` independent fire years of a replication (the periods' days make one year).
    """

    mode: str = "season"  # season | extreme_day
    years: int = 1  # fire years per replication (season); KPIs of area are per year
    start_clock_h: float = 0.0  # clock hour at scenario time 0
    district: str = ""  # conf: ${district.name} (selects the district_risk entry)
    forest_area_ha: float = 0.0  # conf: ${district.forest_area_ha}
    fires_per_10kha_year: float = 0.033
    district_risk: dict[str, float] = field(default_factory=dict)  # district -> multiplier
    periods: dict[str, FirePeriodConfig] = field(default_factory=dict)
    extreme_ignitions_mean: float = 3.0
    extreme_class: str = "extreme"
    ignition_hour_mean: float = 14.0
    ignition_hour_sd: float = 3.0
    ros_sigma: float = 0.5  # lognormal spread of head ROS around the class median
    zones: list[str] = field(default_factory=list)  # forest-zone nodes; [] = all forest_zone nodes
    classes: dict[str, DangerClassConfig] = field(default_factory=dict)
    damaged_per_burned: float = 0.3  # 受害森林面积 / 过火面积
    fuel_consumed_kg_m2: float = 1.5  # flaming-front fuel consumption (Byram intensity)
    size: FireSizeConfig = field(default_factory=FireSizeConfig)

    def risk(self) -> float:
        """The district's ignition multiplier (1 when not listed)."""
        return float(self.district_risk.get(self.district, 1.0))

    def fires_per_year(self) -> float:
        """Expected fires per year in the district (before the periods' shares)."""
        return self.fires_per_10kha_year * self.forest_area_ha / 1.0e4 * self.risk()
