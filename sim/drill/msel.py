"""The Master Scenario Events List (HSEEP) built from one replication's event log.

Each inject is one row of the simulated cascade that players would learn of (a warning, an
alarm, a road closure, an isolated town, an escalation, a mutual-aid request, a relief
call-off or stock-out, an evacuation order, a fire report): its time, place and numbers are
read from the log, its names from the network and the layout (:mod:`sim.drill.names`). The
expected player action is what the simulation's responders did in that replication (which
team of which tier, which depot or crew), with the plan line the layout cites for it.

HSEEP fields per inject (FEMA, *Homeland Security Exercise and Evaluation Program*, 2020,
MSEL): sequence number, scenario time, clock time, event synopsis, inject text, from, to,
delivery method, expected player action, objective / core capability, evaluator notes,
contingency injects ("used when expected response actions do not occur").
"""

from __future__ import annotations

import datetime as dt
import math
import re
from dataclasses import dataclass

import pandas as pd

from sim.core.events import SEVERE_CONVECTION
from sim.drill.console.clock import t_plus
from sim.drill.measures import fmt_minutes
from sim.drill.names import Name, Namer, bilingual, district_word, local_words

# inject kind -> (priority: lower is kept first, core capability zh, en)
# Core capabilities: FEMA National Preparedness Goal (2nd ed., 2015).
KINDS: dict[str, tuple[int, str, str]] = {
    "warning": (0, "预警信息发布", "Public Information and Warning"),
    "evac_order": (0, "群众紧急转移", "Critical Transportation (evacuation)"),
    "incident": (2, "人员搜救", "Mass Search and Rescue Operations"),
    "road_close": (1, "交通抢通保通", "Infrastructure Systems"),
    "isolated": (0, "孤岛街镇保障", "Critical Transportation"),
    "escalate": (1, "分级响应", "Operational Coordination"),
    "aid_request": (0, "跨区域应急联动", "Operational Coordination (mutual aid)"),
    "relief_group": (1, "群众基本生活保障", "Mass Care Services"),
    "relief_calloff": (0, "应急物资调拨", "Logistics and Supply Chain Management"),
    "relief_stockout": (1, "应急物资调拨", "Logistics and Supply Chain Management"),
    "fire_report": (0, "森林火灾扑救", "Fire Management and Suppression"),
    "fire_escaped": (0, "森林火灾扑救", "Fire Management and Suppression"),
}
CAUSES: dict[str, tuple[str, str]] = {
    "storm debris/slip": ("强对流致倒树塌方", "storm debris and slips"),
    "landslide debris": ("滑坡体掩埋", "landslide debris"),
    "earthquake damage": ("地震损毁", "earthquake damage"),
    "hazmat cordon": ("危化品事故警戒封闭", "hazardous-chemical cordon"),
    "flash flood": ("山洪冲毁淹没", "a flash flood"),
}
# causes that carry a name after the kind: "river_flood (长江 Yangtze)", "landslide (S109 ...)"
CAUSE_PREFIXES: dict[str, tuple[str, str]] = {
    "river_flood": ("江河洪水淹没", "river flood water"),
    "river flood": ("江河洪水淹没", "river flood water"),
    "geo_hazard": ("地质灾害", "a slope failure"),
    "chemical": ("危化品泄漏警戒封闭", "a hazardous-chemical cordon"),
    "landslide": ("滑坡", "a landslide"),
    "flood": ("洪水淹没", "flood water"),
}


def cause_name(cause: str) -> tuple[str, str]:
    """A road-closure cause of the event log in words (zh, en)."""
    if cause in CAUSES:
        return CAUSES[cause]
    head, _, rest = cause.partition(" (")
    if not rest and cause.endswith(" flood"):  # a barrier-lake outburst: "<slide> flood"
        return "堰塞湖溃决洪水", "a barrier-lake outburst flood"
    for key, (zh, en) in CAUSE_PREFIXES.items():
        if head.startswith(key):
            name = rest.rstrip(")")
            if not name or name == head:  # "geo_hazard (geo_hazard)": no river name
                return zh, en
            named = bilingual(name)
            return f"{zh}（{named.zh}）", f"{en} ({named.en})"
    return cause, cause


# why a call-off started (layout.depots.*.calloff_trigger, the log's ref): in words
CALLOFF_TRIGGERS: dict[str, tuple[str, str]] = {
    "shortage": ("现有储备不足时触发", "triggered by a shortage"),
    "first_demand": ("首次需求时即触发", "triggered by the first demand"),
}
DANGER: dict[str, tuple[str, str]] = {
    "low": ("低", "low"),
    "moderate": ("中", "moderate"),
    "high": ("高", "high"),
    "extreme": ("极高", "extreme"),
}
EOC = Name("区应急指挥中心（值班室）", "district emergency operations centre (duty desk)")


def _n(zh: str, en: str) -> dict:
    return {"zh": zh, "en": en}


# why the simulated district asked for mutual aid (the aid_request's reason): what the
# synopsis says, and what the status board shows the players ({waiting}: incidents open)
AID_REASONS: dict[str, tuple[dict, dict]] = {
    "waiting": (
        _n(
            "本地队伍全部出动，仍有{waiting}起事件等待",
            "Local teams all committed with {waiting} incidents waiting",
        ),
        _n(
            "当前仍有{waiting}起救援请求无队伍可派。",
            "{waiting} rescue requests have no team available.",
        ),
    ),
    "capability": (
        _n(
            "一起事件需要本地队伍不具备的专业能力",
            "An incident needs a capability no local team has",
        ),
        _n(
            "一起救援请求需要本地没有的专业队伍。",
            "A rescue request needs a specialist team the district does not have.",
        ),
    ),
    "unreachable": (
        _n("一起事件的地点本地队伍无法到达", "No local team can reach an incident's location"),
        _n(
            "一起救援请求的地点道路不通，本地队伍无法到达。",
            "A rescue request comes from a place no local team can reach.",
        ),
    ),
    "late": (
        _n(
            "派出的本地队伍将在被困人员生存时限之后才能到达",
            "The local team sent will arrive only after the trapped people's survival window",
        ),
        _n(
            "派出的队伍预计在被困人员生存时限之后才能到达现场。",
            "The team on its way is expected on scene only after the trapped people's survival window.",
        ),
    ),
}


# A clock time in an inject's text, counted from the inject's release: the MSEL shows it at
# the scheduled time, a player's card at the time the inject was actually released (early,
# late or on time), so that no card tells players the schedule. ``{release}`` is the release
# itself, ``{release+45.0}`` 45 minutes after it (with the date when it falls on another
# day), ``|full`` always with the date.
_AT = re.compile(r"\{release(?P<off>[+-]\d+(?:\.\d+)?)?(?P<full>\|full)?\}")
_BLANK = {"zh": ("____", "____（发布后{m}）"), "en": ("____", "____ ({m} after release)")}


def at_release(offset_min: float = 0.0, full: bool = False) -> str:
    """The placeholder of the clock time ``offset_min`` after an inject's release."""
    off = round(float(offset_min), 3)
    return "{release" + (f"{off:+}" if off else "") + ("|full" if full else "") + "}"


def fill_times(text: str, released: dt.datetime) -> str:
    """``text`` with its release-time placeholders filled in for a release at ``released``."""

    def one(m: re.Match) -> str:
        when = released + dt.timedelta(minutes=float(m["off"] or 0.0))
        if m["full"] or when.date() != released.date():
            return when.strftime("%Y-%m-%d %H:%M")
        return when.strftime("%H:%M")

    return _AT.sub(one, text)


def blank_times(text: str, lang: str) -> str:
    """``text`` with its release-time placeholders as blanks to write in by hand (a printed
    card, before anyone knows when it will be released)."""
    now, later = _BLANK[lang]

    def one(m: re.Match) -> str:
        off = float(m["off"] or 0.0)
        return later.format(m=fmt_minutes(off)[lang == "en"]) if off else now

    return _AT.sub(one, text)


ROAD_REOPEN_LINE = "004 L247"  # 快速抢通保通能力: what the layouts' repair crews cite


@dataclass
class DrillClock:
    """Scenario minute -> wall-clock time of the drawn drill date and start hour."""

    start: dt.datetime  # clock time at scenario minute 0
    startex_t: float  # scenario minute of the first alarm (STARTEX)

    @property
    def startex(self) -> dt.datetime:
        """The clock time of STARTEX (a whole minute in packages from
        :func:`sim.drill.package.drill_clock_of`)."""
        return self.start + dt.timedelta(minutes=self.startex_t)

    def at(self, t: float) -> dt.datetime:
        """The clock time of scenario minute ``t``: STARTEX plus its drill minutes, the very
        value ``T+`` is read from (so that clock - STARTEX is T+)."""
        return self.startex + dt.timedelta(minutes=float(t) - self.startex_t)

    def clock(self, t: float) -> str:
        return self.at(t).strftime("%Y-%m-%d %H:%M")

    def hhmm(self, t: float) -> str:
        return self.at(t).strftime("%H:%M")


class MselBuilder:
    """Selects the injects of a drill from one event log and writes each one out."""

    def __init__(self, events: pd.DataFrame, namer: Namer, rows: pd.DataFrame) -> None:
        self.ev = events.reset_index(drop=True)
        self.nm = namer
        self.rows = rows  # measure_rows of this replication (what the simulation expects here)

    # ------------------------------------------------------------------ selection
    def candidates(self) -> pd.DataFrame:
        """Rows of the log that become injects, with their priority."""
        ev = self.ev
        pick = ev[ev.event.isin(KINDS)].copy()
        # one stock-out inject per depot (it lists the items out then), one escalation per incident
        first = ~pick.duplicated(subset=["event", "entity", "info"], keep="first")
        first &= ~(
            pick.event.isin(["escalate", "relief_stockout"]) & pick.duplicated(["event", "entity"])
        )
        pick = pick[first]
        restates = (pick.event == "warning") & pick.ref.astype(str).str.endswith("evacuation order")
        pick = pick[~restates]
        # relief: the first group to reach each shelter (the cue that basic needs are due);
        # a move between shelters (its group has a relief_transfer_in row: its needs were met
        # where it came from, and are carried over) is no arrival: it repeated the first
        # arrivals' "please supply" text twelve hours later, scored as a gap
        moved = set(ev.loc[ev.event == "relief_transfer_in", "entity"].astype(str))
        pick = pick[~((pick.event == "relief_group") & pick.entity.astype(str).isin(moved))]
        grp = pick.event == "relief_group"
        dup_shelter = pick[grp].duplicated(subset=["ref"], keep="first")
        pick = pick.drop(dup_shelter[dup_shelter].index)
        pick["priority"] = [KINDS[e][0] for e in pick.event]
        # bigger incidents first among incidents
        pick["size"] = pick.qty.where(pick.event == "incident", 0.0)
        return pick

    def select(self, window_min: float, max_injects: int) -> pd.DataFrame:
        """The injects: from the first alarm, within the window, most important first."""
        cand = self.candidates()
        if cand.empty:
            return cand
        t0 = float(cand.t.min())
        cand = cand[cand.t <= t0 + window_min]
        first = cand.sort_values(["t", "priority"]).head(1)
        rest = cand.drop(first.index).sort_values(
            ["priority", "size", "t"], ascending=[True, False, True], kind="stable"
        )
        # round robin over kinds (most important kind first) so that one kind of event
        # (eight towns cut off at once) cannot crowd the others out of the MSEL
        queues = [list(g.index) for _, g in rest.groupby("event", sort=False)]
        order: list = []
        while queues and len(order) < max_injects - 1:
            for q in queues:
                if q and len(order) < max_injects - 1:
                    order.append(q.pop(0))
            queues = [q for q in queues if q]
        keep = pd.concat([first, rest.loc[order]])
        # time order; at equal times the log's order (a road closes before a town is cut off)
        return keep.assign(_row=keep.index).sort_values(["t", "_row"], kind="stable")

    # ------------------------------------------------------------------ expected values
    def sim_value(self, measure: str, key: str, t: float) -> float | None:
        r = self.rows[(self.rows.measure == measure) & (self.rows.key == key)]
        r = r[(r.t - t).abs() < 1e-6] if len(r) > 1 else r
        if r.empty:
            return None
        v = float(r.value.iloc[0])
        return v if math.isfinite(v) else None

    def _dispatched(self, event: str, ref: str) -> list[tuple[str, str, str]]:
        """(team id, tier, node) of the teams the simulation sent to ``ref``."""
        d = self.ev[(self.ev.event == event) & (self.ev.ref == ref)]
        return list(zip(d.entity, d["info"], d.node, strict=True))

    # ------------------------------------------------------------------ one inject
    def inject(self, row: pd.Series, clock: DrillClock) -> dict:
        """One MSEL row (without sequence number) for log row ``row``."""
        kind = row.event
        _, cap_zh, cap_en = KINDS[kind]
        write = getattr(self, f"_w_{kind}")
        body = local_words(write(row, clock), district_word(self.nm.cfg.district.name_zh))
        # the player's card: times counted from the release; the MSEL: at the scheduled time
        body["player_text"] = dict(body["inject"])
        at = clock.at(float(row.t))
        body["inject"] = {k: fill_times(v, at) for k, v in body["inject"].items()}
        node = str(row.node) if str(row.node) else str(row.entity)
        if kind in ("warning", "evac_order") or node not in self.nm.net.index:
            node = self.nm.cfg.district.seat or node  # district-wide: the seat speaks for it
        place = self.nm.node(self.nm.town_of(node))
        return {
            "kind": kind,
            "t_min": round(float(row.t), 3),
            "scenario_time": t_plus(float(row.t) - clock.startex_t),
            "clock": clock.clock(float(row.t)),
            "place": {"node": node, "zh": place.zh, "en": place.en},
            "capability": _n(cap_zh, cap_en),
            "source_event": {
                "t": round(float(row.t), 6),
                "event": kind,
                "entity": str(row.entity),
                "node": str(row.node),
            },
            **body,
        }

    def _action(
        self,
        aid: str,
        zh: str,
        en: str,
        who: str,
        source: str,
        measure: str,
        key: str,
        t: float,
        sub: str = "",
        standard: dict | None = None,
    ) -> dict:
        return {
            "id": aid,
            "zh": zh,
            "en": en,
            "who": who,
            "plan_source": source,
            "measure": measure,
            "sub": sub,
            "key": key,
            "sim_min": self.sim_value(measure, key, t) if measure else None,
            "standard": standard,
        }

    def _w_warning(self, row, clock):
        n_towns = str(row["info"]).split()[0]
        lead = float(row.qty)
        t_hit = float(row.t) + lead
        same_day = clock.clock(t_hit)[:10] == clock.clock(float(row.t))[:10]
        impact = clock.hhmm(t_hit) if same_day else clock.clock(t_hit)  # (the synopsis)
        hit = at_release(lead)  # (the inject: counted from its release)
        d = self.nm.district()
        level = str(row.ref)
        convective = level == SEVERE_CONVECTION
        if convective:  # the plans' 45-minute standard is for severe convection only
            who = _n("区气象台", "district weather office")
            what = _n(
                f"预计{hit}起全区将出现雷暴大风、短时强降水等强对流天气，影响{n_towns}个街镇，请做好防范。",
                f"Thunderstorms with gales and intense short-duration rain expected from {hit}, "
                f"affecting {n_towns} towns/streets. Take precautions.",
            )
            syn = _n("强对流天气预警", "severe-convection warning")
        elif level.startswith("river flood"):
            river = bilingual(level.removeprefix("river flood").strip())
            who = _n("区水利局（水文站）", "district water bureau (hydrological station)")
            what = _n(
                f"{river.zh}将出现超警戒洪水，预计{hit}前后洪峰影响{n_towns}个街镇，请做好防范和转移准备。",
                f"{river.en} will rise above the warning stage; the crest reaches {n_towns} towns "
                f"about {hit}. Prepare to move people.",
            )
            syn = _n(f"{river.zh}洪水预警", f"flood warning on {river.en}")
        else:  # a barrier lake behind a landslide, or another hazard's warning
            town = self.nm.node(self.nm.town_of(str(row.node))) if str(row.node) else d
            who = _n(
                "区规划自然资源局（群测群防员）",
                "district natural-resources bureau (hazard monitor)",
            )
            what = _n(
                f"{town.zh}一带滑坡堵塞河道形成堰塞湖，预计{hit}前后淹没下游道路和房屋。",
                f"A landslide has dammed a stream near {town.en}; the water is expected to flood "
                f"roads and houses downstream about {hit}.",
            )
            syn = _n("地质灾害（堰塞湖）预警", "geo-hazard (barrier lake) warning")
        return {
            "synopsis": _n(
                f"{who['zh']}发布{syn['zh']}，影响{n_towns}个街镇，预计{impact}前后开始影响，提前量{lead:.0f}分钟。",
                f"The {who['en']} issues a {syn['en']} for {n_towns} towns, impact from about "
                f"{impact}: {lead:.0f} min of lead time.",
            ),
            "inject": _n(
                f"【{d.zh}{who['zh'].removeprefix('区')}】{what['zh']}",  # 北碚区气象台, not 北碚区区
                f"[{d.en} {who['en']}] {what['en']}",
            ),
            "from": _n(f"{who['zh']}（导调组模拟）", f"{who['en']} (played by control)"),
            "to": _n(EOC.zh, EOC.en),
            "method": _n("预警信息发布平台短信 + 电话", "warning-platform SMS + phone call"),
            "expected": [
                self._action(
                    "A",
                    "立即向受影响街镇、村（社区）转发预警，通知队伍备勤",
                    "Pass the warning to every affected town and village at once; put teams on standby",
                    "district EOC",
                    "",
                    "warning_relay",
                    str(row.entity),
                    float(row.t),
                    standard={"kind": "lead", "lead_min": lead} if convective else None,
                )
            ],
            "evaluator_notes": _n(
                "记录收到预警时刻与各街镇确认收到时刻；预警提前量被转发耗时消耗。",
                "Record when the warning arrives and when each town confirms it; relay time "
                "eats into the lead time.",
            ),
        }

    def _w_incident(self, row, clock):
        town = self.nm.node(row.node)
        kind = self.nm.incident_kind(str(row["info"]))
        people = int(row.qty)
        teams = self._dispatched("dispatch", str(row.entity))
        t = float(row.t)
        acts = []
        if teams:
            tid, tier, home = teams[0]
            name, tier, src = self.nm.team(tid, tier)
            base = self.nm.node(home)
            more = f"（共{len(teams)}支）" if len(teams) > 1 else ""
            more_en = f" ({len(teams)} teams in all)" if len(teams) > 1 else ""
            acts.append(
                self._action(
                    "A",
                    f"派出{name.zh}（驻{base.zh}）赶赴{town.zh}{more}",
                    f"Send {name.en} (based at {base.en}) to {town.en}{more_en}",
                    tier,
                    src,
                    "first_depart",
                    str(row.entity),
                    t,
                    sub=str(row["info"]),
                )
            )
        else:
            acts.append(
                self._action(
                    "A",
                    f"调派具备相应能力的队伍赶赴{town.zh}（模拟中无可派队伍）",
                    f"Find a capable team for {town.en} (none was free in the simulation)",
                    "",
                    "",
                    "first_depart",
                    str(row.entity),
                    t,
                    sub=str(row["info"]),
                )
            )
        acts.append(
            self._action(
                "B",
                f"首支队伍到达{town.zh}现场并回报",
                f"First team reports on scene at {town.en}",
                acts[0]["who"],
                acts[0]["plan_source"],
                "first_arrival",
                str(row.entity),
                t,
                sub=str(row["info"]),
            )
        )
        return {
            "synopsis": _n(
                f"{town.zh}发生{kind.zh}，约{people}人需救援。",
                f"{kind.en.capitalize()} at {town.en}: about {people} people need rescue.",
            ),
            "inject": _n(
                f"【119/110联动指挥中心】{at_release()}接报：{town.zh}{kind.zh}，约{people}人，请求救援。",
                f"[119/110 joint command centre] {at_release()} call received: {kind.en} at "
                f"{town.en}, about {people} people, rescue requested.",
            ),
            "from": _n(
                "119/110联动指挥中心（导调组模拟）", "119/110 command centre (played by control)"
            ),
            "to": _n(EOC.zh, EOC.en),
            "method": _n("电话", "phone call"),
            "expected": acts,
            "evaluator_notes": _n(
                "记录下达调派指令时刻、所派队伍层级（属地先行还是区级）、队伍出发与到场回报时刻。",
                "Record the dispatch order time, the tier sent (local first or district), and "
                "the times the team reports leaving and on scene.",
            ),
        }

    def _w_road_close(self, row, clock):
        road = self.nm.road(str(row.entity))
        cause = cause_name(str(row.ref))
        t = float(row.t)
        crews = self._dispatched("repair_dispatch", str(row.entity))
        acts = []
        if crews:
            cid, _, base = crews[0]
            name, tier, src = self.nm.team(cid, "repair")
            b = self.nm.node(base)
            acts.append(
                self._action(
                    "A",
                    f"派出{name.zh}（驻{b.zh}）抢通{road.zh}",
                    f"Send {name.en} (based at {b.en}) to clear {road.en}",
                    tier,
                    src,
                    "repair_on_site",
                    str(row.entity),
                    t,
                    sub=str(row.ref),
                )
            )
        acts.append(
            self._action(
                "B" if acts else "A",
                f"{road.zh}恢复通行，通报各队伍调整路线",
                f"{road.en} reopened; teams told to change routes",
                "district EOC",
                self._reopen_source(crews),
                "road_reopen",
                str(row.entity),
                t,
                sub=str(row.ref),
            )
        )
        town = self.nm.node(row.node)
        return {
            "synopsis": _n(f"{road.zh}因{cause[0]}中断。", f"{road.en} closed by {cause[1]}."),
            "inject": _n(
                f"【{town.zh}/区交通运输局】{road.zh}因{cause[0]}中断，车辆无法通行。",
                f"[{town.en} / district transport bureau] {road.en} is blocked by {cause[1]}; "
                "no vehicle can pass.",
            ),
            "from": _n(
                f"{town.zh}政府、区交通运输局（导调组模拟）",
                f"{town.en} government, transport bureau (played by control)",
            ),
            "to": _n(EOC.zh, EOC.en),
            "method": _n("电话 + 现场照片", "phone call + photo from the scene"),
            "expected": acts,
            "evaluator_notes": _n(
                "记录抢通指令时刻、抢通队伍到场时刻，以及是否通知在途队伍绕行。",
                "Record the repair order, the crew's arrival on site, and whether teams on the "
                "way were rerouted.",
            ),
        }

    def _w_isolated(self, row, clock):
        town = self.nm.node(row.entity)
        pop = int(row.qty)
        t = float(row.t)
        std = self.nm_standard("relief_stock_min_town_people")
        acts = [
            self._action(
                "A",
                f"启用{town.zh}本地储备物资，安排水路或空中通道",
                f"Use {town.en}'s local stock; arrange access by water or air",
                "town",
                std["source"] if std else "",
                "isolation",
                str(row.entity),
                t,
                standard=(
                    {"kind": "people", "min_people": std["threshold"], "source": std["source"]}
                    if std
                    else None
                ),
            )
        ]
        return {
            "synopsis": _n(
                f"{town.zh}所有道路中断，成为孤岛（人口{pop}）。",
                f"{town.en} is cut off: no open road from the district seat or a depot "
                f"(population {pop}).",
            ),
            "inject": _n(
                f"【{town.zh}政府】通往本镇（街道）的道路全部中断，与外界陆路联系已断。",
                f"[{town.en} government] Every road into the town is cut; we have no road "
                "link to the outside.",
            ),
            "from": _n(f"{town.zh}政府（导调组模拟）", f"{town.en} government (played by control)"),
            "to": _n(EOC.zh, EOC.en),
            "method": _n("卫星电话 / 应急广播", "satellite phone / emergency radio"),
            "expected": acts,
            "evaluator_notes": _n(
                "核实该镇本地储备可保障多少人（标准见下）；记录水路/空中通道启用时刻"
                "（无模拟基准：模拟未记录水路/空中通道启用时刻，其孤立至恢复连通时间是道路抢通）。",
                "Check how many people the town's own stock covers (standard below); record "
                "when water or air access starts (no simulated benchmark for it: the "
                "simulation logs no start of water or air access, and its time from cut off "
                "to reconnected is the roads' reopening).",
            ),
        }

    def _reopen_source(self, crews: list) -> str:
        """The plan line of a road's reopening: 004 L247 (提高因灾毁道路...快速抢通保通能力),
        where the layout's repair crews (the one sent, else any) cite it; else none (the
        review said "not in the plan" for a row its own crews' line covers)."""
        rep = self.nm.cfg.layout.repair
        if crews:
            srcs = [self.nm.team(crews[0][0], "repair")[2]]
        else:
            srcs = [c.source for c in rep.crews.values()] if rep is not None else []
        parts = {p.strip() for src in srcs for p in str(src).split(";")}
        return ROAD_REOPEN_LINE if ROAD_REOPEN_LINE in parts else ""

    def nm_standard(self, metric: str) -> dict | None:
        """The district's plan target on ``metric`` (threshold and seed line), if any."""
        for t in self.nm.cfg.district.targets.values():
            if t.metric == metric:
                return {"threshold": float(t.threshold), "source": t.source}
        return None

    def _w_escalate(self, row, clock):
        town = self.nm.node(row.node)
        level = int(row.qty)
        # the incident by when its alarm came (its id is the simulation's, not a name)
        alarm = self.ev[(self.ev.event == "incident") & (self.ev.entity == row.entity)]
        when = clock.clock(float(alarm.t.iloc[0])) if len(alarm) else ""
        since_zh = f"{when}接报的" if when else ""
        since_en = f" (alarm at {when})" if when else ""
        return {
            "synopsis": _n(
                f"{town.zh}{since_zh}救援事件长时间无队伍到场，响应升级至第{level}级。",
                f"The rescue at {town.en}{since_en} is still unanswered: response raised to "
                f"level {level}.",
            ),
            "inject": _n(
                f"【{town.zh}现场】被困群众仍未获救，请求上级增派力量。",
                f"[{town.en}, on scene] The trapped people are still waiting; we ask for more forces.",
            ),
            "from": _n(f"{town.zh}现场（导调组模拟）", f"{town.en} scene (played by control)"),
            "to": _n(EOC.zh, EOC.en),
            "method": _n("电话", "phone call"),
            "expected": [
                self._action(
                    "A",
                    "启动上一级响应，增派更高层级队伍",
                    "Raise the response level; send a higher-tier team",
                    "district EOC",
                    "",
                    "first_arrival",
                    str(row.entity),
                    float(row.t),
                )
            ],
            "evaluator_notes": _n(
                "记录升级决定时刻与增派队伍。", "Record the escalation decision and the team added."
            ),
        }

    def _w_aid_request(self, row, clock):
        key = str(row.entity)
        name, tier, src = self.nm.team(key, "regional")
        n = int(row.qty)
        waiting = self._waiting(float(row.t))
        why, board = AID_REASONS.get(str(row.ref), AID_REASONS["waiting"])
        return {
            "synopsis": _n(
                f"{why['zh'].format(waiting=waiting)}；模拟中此刻请求{name.zh}支援{n}支队伍。",
                f"{why['en'].format(waiting=waiting)}; in the simulation the district asks "
                f"{name.en} for {n} team(s) now.",
            ),
            "inject": _n(
                f"【区应急指挥中心态势图】{board['zh'].format(waiting=waiting)}",
                f"[District EOC status board] {board['en'].format(waiting=waiting)}",
            ),
            "from": _n("态势通报（导调组）", "status update (control)"),
            "to": _n(EOC.zh, EOC.en),
            "method": _n("态势图 / 书面通报", "status board / written note"),
            "expected": [
                self._action(
                    "A",
                    f"向{name.zh}请求跨区域支援（{src or '预案'}）",
                    f"Request mutual aid from {name.en} ({src or 'plan'})",
                    tier,
                    src,
                    "aid_arrival",
                    key,
                    float(row.t),
                )
            ],
            "evaluator_notes": _n(
                "记录请求支援的时刻、对象和内容（队伍类型、数量、集结地）。",
                "Record when aid is requested, from whom, and what (team type, number, staging point).",
            ),
        }

    def _waiting(self, t: float) -> int:
        ev = self.ev[self.ev.t <= t]
        alarmed = set(ev[ev.event == "incident"].entity)
        reached = set(ev[ev.event == "arrive"].ref)
        return len(alarmed - reached)

    def _w_relief_group(self, row, clock):
        shelter = str(row.ref)
        town = self.nm.node(row.node)
        site = self.nm.shelter(shelter, str(row.node))
        people = int(row.qty)
        std = self.nm_standard("needs_met_24h_share")
        standard = {"kind": "limit", "limit_min": 1440.0, "source": std["source"]} if std else None
        return {
            "synopsis": _n(
                f"首批{people}名转移群众到达{site.zh}，需要食品、饮用水、被褥。",
                f"The first {people} evacuees reach the {site.en}; they need food, water and "
                "bedding.",
            ),
            "inject": _n(
                f"【{town.zh}安置点】已接收转移群众{people}人，急需食品、饮用水和被褥。",
                f"[{town.en} shelter] {people} evacuees received; food, drinking water and bedding urgently needed.",
            ),
            "from": _n(
                f"{town.zh}安置点负责人（导调组模拟）",
                f"{town.en} shelter manager (played by control)",
            ),
            "to": _n(EOC.zh, EOC.en),
            "method": _n("电话", "phone call"),
            "expected": [
                self._action(
                    "A",
                    *self._relief_source(shelter, float(row.t), town),
                    "relief",
                    self._relief_plan_line(shelter, float(row.t), std),
                    "needs_met",
                    str(row.entity),
                    float(row.t),
                    standard=standard,
                )
            ],
            "evaluator_notes": _n(
                "记录物资调拨指令与送达安置点时刻；受灾群众基本生活应在24小时内得到救助（如预案有此标准）。",
                "Record the relief order and delivery at the shelter; basic needs within 24 h where the plan sets it.",
            ),
        }

    def _first_dispatch(self, shelter: str, t: float) -> tuple[str, str] | None:
        """(vehicle, depot key) of the first relief trip the simulation sent to ``shelter``."""
        d = self.ev[(self.ev.event == "relief_dispatch") & (self.ev.ref == shelter)]
        d = d[d.t >= t - 1e-6]
        return None if d.empty else (str(d.entity.iloc[0]), str(d["info"].iloc[0]))

    def _relief_source(self, shelter: str, t: float, town: Name) -> tuple[str, str]:
        hit = self._first_dispatch(shelter, t)
        if hit is None:
            return (
                f"保障{town.zh}安置点群众基本生活（模拟中由安置点现有物资保障）",
                f"Meet the basic needs of the people at {town.en} (in the simulation the "
                "shelter's own stock sufficed)",
            )
        veh, depot = hit
        name, _ = self.nm.depot(depot)
        car = self.nm.vehicle(veh)
        return (
            f"从{name.zh}调派{car.zh}运送救灾物资至{town.zh}安置点",
            f"Send relief from {name.en} with {car.en} to the shelter at {town.en}",
        )

    def _relief_plan_line(self, shelter: str, t: float, std: dict | None) -> str:
        hit = self._first_dispatch(shelter, t)
        lines = [self.nm.depot(hit[1])[1]] if hit else []
        if std and not any(std["source"] in x for x in lines):
            lines.append(std["source"])
        return "; ".join(x for x in dict.fromkeys(lines) if x)

    def _w_relief_calloff(self, row, clock):
        name, src = self.nm.depot(str(row.entity))
        trigger = CALLOFF_TRIGGERS.get(str(row.ref), ("按预案触发", "as the plan sets"))
        return {
            "synopsis": _n(
                f"储备不足，模拟中此刻启动{name.zh}的协议调拨（{trigger[0]}）。",
                f"Stock falls short: in the simulation the call-off from {name.en} starts now "
                f"({trigger[1]}).",
            ),
            "inject": _n(
                "【区应急管理局物资科】现有储备不足以满足安置点需求。",
                "[District relief section] The stock on hand cannot meet the shelters' needs.",
            ),
            "from": _n(
                "区应急管理局物资科（导调组模拟）", "district relief section (played by control)"
            ),
            "to": _n(EOC.zh, EOC.en),
            "method": _n("书面报告", "written report"),
            "expected": [
                self._action(
                    "A",
                    f"启动{name.zh}协议供应（{src or '预案'}）",
                    f"Call off supplies from {name.en} ({src or 'plan'})",
                    "relief",
                    src,
                    "",
                    str(row.entity),
                    float(row.t),
                )
            ],
            "evaluator_notes": _n(
                "记录调拨指令时刻与协议单位确认时刻。",
                "Record the call-off order and the supplier's confirmation.",
            ),
        }

    def _w_relief_stockout(self, row, clock):
        name, src = self.nm.depot(str(row.entity))
        same = self.ev[
            (self.ev.event == "relief_stockout")
            & (self.ev.entity == row.entity)
            & ((self.ev.t - float(row.t)).abs() < 1.0)
        ]
        items = [self.nm.item(str(i)) for i in dict.fromkeys(same["info"])]
        item = Name("、".join(i.zh for i in items), ", ".join(i.en for i in items))
        return {
            "synopsis": _n(f"{name.zh}{item.zh}已发完。", f"{name.en} has run out of {item.en}."),
            "inject": _n(
                f"【{name.zh}】{item.zh}库存告罄，无法继续装车。",
                f"[{name.en}] Out of {item.en}; trucks cannot be loaded.",
            ),
            "from": _n(f"{name.zh}（导调组模拟）", f"{name.en} (played by control)"),
            "to": _n(EOC.zh, EOC.en),
            "method": _n("电话", "phone call"),
            "expected": [
                self._action(
                    "A",
                    *self._restock(str(row.entity), float(row.t), item),
                    "relief",
                    src,
                    "",
                    str(row.entity),
                    float(row.t),
                )
            ]
            if self._restock_source(str(row.entity), float(row.t))
            else [
                self._action(
                    "A",
                    f"从其他储备点或协议企业调配{item.zh}",
                    f"Obtain {item.en} from another depot or an agreement supplier",
                    "relief",
                    src,
                    "",
                    str(row.entity),
                    float(row.t),
                )
            ],
            "evaluator_notes": _n(
                "记录替代货源与调配时刻。", "Record the alternative source and when it was ordered."
            ),
        }

    def _restock_source(self, depot: str, t: float) -> str:
        """The depot or supplier that refilled ``depot`` after ``t`` in the simulation."""
        ev = self.ev[self.ev.t >= t]
        rep = ev[(ev.event == "relief_replenish") & (ev.entity == depot)]
        if len(rep):
            return str(rep.ref.iloc[0])
        call = ev[ev.event == "relief_calloff"]
        return str(call.entity.iloc[0]) if len(call) else ""

    def _restock(self, depot: str, t: float, item: Name) -> tuple[str, str]:
        src, _ = self.nm.depot(self._restock_source(depot, t))
        return f"从{src.zh}补充{item.zh}", f"Restock {item.en} from {src.en}"

    def _w_evac_order(self, row, clock):
        people = int(row.qty)
        at_risk = self.ev[(self.ev.event == "at_risk") & (self.ev.ref == row.entity)]
        towns = [self.nm.node(n) for n in dict.fromkeys(at_risk.entity)]
        zh = "、".join(x.zh for x in towns) or "相关街镇"
        en = ", ".join(x.en for x in towns) or "the towns concerned"
        impact = at_risk["info"].astype(float).min() if len(at_risk) else float(row.t)
        hit = at_release(impact - float(row.t), full=True)  # (the inject: from its release)
        zone = self.nm.cfg.scenario.evacuation
        plan = None
        if zone is not None and zone.district in zone.zones:
            z = zone.zones[zone.district]
            if z.plan_people:
                plan = {"kind": "people", "min_people": float(z.plan_people), "source": z.source}
        return {
            "synopsis": _n(
                f"预计{clock.clock(impact)}起{zh}受淹/受灾，{people}人需紧急转移。",
                f"Impact expected from {clock.clock(impact)} at {en}: {people} people must be moved.",
            ),
            "inject": _n(
                f"【区防汛抗旱（地灾）指挥部】预计{hit}起{zh}将受影响，"
                f"请立即组织约{people}名群众紧急转移。",
                f"[District flood/geo-hazard HQ] {en} will be hit from {hit}; "
                f"move about {people} people now.",
            ),
            "from": _n("区防汛抗旱指挥部（导调组模拟）", "district flood HQ (played by control)"),
            "to": _n(EOC.zh, EOC.en),
            "method": _n("指挥部通知 + 电话", "HQ order + phone call"),
            "expected": [
                self._action(
                    "A",
                    "下达转移令，通过广播、短信、网格员入户通知，组织车辆转运、开放安置点",
                    "Issue the order; warn by broadcast, SMS and grid workers; send buses; open shelters",
                    "district EOC",
                    plan["source"] if plan else "",
                    "evac_sheltered_90",
                    str(row.entity),
                    float(row.t),
                    standard=plan,
                )
            ],
            "evaluator_notes": _n(
                "记录转移令、首批到达安置点、90%群众安置的时刻。",
                "Record the order, first arrivals at shelters and 90% sheltered.",
            ),
        }

    def _w_fire_report(self, row, clock):
        zone = self.nm.node(row.node)
        danger = DANGER.get(str(row.ref), (str(row.ref), str(row.ref)))
        t = float(row.t)
        teams = self._dispatched("fire_dispatch", str(row.entity))
        std = self.nm_standard("fires_out_24h_share")
        acts = []
        if teams:
            tid, tier, home = teams[0]
            name, tier, src = self.nm.team(tid, tier)
            b = self.nm.node(home)
            acts.append(
                self._action(
                    "A",
                    f"派出{name.zh}（驻{b.zh}）等{len(teams)}支队伍扑救",
                    f"Send {name.en} (based at {b.en}) and {len(teams) - 1} more team(s)",
                    tier,
                    src,
                    "fire_first_arrival",
                    str(row.entity),
                    t,
                    sub=str(row.ref),
                )
            )
        acts.append(
            self._action(
                "B" if acts else "A",
                "火场明火扑灭并回报",
                "Fire out, reported",
                "fire",
                std["source"] if std else "",
                "fire_out",
                str(row.entity),
                t,
                sub=str(row.ref),
                standard=(
                    {"kind": "limit", "limit_min": 1440.0, "source": std["source"]} if std else None
                ),
            )
        )
        return {
            "synopsis": _n(
                f"{zone.zh}发生森林火灾（{danger[0]}火险等级）。",
                f"Forest fire in {zone.en} ({danger[1]} fire danger).",
            ),
            "inject": _n(
                f"【护林员/林火视频监控】{at_release()}发现{zone.zh}有烟火。",
                f"[Forest ranger / fire camera] {at_release()} smoke and flames seen in {zone.en}.",
            ),
            "from": _n(
                "护林员 / 林火监控中心（导调组模拟）",
                "forest ranger / fire watch (played by control)",
            ),
            "to": _n("区森林防灭火指挥部", "district forest-fire HQ"),
            "method": _n("电话 + 监控画面", "phone call + camera picture"),
            "expected": acts,
            "evaluator_notes": _n(
                "记录调派扑火队伍、到场、控制与扑灭时刻。",
                "Record dispatch, arrival, containment and fire out.",
            ),
        }

    def _w_fire_escaped(self, row, clock):
        zone = self.nm.node(row.node)
        area = float(row.qty)
        return {
            "synopsis": _n(
                f"{zone.zh}火场失控扩大（约{area:.0f}公顷）。",
                f"The fire in {zone.en} escapes initial attack (about {area:.0f} ha).",
            ),
            "inject": _n(
                f"【{zone.zh}前线指挥部】火势突破控制线，现有力量无法控制。",
                f"[{zone.en} fire line] The fire has crossed the line; we cannot hold it.",
            ),
            "from": _n("火场前线指挥部（导调组模拟）", "fire-line command (played by control)"),
            "to": _n("区森林防灭火指挥部", "district forest-fire HQ"),
            "method": _n("电台", "radio"),
            "expected": [
                self._action(
                    "A",
                    "扩大响应，请求增援，组织周边群众转移",
                    "Raise the response, ask for reinforcements, move nearby residents",
                    "fire",
                    "",
                    "fire_out",
                    str(row.entity),
                    float(row.t),
                )
            ],
            "evaluator_notes": _n(
                "记录扩大响应与增援请求时刻。",
                "Record the escalation and the request for reinforcements.",
            ),
        }


# What players are told by a "slower" contingency: only what they already know - the card
# they received and when - never the expected action, its team or where it comes from
# (which would give the simulated answer away). ``{card}`` and ``{received}`` are the
# number and release time of that inject's card, filled in when the contingency is released.
CONTINGENCY_PLAYER = {
    "zh": "【市应急管理局】请立即报告你们对第{card}号信息卡（{received}收到）所报情况的处置进展；"
    "尚未处置完毕的，说明原因。",
    "en": "[Municipal emergency bureau] Report now on what you have done about the situation "
    "on card {card} (received {received}); if it is not dealt with yet, say why.",
}


def contingencies(
    inj: dict, next_same_place: dict | None, clock: DrillClock, end_min: float
) -> list[dict]:
    """Contingency injects for players slower or faster than expected (HSEEP).

    A "slower" contingency is due ``after_min`` after its inject; on the drill clock (minutes
    from STARTEX, the inject released on time) that is ``at_min``. One due after the end of
    the window (``end_min``, ENDEX) is dropped and a note says so: a prompt brought forward
    to ENDEX would press players who are still within the benchmark.
    """
    out = []
    for a in inj["expected"]:
        slower = _slower_after(a)
        if slower is None:
            continue
        when, basis = slower
        at = float(inj["t_min"]) - clock.startex_t + when
        if at > end_min + 1e-9:
            out.append(_dropped(a, when, at, end_min))
            continue
        wz, we = fmt_minutes(when)
        out.append(
            {
                "for": a["id"],
                "when": "slower",
                "after_min": round(float(when), 1),
                "at_min": round(at, 1),
                "basis": basis,
                "clock": clock.clock(float(inj["t_min"]) + when),
                "zh": f"若{wz}（{basis['zh']}）内未完成“{a['zh']}”：由上级（市应急管理局）来电询问进展并要求说明原因；记录为未达到基准。",
                "en": f"If '{a['en']}' is not done within {we} ({basis['en']}): the municipal "
                "emergency bureau calls to ask for progress and reasons; record as not meeting "
                "the benchmark.",
                "player": dict(CONTINGENCY_PLAYER),
            }
        )
    if next_same_place is not None:
        out.append(
            {
                "for": "",
                "when": "faster",
                "after_min": None,
                "zh": f"若参演人员提前完成全部预期行动：可提前发布第{next_same_place['seq']}号注入（同一地点的下一事件）。",
                "en": f"If players finish every expected action early: release inject "
                f"#{next_same_place['seq']} (the next event at the same place) now.",
            }
        )
    return out


def _slower_after(action: dict) -> tuple[float, dict] | None:
    """Minutes after its inject at which an action counts as late, and what says so (zh,
    en): the plan's limit, else the simulated P90, else - where more than 10% of the
    simulated outcomes never came, so the P90 is "never" - the P90 of those that came.
    None (no contingency) without any of them: the drill's own simulated time is one draw,
    not a benchmark, and would press players who are on time half the time."""
    std = action.get("standard") or {}
    limit = std.get("limit_min") if std.get("kind") == "limit" else None
    if limit is not None:
        src = std.get("source", "")
        return limit, {"zh": f"预案时限 {src}".strip(), "en": f"plan limit {src}".strip()}
    b = action.get("benchmark") or {}
    if b.get("p90") is not None:
        return b["p90"], {"zh": "模拟P90", "en": "simulated P90"}
    if b.get("p90_done") is not None:
        never = 100.0 * float(b.get("never_share") or 0.0)
        return b["p90_done"], {
            "zh": f"模拟中按时完成者的P90；{never:.0f}%模拟中未完成",
            "en": f"P90 of the simulated outcomes that came; {never:.0f}% never came",
        }
    return None


def _dropped(action: dict, when: float, at: float, end_min: float) -> dict:
    """The note that replaces a contingency due after ENDEX (no player card: not released)."""
    wz, we = fmt_minutes(when)
    return {
        "for": action["id"],
        "when": "dropped",
        "after_min": None,
        "at_min": round(at, 1),
        "zh": f"不设应变注入：“{action['zh']}”的应变时点（注入后{wz}，{t_plus(at)}）晚于演练结束"
        f"（ENDEX {t_plus(end_min)}）；ENDEX前未完成的，复盘记为“ENDEX前无法评估”，不计为差距。",
        "en": f"No contingency for '{action['en']}': it would be due {we} after the inject "
        f"({t_plus(at)}), after the end of the drill window (ENDEX {t_plus(end_min)}); not done by "
        "ENDEX, it is reviewed as not evaluable before ENDEX, not as a gap.",
    }
