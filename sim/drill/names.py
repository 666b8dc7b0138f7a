"""Bilingual names of the places, roads, teams and depots a drill inject speaks of.

Every name comes from the network file (``name_zh``/``name_en`` of a node, ``name`` of a
road) or from the layout config (team tier, depot level, the plan line in ``source``), so
an inject can never mention a town or road the district does not have.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from sim.config import Config
from sim.core.network import RoadNetwork
from sim.core.streams import unit_id
from sim.relief.stock import LOCAL_LEVELS

# tier -> (zh, en): rescue tiers of the plans (sim/config/teams.py), forest-fire tiers
# (sim/config/fire.py), mutual-aid centres, repair crews
TIER_LABELS: dict[str, tuple[str, str]] = {
    "village": ("村（社区）救援队", "village rescue team"),
    "town": ("街镇综合应急救援队", "town/street rescue team"),
    "district": ("区县综合应急救援队", "district comprehensive rescue team"),
    "professional": ("专业救援队", "professional rescue team"),
    "fire_rescue": ("消防救援站", "fire-rescue station"),
    "militia": ("民兵应急分队", "militia emergency unit"),
    "regional": ("区域应急救援中心队伍", "regional mutual-aid team"),
    "semi_professional": ("半专业森林扑火队", "semi-professional forest-fire team"),
    "volunteer": ("志愿扑火队", "volunteer fire team"),
    "repair": ("道路抢通队", "road-repair crew"),
}
FOREST_TIER_LABELS = {"professional": ("森林消防专业队", "professional forest-fire team")}


# Every district-level word of the injects (senders, receivers, phrases): a county's cards
# say 县 (丰都县: 县防汛抗旱指挥部, 县水利局, 全县), a city's 市, a district's 区. Longest
# first, so that 区县综合 is matched before anything shorter inside it.
DISTRICT_PHRASES = (
    "区县综合",  # 区县综合应急救援队 (names.TIER_LABELS) -> 县综合应急救援队
    "区县级",  # 区县级应急物资库 (names.DEPOT_LEVELS) -> 县级应急物资库
    "区规划自然资源局",
    "区森林防灭火指挥部",
    "区应急指挥中心",
    "区应急管理局",
    "区交通运输局",
    "区防汛抗旱",  # 区防汛抗旱指挥部, 区防汛抗旱（地灾）指挥部
    "区水利局",
    "区气象台",
    "全区",
    "区级",
)
DISTRICT_WORDS = ("县", "市")  # what a name_zh may end in besides 区


def district_word(name_zh: str) -> str:
    """What kind of place the district is, as its own name says: 县 for 丰都县 (a county),
    市 for a county-level city, 区 otherwise (北碚区, 璧山区, 南岸区)."""
    name = str(name_zh).strip()
    return next((w for w in DISTRICT_WORDS if name.endswith(w)), "区")


def package_word(pkg: dict) -> str:
    """:func:`district_word` of a drill package's district (区 where it names none)."""
    return district_word(pkg.get("district", {}).get("zh", ""))


def local_phrase(phrase: str, word: str) -> str:
    """``phrase`` of :data:`DISTRICT_PHRASES` in the district's own ``word``: 区县级 -> 县级
    (not 县县级), 区水利局 -> 县水利局."""
    if phrase.startswith("区县"):
        return word + phrase[2:]
    return phrase.replace("区", word, 1)


# The English word of a district's own kind (district_word): "district" in a county's
# English texts becomes "county" (a whole word: "subdistrict" stays).
ENGLISH_WORDS = {"县": "county", "市": "city"}
_DISTRICT_EN = re.compile(r"\b([Dd])istrict\b")


def local_words(obj, word: str, lang: str = ""):
    """``obj`` (an inject's texts, nested) with the district's own word in the phrases of
    :data:`DISTRICT_PHRASES` in its Chinese texts (``zh`` keys): a county's cards say 全县,
    县气象台, 县水利局, 县防汛抗旱指挥部, 县应急管理局物资科 ... (Fengdu's said 全区 ...);
    and in its English texts (``en`` keys) "county" (or "city") for "district". A 区 keeps
    its phrases and loses only the generic 区县 of the tier and depot labels (区县综合应急救援队
    -> 区综合应急救援队)."""
    if isinstance(obj, dict):
        return {k: local_words(v, word, k if k in ("zh", "en") else "") for k, v in obj.items()}
    if isinstance(obj, list):
        return [local_words(v, word) for v in obj]
    if lang == "zh" and isinstance(obj, str):
        for phrase in DISTRICT_PHRASES:
            obj = obj.replace(phrase, local_phrase(phrase, word))
    elif lang == "en" and isinstance(obj, str) and word in ENGLISH_WORDS:
        en = ENGLISH_WORDS[word]
        obj = _DISTRICT_EN.sub(lambda m: en.capitalize() if m.group(1) == "D" else en, obj)
    return obj


def tier_label(tier: str, word: str) -> tuple[str, str] | None:
    """A responder tier's Chinese and English label in the district's own ``word``
    (:func:`district_word`: 县综合应急救援队 / county comprehensive rescue team for a county,
    区综合应急救援队 / district ... for a 区); None for a tier with no label."""
    if tier not in TIER_LABELS:
        return None
    zh, en = TIER_LABELS[tier]
    label = local_words({"zh": zh, "en": en}, word)
    return label["zh"], label["en"]


def tier_text(tier: str, word: str) -> str:
    """A responder tier as the MSEL, the evaluator sheet and the review show it: its
    label (:func:`tier_label`: ``消防救援站 fire-rescue station``), not the layout's code
    (``fire_rescue``); a tier with no label is shown as it is."""
    label = tier_label(tier, word)
    return tier if label is None else f"{label[0]} {label[1]}"


DEPOT_LEVELS: dict[str, tuple[str, str]] = {
    "district": ("区县级应急物资库", "district relief depot"),
    "town": ("街镇物资储备点", "town/street storage point"),
    "village": ("村级物资储备点", "village storage point"),
    "regional": ("区域物资储备库", "regional reserve depot"),
    "supplier": ("协议供应企业", "agreement supplier"),
}
# relief vehicles by fleet mode (layout.relief.fleets.*.mode)
VEHICLE_LABELS: dict[str, tuple[str, str]] = {
    "road": ("车辆", "vehicle"),
    "water": ("船只", "boat"),
    "air": ("直升机", "helicopter"),
}
# shelter types of the plans (001 L28; layout.shelters.*.type)
SHELTER_TYPES: dict[str, tuple[str, str]] = {
    "emergency": ("应急避难场所", "emergency shelter"),
    "short_term": ("短期避难场所", "short-term shelter"),
    "long_term": ("长期避难场所", "long-term shelter"),
}
ITEM_LABELS: dict[str, tuple[str, str]] = {
    "tent": ("帐篷", "tents"),
    "quilt": ("棉被", "quilts"),
    "folding_bed": ("折叠床", "folding beds"),
    "food_ration": ("食品", "food rations"),
    "drinking_water": ("饮用水", "drinking water"),
    "clothing": ("衣物", "clothing"),
}
# Every incident kind the scenarios and modules publish (tests/test_drill_package.py checks
# that no kind a shipped scenario can produce is missing).
INCIDENT_KINDS: dict[str, tuple[str, str]] = {
    "rescue": ("群众被困", "people trapped"),
    "water_rescue": ("群众被洪水围困", "people cut off by water"),
    "collapse": ("房屋倒塌人员被埋压", "building collapse with people buried"),
    "hazmat": ("危险化学品泄漏人员中毒", "hazardous-chemical exposure"),
    "landslide_burial": ("滑坡掩埋房屋、人员被埋", "houses buried by a landslide"),
    "caught_trapped": ("未及时转移群众被困", "people caught before they could leave"),
    "caught_on_road": ("转移途中群众被困", "evacuees caught on the road"),
    "medical": ("人员受伤", "people injured"),
}
_SUFFIX = re.compile(r"_(\d{3})$")
_ZH_HEAD = re.compile(
    r"^([\u3400-\u9fff\uff08\uff09\u3001\w]*?[\u3400-\u9fff]+[\uff09]?)\s+(\S.*)$"
)


def bilingual(name: str) -> Name:
    """``嘉陵江 Jialing`` -> 嘉陵江 / Jialing: a config name that gives both languages, split
    so that Chinese text does not carry the English (a name in one language is both)."""
    m = _ZH_HEAD.match(name.strip())
    return Name(m.group(1), m.group(2)) if m else Name(name, name)


@dataclass(frozen=True)
class Name:
    """A name in Chinese and English."""

    zh: str
    en: str


class Namer:
    """Names of nodes, roads, teams and depots of one district and layout."""

    def __init__(self, net: RoadNetwork, cfg: Config) -> None:
        self.net = net
        self.cfg = cfg

    def node(self, node_id: str) -> Name:
        """A node's name from the network file (the id itself if it is not a node)."""
        i = self.net.index.get(str(node_id))
        if i is None:
            return Name(str(node_id), str(node_id))
        return Name(str(self.net.attr(i, "name_zh")), str(self.net.attr(i, "name_en")))

    def town_of(self, node_id: str) -> str:
        """The town/street a point of interest belongs to (the node itself for a town)."""
        i = self.net.index.get(str(node_id))
        if i is None:
            return str(node_id)
        return str(self.net.attr(i, "town") or node_id)

    def road(self, edge_name: str) -> Name:
        """``u--v`` as a road: its own name (G212, a bridge) where the network has one."""
        u, _, v = str(edge_name).partition("--")
        a, b = self.node(u), self.node(v)
        own = ""
        if self.net.graph.has_edge(u, v):
            own = str(self.net.graph.edges[u, v].get("name") or "")
        zh = f"{a.zh}至{b.zh}道路"
        en = f"the road between {a.en} and {b.en}"
        if own:
            zh, en = f"{own}（{a.zh}—{b.zh}段）", f"{own} ({a.en}–{b.en})"
        return Name(zh, en)

    def team_key(self, team_id: str) -> str:
        return _SUFFIX.sub("", str(team_id))

    def team(self, team_id: str, tier: str = "") -> tuple[Name, str, str]:
        """(name, tier, plan source) of a team id such as ``town_teams_007``."""
        key = self.team_key(team_id)
        lay = self.cfg.layout
        tc = lay.teams.get(key) or (lay.fire.teams.get(key) if lay.fire else None)
        source, forest = "", False
        if tc is not None:
            tier, source = tier or tc.tier, tc.source
            forest = lay.fire is not None and key in lay.fire.teams
        elif lay.mutual_aid is not None and key in lay.mutual_aid.centres:
            c = lay.mutual_aid.centres[key]
            tier, source = tier or "regional", c.source
            where = self.node(c.node)
            zh, en = TIER_LABELS["regional"]
            return Name(f"{where.zh}{zh}", f"{en} from {where.en}"), tier, source
        elif lay.repair is not None and key in lay.repair.crews:
            tier, source = "repair", lay.repair.crews[key].source
        labels = FOREST_TIER_LABELS if forest and tier in FOREST_TIER_LABELS else TIER_LABELS
        zh, en = labels.get(tier, (tier, tier))
        m = _SUFFIX.search(str(team_id))
        zh_num = f" {int(m.group(1))}号" if m else ""
        en_num = f" {int(m.group(1))}" if m else ""
        # (the callers add the team's base; no config key: the MSEL, the cards and the
        # review read names, never a layout's keys)
        return Name(f"{zh}{zh_num}", f"{en}{en_num}"), tier, source

    def depot(self, key: str) -> tuple[Name, str]:
        """(name, plan source) of a depot key of the layout: its level and where it is
        (``街镇物资储备点（都督乡）``), numbered when the layout has several of that level
        in one place - never the key itself (``town_dudu``)."""
        depots = self.cfg.layout.depots
        d = depots.get(key)
        if d is None:
            return Name("物资储备点", "relief depot"), ""
        zh, en = DEPOT_LEVELS.get(d.level, ("物资储备点", "relief depot"))
        where = self.node(d.node)
        same = [k for k, o in depots.items() if o.level == d.level and o.node == d.node]
        num_zh = num_en = ""
        if len(same) > 1:
            num_zh, num_en = f"{same.index(key) + 1}号", f" no. {same.index(key) + 1}"
        return Name(f"{zh}{num_zh}（{where.zh}）", f"{en}{num_en} ({where.en})"), d.source

    def vehicle(self, vehicle_id: str) -> Name:
        """A relief vehicle (``own_trucks_001``, ``town_vehicles_town_dudu``) as its base
        depot, a number counted over the vehicles of its kind based there (in the layout's
        fleet order) and its kind: ``区县级应急物资库（...）3号车辆``."""
        relief = self.cfg.layout.relief
        depots = self.cfg.layout.depots
        counts: dict[tuple[str, str], int] = {}
        for key, fc in relief.fleets.items() if relief is not None else []:
            bases = (
                [k for k, d in depots.items() if d.level in LOCAL_LEVELS]
                if fc.base == "each_town_depot"
                else [fc.base]
            )
            for base in bases:
                prefix = f"{key}_{base}" if fc.base == "each_town_depot" else key
                for j in range(fc.count):
                    n = counts.get((base, fc.mode), 0) + 1
                    counts[(base, fc.mode)] = n
                    if unit_id(prefix, j, fc.count) == str(vehicle_id):
                        zh, en = VEHICLE_LABELS.get(fc.mode, VEHICLE_LABELS["road"])
                        home = self.depot(base)[0]
                        return Name(f"{home.zh}{n}号{zh}", f"{en} {n} of the {home.en}")
        return Name("车辆", "a vehicle")

    def shelter(self, shelter_id: str, node: str) -> Name:
        """A shelter site (``temporary_004``) at ``node`` as its town and type
        (``高家镇应急避难场所``), never the site's id."""
        key = self.team_key(shelter_id)
        g = self.cfg.layout.shelters.get(key)
        town = self.node(self.town_of(node))
        zh, en = SHELTER_TYPES.get(g.type if g is not None else "", ("安置点", "shelter"))
        return Name(f"{town.zh}{zh}", f"{en} at {town.en}")

    def item(self, item: str) -> Name:
        zh, en = ITEM_LABELS.get(item, (item, item.replace("_", " ")))
        return Name(zh, en)

    def incident_kind(self, kind: str) -> Name:
        zh, en = INCIDENT_KINDS.get(kind, (kind, kind.replace("_", " ")))
        return Name(zh, en)

    def district(self) -> Name:
        d = self.cfg.district
        return Name(d.name_zh or d.name, d.name_en or d.name)
