#!/usr/bin/env python3
"""Build the modelled district road networks (GraphML) for the emergency simulator.

Usage (from the repo root):
    python networks/build_networks.py [--gazetteer DIR] [--out DIR] [--no-check]
                                      [--include-planned]

Inputs : gazetteer CSVs ``{bishan,nanan,fengdu,beibei}.csv`` (default
         ``../shared/data/gazetteer/`` relative to the repo root).
Outputs: ``networks/{bishan,nanan,fengdu,beibei}.graphml`` (undirected
         ``networkx.Graph``; schema in ``networks/README.md``).

Only the standard library, numpy and networkx are used; nothing is fetched at
run time. The output is deterministic (sorted nodes/edges, rounded floats).

Every hand-curated number below lives in a commented data table with its
source, or is marked ``ASSUMPTION:`` with the reason.  Plan references such as
``000 L311`` mean line 311 of ``/work/shared/seeds/000_*.txt`` (000 Bishan,
001 Nan'an, 002 Fengdu, 003 Beibei, 004 Chongqing municipality).

How links are generated (details and sources in README.md):
  1. Town/street seats of one district are split by river bank where a river is a
     hard barrier (Fengdu: Yangtze; Beibei: Jialing); the others form one set.
  2. Candidate road links = Gabriel graph of the seats of each bank (a link u-v
     is kept if no other seat of that bank lies inside the circle with diameter
     u-v; the Gabriel graph is a connected planar sub-graph of the Delaunay
     triangulation).  No link crosses a river except the listed bridges.
  3. Hand-curated links are added/overridden: bridges, expressways, national roads.
  4. length_m = great-circle distance x detour factor (district/zone factor, some
     calibrated to cited real road distances), unless a real length is cited.
  5. POIs (depots, fire station, forest access points, external centres) are
     attached by spur edges.
"""

from __future__ import annotations

import argparse
import csv
import math
import os
import sys
import unicodedata
from pathlib import Path

import networkx as nx
import numpy as np

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
DEFAULT_GAZ = (REPO / ".." / "shared" / "data" / "gazetteer").resolve()
DISTRICTS = ["bishan", "nanan", "fengdu", "beibei"]

EARTH_R_M = 6_371_008.8  # mean Earth radius (IUGG), for haversine great-circle

# ---------------------------------------------------------------------------
# District metadata
# ---------------------------------------------------------------------------
DISTRICT_META = {
    "bishan": dict(
        name_zh="璧山区",
        name_en="Bishan District",
        seat="璧城街道",  # gazetteer row note: DISTRICT SEAT (State Council 2014 reply)
        terrain="plain",  # "两山夹一谷" valley between East/West mountains (000 L34)
        source="gazetteer (2020 census total) + modelled links; see networks/README.md",
    ),
    "nanan": dict(
        name_zh="南岸区",
        name_en="Nan'an District",
        # ASSUMPTION: seat unresolved in the gazetteer; 413yy.cn table (gazetteer
        # 长生桥镇 row) names 长生桥镇 and the 2006 report places the new government in
        # 茶园新区, which lies in 长生桥镇.  Used only to place depot_district.
        seat="长生桥镇",
        terrain="urban",
        source="gazetteer (2020 census total) + modelled links; see networks/README.md",
    ),
    "fengdu": dict(
        name_zh="丰都县",
        name_en="Fengdu County",
        seat="三合街道",  # gazetteer row note: COUNTY SEAT
        terrain="mountain",
        source="gazetteer (2020 census total) + modelled links; see networks/README.md",
    ),
    "beibei": dict(
        name_zh="北碚区",
        name_en="Beibei District",
        seat="北温泉街道",  # gazetteer row note: DISTRICT SEAT (区政府驻北温泉街道双元大道196号)
        terrain="hill",
        source=(
            "gazetteer (2020 census total, OLD pre-Nov-2025 boundary) + modelled "
            "links on the current 17 divisions; see networks/README.md"
        ),
    ),
}

# ---------------------------------------------------------------------------
# Coordinates for gazetteer rows without lat/lon.  (lat, lon, coord_source)
# ---------------------------------------------------------------------------
_ECHARTS = (
    "public ECharts demo file with Nan'an street 'center' points (search-index "
    "file id 15810566950; values look like Amap/DataV township centres, "
    "GCJ-02, possible offset ~0.5 km; third-party, unverified)"
)
COORD_FILL = {
    "bishan": {
        "璧泉街道": (
            29.580,
            106.212,
            "ASSUMPTION: 璧泉 was split from 璧城 in Dec 2010 and shares the Bishan "
            "urban area (gazetteer row); placed ~1.6 km SW of the 璧城 seat coordinate",
        ),
        "来凤街道": (
            29.448,
            106.178,
            "ASSUMPTION: between 青杠 and 丁家 on the old Chengdu-Chongqing road (来凤驿 "
            "post town) and listed between 正兴 and 丁家 on the 合璧津 route "
            "(chinanews 2024-01-26 via javascriptjump.com mirror)",
        ),
        "七塘镇": (
            29.785,
            106.250,
            "ASSUMPTION: midpoint of 大路 and 八塘 (the numbered 塘 post stations on the "
            "Bishan-Hechuan road); 合璧津 enters Bishan at 七塘 then runs to 大路 "
            "(chinanews 2024-01-26)",
        ),
    },
    "nanan": {
        "铜元局街道": (29.535452, 106.551715, _ECHARTS),
        "花园路街道": (29.513858, 106.559975, _ECHARTS),
        "海棠溪街道": (29.549126, 106.594659, _ECHARTS),
        "龙门浩街道": (29.558524, 106.600889, _ECHARTS),
        "弹子石街道": (29.588186, 106.596689, _ECHARTS),
        "南山街道": (29.550597, 106.614560, _ECHARTS),
        "天文街道": (29.521843, 106.660338, _ECHARTS),
        "南坪镇": (29.532214, 106.578033, _ECHARTS),
        "涂山镇": (29.583989, 106.608112, _ECHARTS),
        "峡口镇": (29.568620, 106.675192, _ECHARTS),
    },
    "fengdu": {
        "名山街道": (
            29.887,
            107.737,
            "ASSUMPTION: old county seat on the north bank opposite 三合 (mddtxt.net: "
            "'北岸经济、文化、交通中心'; gazetteer 三合 row); placed ~2.3 km NNE of the "
            "三合 seat coordinate across the Yangtze",
        ),
        "兴龙镇": (
            30.100,
            107.520,
            "ASSUMPTION: north bank at the 垫江/涪陵/丰都 junction on 渠溪河, ~50 km "
            "from the county town (239364.com 兴龙文化公园 page); placed west of 仁沙 "
            "and 许明寺 near the county's west edge (107°28'E, gazetteer total row)",
        ),
        "仙女湖镇": (
            29.67238,
            107.75841,
            "ASSUMPTION: GeoNames '三坝' point quoted in the gazetteer 仙女湖镇 note "
            "(old 三坝乡; succession unverified); consistent with the note that the "
            "游轮辅港-南天湖 expressway passes east of 仙女湖 after crossing 方斗山",
        ),
    },
    "beibei": {
        "天生街道": (
            29.822,
            106.420,
            "ASSUMPTION: old Beibei town core around 西南大学 on the west bank, ~1.3 km "
            "W of the 北温泉 seat coordinate (gazetteer has no point)",
        ),
    },
}

# ---------------------------------------------------------------------------
# Populations for rows without a figure that have a cited figure elsewhere.
# Remaining blanks are filled by the district rule in POP_RULE.
# ---------------------------------------------------------------------------
POP_CITED = {
    "fengdu": {
        "名山街道": (
            28900,
            "mddtxt.net 名山街道 page: 常住人口2.89万 (undated, after the 2009 "
            "名山+镇江 merger); not census",
        ),
        "太平坝乡": (4437, "363616.com 太平坝乡 page: 1236户4437人 (undated)"),
        "三合街道": (
            120000,
            "ASSUMPTION: county town 'built-up area of 9 km2 in which 120,000 "
            "residents' (wenxuecity Fengdu county book, undated) attributed to "
            "the seat street 三合",
        ),
    },
}

# Rule for the remaining blanks (see README "Populations").
POP_RULE = {
    "bishan": "median",  # remainder is negative (mixed 2010/2020 figures)
    "fengdu": "median_kind",  # remainder negative (2022 registered > 2020 census)
    "nanan": "even",
    "beibei": "even_minus_removed",
}
# Beibei: 蔡家岗街道 (2020 census 164,544, gazetteer total-row note) left the district in
# Nov 2025 and is subtracted from the old-boundary total before splitting.
BEIBEI_REMOVED_KNOWN = 164544

# ---------------------------------------------------------------------------
# River banks (hard barriers).  Links between different banks are only allowed
# where listed in BRIDGES (or as expressway links in EXPRESSWAYS).
# ---------------------------------------------------------------------------
BANKS = {
    # Yangtze through Fengdu.  S = south/right bank, N = north/left bank.
    "fengdu": {
        "S": [
            "三合街道",  # seat on the south bank (gazetteer; opposite old seat 名山)
            "湛普镇",  # ASSUMPTION: riverside town upstream of the seat, same bank
            "双路镇",  # ASSUMPTION: riverside, east of the seat on the south bank
            "江池镇",  # huayutex.cn: 北望长江、南接龙河, on 方斗山, 丰都南岸旅游环线
            "龙河镇",
            "武平镇",
            "包鸾镇",
            "南天湖镇",
            "暨龙镇",
            "仙女湖镇",
            "太平坝乡",
            "都督乡",  # cyw.com: 都督乡位于长江南岸
            "栗子乡",
            "三建乡",
        ],
        # 七曜山/方斗山 lie south of the river (gazetteer README; wenxuecity county book),
        # the southern mountain towns above are all on that side.
        "N": [
            "名山街道",  # mddtxt.net: 北岸经济、文化、交通中心
            "兴龙镇",  # 239364.com: 地处丰都县城北岸
            "虎威镇",
            "社坛镇",
            "三元镇",
            "许明寺镇",
            "董家镇",
            "树人镇",
            "十直镇",
            "保合镇",
            "仁沙镇",
            "双龙镇",
            "青龙乡",
            "高家镇",
            "兴义镇",
            "龙孔镇",
        ],  # ASSUMPTION: bank of these three unverified
    },
    # Jialing through Beibei.  W = west/right bank (city side), E = east/left bank.
    "beibei": {
        "W": [
            "北温泉街道",
            "朝阳街道",
            "天生街道",
            "龙凤桥街道",
            "歇马街道",
            # 澄江: 'on 嘉陵江 below 缙云山' (gazetteer note) and 缙云山 reserve lies on the
            # west bank of 温塘峡 (jinyunshan.com intro) -> ASSUMPTION: west bank
            "澄江镇",
        ],
        "E": [
            "东阳街道",  # across the river from the city (ccbuild.com 北碚嘉陵江大桥 report)
            "天府镇",
            "静观镇",
            "柳荫镇",
            "三圣镇",
            "金刀峡镇",
            "大湾镇",
            "统景镇",
            "大盛镇",
            "兴隆镇",
            "茨竹镇",
        ],
    },
}

# Bridges: the only same-class road links allowed across a river.
BRIDGES = [
    # (district, a, b, name, road_class, detour_factor, source)
    (
        "fengdu",
        "三合街道",
        "名山街道",
        "丰都长江大桥",
        "provincial",
        1.2,
        "丰都长江大桥 listed among Chongqing Yangtze bridges (public list, search-index file id "
        "17046816805); ASSUMPTION detour 1.2 for a direct bridge link. 丰都长江二桥 could not be "
        "verified in the available sources and is not modelled separately",
    ),
    (
        "beibei",
        "朝阳街道",
        "东阳街道",
        "朝阳嘉陵江大桥 (朝阳新桥/碚东大桥, 观音峡)",
        "national",
        None,
        "cq.cqnews.net 2018-09-07: 朝阳新桥 (2011) south end joins G212, north end 仪北路; "
        "bytravel.cn: 朝阳桥、朝阳复线桥、碚东大桥 in 观音峡",
    ),
    (
        "beibei",
        "天生街道",
        "东阳街道",
        "北碚嘉陵江大桥",
        "provincial",
        None,
        "ccbuild.com: 北碚嘉陵江大桥 links 北碚城区 and 东阳街道 (replaced the old 朝阳桥)",
    ),
]

# ---------------------------------------------------------------------------
# Expressways / urban expressways between seats with interchanges.
# (district, a, b, name, design_speed_kmh, lanes_per_direction, length_km|None,
#  detour_factor|None, source, planned)
# length_km given -> cited real length; else great-circle x detour_factor
# (default EXPRESSWAY_DETOUR).
# ---------------------------------------------------------------------------
EXPRESSWAY_DETOUR = 1.15  # ASSUMPTION: expressways run straighter (tunnels/viaducts) than
#                           local roads; no published circuity factor found.
EXPRESSWAYS = [
    # --- Bishan -------------------------------------------------------------
    # 渝蓉 G5013: zh.wikipedia 渝蓉高速公路: 陈家桥 -> 7.5 km 璧山收费站 -> 16 km 璧山福禄收费站;
    # design 120 km/h (Chongqing section), 双向六车道.  璧山收费站 is assigned to 璧泉
    # (ASSUMPTION: east/south side of the urban area).
    (
        "bishan",
        "璧泉街道",
        "福禄镇",
        "G5013 渝蓉高速",
        120,
        3,
        8.5,
        None,
        "zh.wikipedia 渝蓉高速公路: 璧山收费站 km 7.5 -> 福禄收费站 km 16 (8.5 km)",
        False,
    ),
    # 合璧津 (重庆三环): 人民网 2025-02-26: design 100 km/h, 双向四车道 (six lanes only north of
    # 依凤枢纽, outside Bishan), toll stations 河边, 璧山西, 正兴, 丁家南, 广普; chinanews
    # 2024-01-26: route 七塘-大路-河边-福禄-大兴-正兴-来凤-丁家-广普 and a 大兴互通.
    # ASSUMPTION: 璧山西 station = 大兴 interchange.
    (
        "bishan",
        "河边镇",
        "大兴镇",
        "合璧津高速 (G三环)",
        100,
        2,
        None,
        None,
        "人民网 2025-02-26 (stations 河边, 璧山西); chinanews 2024-01-26 (大兴互通)",
        False,
    ),
    (
        "bishan",
        "大兴镇",
        "正兴镇",
        "合璧津高速 (G三环)",
        100,
        2,
        None,
        None,
        "人民网 2025-02-26 (stations 璧山西, 正兴)",
        False,
    ),
    (
        "bishan",
        "正兴镇",
        "丁家街道",
        "合璧津高速 (G三环)",
        100,
        2,
        None,
        None,
        "人民网 2025-02-26 (stations 正兴, 丁家南; 丁家南枢纽)",
        False,
    ),
    (
        "bishan",
        "丁家街道",
        "广普镇",
        "合璧津高速 (G三环)",
        100,
        2,
        None,
        None,
        "人民网 2025-02-26 (stations 丁家南, 广普); bishanzx.com 2024: 广普-慈云北 section",
        False,
    ),
    # --- Beibei -------------------------------------------------------------
    # G75 渝武高速复线 via 东阳 and 澄江 (gazetteer README; 东阳 and 澄江 rows, 澄江支线 2.7 km).
    # wxredian.com 2024-11-04 (also a gazetteer source): 渝武复线 北碚-合川 opened 2024-11-01,
    # 蔡家-蔡家岗-施家梁-水土-东阳-澄江-草街, main line 35.5 km, 澄江支线 2.7 km, crosses the
    # Jialing on the 观音峡嘉陵江特大桥 (next to 东阳) and the 草街嘉陵江特大桥.
    (
        "beibei",
        "东阳街道",
        "澄江镇",
        "G75 渝武高速复线",
        80,
        2,
        None,
        None,
        "wxredian.com 2024-11-04: route 东阳-澄江 incl. 观音峡嘉陵江特大桥 and the 2.7 km 澄江支线; "
        "ASSUMPTION design speed 80 (lowest JTG expressway value)",
        False,
    ),
    # --- Nan'an (urban expressways / ring roads; gazetteer README: 南山 tunnel and
    #     interchange on the ring roads, riverside expressway from 迎龙) -----------------
    (
        "nanan",
        "花园路街道",
        "南坪镇",
        "内环快速路",
        80,
        3,
        None,
        None,
        "ASSUMPTION: inner ring (内环) via 四公里; urban expressway CJJ 37-2012 80 km/h",
        False,
    ),
    (
        "nanan",
        "南坪镇",
        "南山街道",
        "内环快速路 (南山/真武山隧道)",
        80,
        3,
        None,
        None,
        "ASSUMPTION: inner ring crosses 南山 by tunnel (gazetteer README: 南山 tunnel on the "
        "ring roads)",
        False,
    ),
    (
        "nanan",
        "南山街道",
        "涂山镇",
        "内环快速路",
        80,
        3,
        None,
        None,
        "ASSUMPTION: inner ring continues north to 东环立交/大佛寺大桥",
        False,
    ),
    (
        "nanan",
        "南坪镇",
        "长生桥镇",
        "G65 渝湘高速 (南山隧道)",
        80,
        2,
        None,
        None,
        "ASSUMPTION: G65 from 四公里 through 南山 to 茶园 (长生桥)",
        False,
    ),
    (
        "nanan",
        "长生桥镇",
        "迎龙镇",
        "G5001 绕城高速",
        80,
        2,
        None,
        None,
        "ASSUMPTION: outer ring east section through 茶园 and 迎龙",
        False,
    ),
    (
        "nanan",
        "迎龙镇",
        "广阳镇",
        "G5001 绕城高速",
        80,
        2,
        None,
        None,
        "ASSUMPTION: outer ring continues north to 广阳/鱼嘴长江大桥",
        False,
    ),
    # --- Fengdu -------------------------------------------------------------
    # 丰都游轮辅港-南天湖高速: gazetteer 三合/仙女湖/包鸾 rows - starts at G5021 青龙咀枢纽
    # (三合), 樱桃湾特长隧道 through 方斗山, then east of 仙女湖; construction started
    # 2025-08-16 -> PLANNED, only built with --include-planned.
    (
        "fengdu",
        "三合街道",
        "仙女湖镇",
        "丰都游轮辅港-南天湖高速 (在建)",
        80,
        2,
        None,
        None,
        "gazetteer 三合/仙女湖/包鸾 rows; under construction since 2025-08-16",
        True,
    ),
    (
        "fengdu",
        "仙女湖镇",
        "南天湖镇",
        "丰都游轮辅港-南天湖高速 (在建)",
        80,
        2,
        None,
        None,
        "gazetteer 三合/仙女湖/包鸾 rows; under construction since 2025-08-16",
        True,
    ),
]

# National-road links (override the rule-based class of a Gabriel/bridge link).
# (district, a, b, name, source)
NATIONAL = [
    (
        "beibei",
        "澄江镇",
        "北温泉街道",
        "G212",
        "ASSUMPTION: G212 follows the west bank through 温塘峡 to the city (cq.cqnews.net: "
        "G212 meets the 朝阳 bridge on the city side)",
    ),
    ("beibei", "北温泉街道", "朝阳街道", "G212", "cq.cqnews.net 2018-09-07 (G212 at 朝阳)"),
    ("beibei", "朝阳街道", "天生街道", "G212", "ASSUMPTION: G212 through the old town"),
    ("beibei", "天生街道", "龙凤桥街道", "G212", "ASSUMPTION: G212 south along the west bank"),
]

# Gabriel links removed by hand (none needed at present; kept for transparency).
REMOVE_LINKS: list[tuple[str, str, str, str]] = []

# Hand-added local links (same bank only).  (district, a, b, road_class|None, name, source)
EXTRA_LINKS = [
    (
        "fengdu",
        "双路镇",
        "龙河镇",
        "county",
        "龙河河谷公路",
        "ASSUMPTION: road up the 龙河 valley from the county town (m.cyw.com route "
        "'丰都县城-龙河大桥右转-...-暨龙-都督'); not produced by the Gabriel rule",
    ),
]

# Interchanges modelled as junction nodes.
# (district, id, name_zh, name_en, lat, lon, coord_source, town_zh,
#  links: [(town_zh, road_class, name, design_speed, lanes_per_dir, length_km|None,
#           detour|None, source)])
JUNCTIONS = [
    (
        "fengdu",
        "junction_shizhu_xi",
        "G5021石柱西互通(服务江池)",
        "G5021 Shizhu West interchange (serving Jiangchi)",
        29.975,
        108.045,
        "ASSUMPTION: interchange ~15 min drive from 江池 (huayutex.cn 江池镇 page: '距离石柱西高速路"
        "下道口…仅15分钟车程', '距离丰都县城仅45分钟车程'); position assumed ~7 km N of 江池",
        "江池镇",
        [
            (
                "三合街道",
                "expressway",
                "G5021 石渝高速(沿江)",
                80,
                2,
                None,
                None,
                "ASSUMPTION: great-circle x 1.15; G5021 runs east from the county seat (gazetteer 三合 "
                "row: 青龙咀枢纽) towards 石柱",
            ),
            (
                "江池镇",
                "county",
                "",
                None,
                None,
                None,
                "zone",
                "great-circle x zone detour; huayutex.cn: 15 min from the interchange",
            ),
        ],
    ),
]

# ---------------------------------------------------------------------------
# Road-class parameters
# ---------------------------------------------------------------------------
# Speeds (km/h).  JTG B01-2014 design speeds (via OSM wiki Key:highway:CN):
# expressway 120/100/80, class I 100/80/60, class II 80/60, class III 40/30,
# class IV 30/20.  Urban roads CJJ 37-2012 (same OSM wiki page): expressway
# 100/80/60, arterial 60/50/40, secondary 50/40/30, branch 40/30/20.
# Mapping of our classes to JTG grades and the choice inside each range is an
# ASSUMPTION (lower value in mountains / dense urban traffic).  Mountain county roads
# use 40 (not 30): m.cyw.com gives 县城-都督 ~90 km in ~2 h 20 min (~39 km/h average).
SPEED_KMH = {
    #               plain  hill  mountain  urban
    "national": {"plain": 60, "hill": 60, "mountain": 60, "urban": 60},  # class I/II low value
    "provincial": {
        "plain": 60,
        "hill": 60,
        "mountain": 40,
        "urban": 40,
    },  # II (60) / III (40) / arterial 40
    "county": {"plain": 40, "hill": 40, "mountain": 40, "urban": 30},  # III upper 40 / secondary 30
    "local": {"plain": 30, "hill": 30, "mountain": 20, "urban": 20},  # IV (30/20) / branch 20
}
EXPRESSWAY_DEFAULT_SPEED = 80  # lowest JTG expressway design speed, when none is cited

# Capacity (vehicles/h per direction).
# - expressway: lanes/direction x KHCM 2013 Table 2-1 basic capacity by design speed
#   (80: 2000, 100: 2200, 120: 2300 pcphpl; R package KHCMinR capa_expwy_basic_j).
# - national: ASSUMPTION 2 lanes/direction (JTG class I has >=4 lanes) x 1,500 pc/h/lane
#   (practical urban multilane capacity quoted from the HCM in the LA Complete Street
#   Design Manual E-341).
# - provincial: 1 lane/direction x 1,600 (FHWA HPMS Field Manual App. N: two-lane base
#   3,200 pch two-way, 1,600 one lane one way).  Urban (Nan'an): ASSUMPTION 2 lanes x 1,500.
# - county: 1 lane/direction x 1,000 (practical rural capacity per lane, LA manual E-341).
# - local: 800 (HPMS App. N: one-lane two-way road = 1,600 / 2).
KHCM_EXPWY_PCPHPL = {80: 2000, 100: 2200, 120: 2300}
CAPACITY_VPH = {
    "national": {"default": 3000.0},
    "provincial": {"default": 1600.0, "urban": 3000.0},
    "county": {"default": 1000.0},
    "local": {"default": 800.0},
}

# ---------------------------------------------------------------------------
# Detour (circuity) factors: road length = great-circle x factor.
# ---------------------------------------------------------------------------
# Newell (1980): urban network distance ~1.2 x Euclidean; O'Sullivan (1996) 1.21-1.23
# (Wikibooks "Transportation Geography and Network Science/Circuity").
BEIBEI_CITY = {"北温泉街道", "朝阳街道", "天生街道", "龙凤桥街道", "东阳街道"}
DETOUR = {
    "bishan": 1.3,  # ASSUMPTION: hilly valley, a little above Newell's urban 1.2
    "beibei_city": 1.3,  # ASSUMPTION: compact urban core of Beibei (links among BEIBEI_CITY)
    "nanan": 1.3,  # ASSUMPTION: urban (1.2) plus 南山 relief
    "fengdu_north": 1.5,  # ASSUMPTION: hills north of the Yangtze (黄草山/蒋家山 ridges);
    #                       checked against 兴龙 '~50 km from the county town' (README)
    "beibei": None,  # calibrated (rural/hill links), see CALIBRATION
    "fengdu_south": None,  # calibrated, see CALIBRATION
}
# Calibration targets: (district, zone, origin, destination, real_km, source)
# factor(zone) = mean over targets of (real_km - modelled length of the path's links in
# other zones) / (great-circle length of the path's links in this zone), the path being
# the shortest great-circle path over the modelled non-expressway links.
CALIBRATION = [
    ("fengdu", "fengdu_south", "三合街道", "太平坝乡", 83.0, "363616.com 太平坝乡: 距县城83公里"),
    (
        "fengdu",
        "fengdu_south",
        "三合街道",
        "都督乡",
        90.0,
        "m.cyw.com 都督乡: 丰都县城-龙河大桥-...-暨龙-都督 路程约90公里",
    ),
    (
        "beibei",
        "beibei",
        "北温泉街道",
        "金刀峡镇",
        62.0,
        "fsylkt.com 金刀峡: 距北碚城区62公里 (to the scenic area at 小塘村, used for the town)",
    ),
]

# ---------------------------------------------------------------------------
# Points of interest attached to a town by a short spur.
# (district, id, kind, name_zh, name_en, town_name_zh, spur_m, source)
# ---------------------------------------------------------------------------
POI_SPUR_M = 500.0  # ASSUMPTION: in-town access from the seat point to the facility
WHARF_SPUR_M = 500.0  # ASSUMPTION: seat point to the riverside wharf
LZ_SPUR_M = 300.0  # ASSUMPTION: seat point to the landing ground (school sports ground)
LZ_SOURCE = (
    "ASSUMPTION: helicopter landing zone on a school sports ground at the seat; a landing point "
    "needs only ~200 m2 and open sports grounds qualify (重庆晚报 2014-07-19 on the 重庆市通用机场布局规划, "
    "mirror m.hngazk.cn/blog/327817)"
)
POIS = [
    (
        "bishan",
        "depot_dalu",
        "depot",
        "大路街道区域应急物资库",
        "Dalu regional emergency supplies depot",
        "大路街道",
        POI_SPUR_M,
        "000 L311 (区域应急物资库 in 大路街道); location inside the street = seat point (ASSUMPTION)",
    ),
    (
        "bishan",
        "depot_dingjia",
        "depot",
        "丁家街道区域应急物资库",
        "Dingjia regional emergency supplies depot",
        "丁家街道",
        POI_SPUR_M,
        "000 L311 (区域应急物资库 in 丁家街道); location = seat point (ASSUMPTION)",
    ),
    (
        "bishan",
        "firestation_qinggang",
        "fire_station",
        "璧山青杠消防救援站",
        "Bishan Qinggang fire-rescue station",
        "青杠街道",
        POI_SPUR_M,
        "000 L249 (更新改造现有璧山青杠消防救援站); location = 青杠 seat point (ASSUMPTION)",
    ),
    (
        "nanan",
        "depot_district",
        "depot",
        "南岸区级救灾物资储备库",
        "Nan'an district relief-supplies depot",
        "长生桥镇",
        POI_SPUR_M,
        "ASSUMPTION: 001 L120 names 南岸区救灾物资储备管理暂行办法 but no site; "
        "placed at the assumed seat 长生桥镇",
    ),
    (
        "fengdu",
        "depot_county",
        "depot",
        "丰都县应急管理及物资储备中心(规划)",
        "Fengdu county emergency management & supplies reserve centre (planned)",
        "三合街道",
        POI_SPUR_M,
        "002 L184/L221/L285 (县应急管理及物资储备中心, planned 2022); "
        "ASSUMPTION: located at the county seat 三合街道",
    ),
    (
        "beibei",
        "depot_district",
        "depot",
        "北碚区级应急物资库",
        "Beibei district emergency supplies depot",
        "北温泉街道",
        POI_SPUR_M,
        "003 L31 (建成投用了区级应急物资库); ASSUMPTION: at the seat 北温泉街道",
    ),
    # --- wharves and helicopter landing zones (issue: relief/rescue by water and air) ----
    # 水路/航空 relief when roads fail (004 L35, L247-L253; 002 L182, 003 L240).  The plans name
    # no wharf or landing-zone site: every entry is an ASSUMPTION placed at the host seat point
    # with a short spur (WHARF_SPUR_M / LZ_SPUR_M).
    (
        "fengdu",
        "wharf_sanhe",
        "wharf",
        "丰都港县城码头",
        "Fengdu county-town wharf (Yangtze)",
        "三合街道",
        WHARF_SPUR_M,
        "ASSUMPTION: a Yangtze wharf at the county town 三合 (riverside seat, networks/README BANKS); "
        "site inside the street not located",
    ),
    (
        "fengdu",
        "wharf_gaojia",
        "wharf",
        "高家镇码头",
        "Gaojia wharf (Yangtze)",
        "高家镇",
        WHARF_SPUR_M,
        "ASSUMPTION: riverside town downstream of the county town (flood zone of "
        "conf/scenario/flood_evacuation.yaml); wharf site not located",
    ),
    (
        "fengdu",
        "wharf_shuanglu",
        "wharf",
        "双路镇码头",
        "Shuanglu wharf (Yangtze)",
        "双路镇",
        WHARF_SPUR_M,
        "ASSUMPTION: riverside town east of the seat on the south bank (BANKS); wharf site not located",
    ),
    (
        "fengdu",
        "lz_jilong",
        "landing_zone",
        "暨龙镇直升机临时起降点",
        "Jilong helicopter landing zone",
        "暨龙镇",
        LZ_SPUR_M,
        LZ_SOURCE,
    ),
    (
        "fengdu",
        "lz_wuping",
        "landing_zone",
        "武平镇直升机临时起降点",
        "Wuping helicopter landing zone",
        "武平镇",
        LZ_SPUR_M,
        LZ_SOURCE,
    ),
    (
        "beibei",
        "wharf_beibei",
        "wharf",
        "北碚嘉陵江码头(朝阳)",
        "Beibei Jialing wharf (Chaoyang)",
        "朝阳街道",
        WHARF_SPUR_M,
        "ASSUMPTION: a Jialing wharf in the old town 朝阳 on the city bank (BANKS); site not located",
    ),
    (
        "beibei",
        "wharf_chengjiang",
        "wharf",
        "澄江镇码头",
        "Chengjiang wharf (Jialing, Wentang gorge)",
        "澄江镇",
        WHARF_SPUR_M,
        "ASSUMPTION: gorge town on the Jialing below 缙云山 (gazetteer note); wharf site not located",
    ),
    (
        "beibei",
        "lz_jindaoxia",
        "landing_zone",
        "金刀峡镇直升机临时起降点",
        "Jindaoxia helicopter landing zone",
        "金刀峡镇",
        LZ_SPUR_M,
        LZ_SOURCE,
    ),
    (
        "nanan",
        "wharf_danzishi",
        "wharf",
        "弹子石码头",
        "Danzishi wharf (Yangtze)",
        "弹子石街道",
        WHARF_SPUR_M,
        "ASSUMPTION: Yangtze wharf on the 南滨路 riverside at 弹子石; site not located",
    ),
    (
        "nanan",
        "wharf_guangyang",
        "wharf",
        "广阳镇码头",
        "Guangyang wharf (Yangtze)",
        "广阳镇",
        WHARF_SPUR_M,
        "ASSUMPTION: downstream riverside town (flood zone of flood_evacuation.yaml); site not located",
    ),
    (
        "bishan",
        "lz_batang",
        "landing_zone",
        "八塘镇直升机临时起降点",
        "Batang helicopter landing zone",
        "八塘镇",
        LZ_SPUR_M,
        LZ_SOURCE,
    ),
]

# ---------------------------------------------------------------------------
# Forest zones.  (district, id, name_zh, name_en, lat, lon, coord_source,
#                 forest_area_ha, area_source, walk_in_m, walk_source)
# Attached to the nearest town seat by a local edge (great-circle x district factor).
# ---------------------------------------------------------------------------
_BISHAN_FOREST_HA = round(0.4379 * 914.42 * 100.0 / 3.0, 1)
_BISHAN_AREA_SRC = (
    "ASSUMPTION: one third of Bishan forest area 43.79% (2024, gazetteer README; "
    "plan 000 L34 says 40.7%) x 914.42 km2 (gazetteer total row) = 40,042 ha, "
    "split equally over the three modelled zones"
)
_BISHAN_WALK_SRC = (
    "ASSUMPTION: 1 km last-mile on foot, after plan 000 L321 "
    "(push forest protection to 'the last 1 km')"
)
FORESTS = [
    (
        "bishan",
        "forest_jinyunshan_qinggang",
        "缙云山(青杠段)",
        "Jinyun Shan, Qinggang section",
        29.475,
        106.262,
        "ASSUMPTION: on the 缙云山 ridge east of the 青杠 seat (bishan.gov.cn via "
        "gazetteer 青杠 row: 青杠 includes the 缙云山 青杠段)",
        _BISHAN_FOREST_HA,
        _BISHAN_AREA_SRC,
        1000.0,
        _BISHAN_WALK_SRC,
    ),
    (
        "bishan",
        "forest_dongshan",
        "东山(缙云山北段)",
        "East Mountain (northern Jinyun ridge)",
        29.800,
        106.330,
        "ASSUMPTION: East Mountain ridge (000 L34) east of 八塘, where the Aug-2022 "
        "缙云山 fire spread into 八塘 (gazetteer 八塘 row)",
        _BISHAN_FOREST_HA,
        _BISHAN_AREA_SRC,
        1000.0,
        _BISHAN_WALK_SRC,
    ),
    (
        "bishan",
        "forest_xishan",
        "西山(云雾山)",
        "West Mountain (Yunwu Shan ridge)",
        29.550,
        106.090,
        "ASSUMPTION: West Mountain ridge (000 L34) on the western edge, west of 大兴/福禄",
        _BISHAN_FOREST_HA,
        _BISHAN_AREA_SRC,
        1000.0,
        _BISHAN_WALK_SRC,
    ),
    (
        "beibei",
        "forest_jinyunshan",
        "缙云山国家级自然保护区",
        "Jinyun Shan National Nature Reserve",
        round((29 + 41 / 60 + 8 / 3600 + 29 + 52 / 60 + 3 / 3600) / 2, 5),
        round((106 + 17 / 60 + 43 / 3600 + 106 + 24 / 60 + 50 / 3600) / 2, 5),
        "centre of the reserve extent 106°17′43″–106°24′50″E, 29°41′08″–29°52′03″N (doczj.com 缙云山概况)",
        7600.0,
        "7,600 ha whole reserve (jinyunshan.com intro; baike.wangchao) - spans Beibei, "
        "Shapingba and Bishan, all assigned to this node",
        1000.0,
        "ASSUMPTION: same 1 km last-mile as Bishan's side of the ridge (000 L321)",
    ),
    (
        "beibei",
        "forest_jindaoxia",
        "金刀峡/华蓥山",
        "Jindao Gorge / Huaying Shan flank",
        30.020,
        106.665,
        "ASSUMPTION: 金刀峡 scenic area (小塘村) on the SW flank of 华蓥山, "
        "just NE of the 金刀峡镇 point",
        round(70000 / 15.0, 1),
        "金刀峡镇 forest 7万余亩 (363616.com via gazetteer 金刀峡镇 row); 15 mu = 1 ha",
        1500.0,
        "ASSUMPTION: 1.5 km - karst gorge reached by trails (gorge ~10 km long, fsylkt.com)",
    ),
    (
        "nanan",
        "forest_nanshan",
        "南山国家森林公园",
        "Nanshan National Forest Park",
        29.545,
        106.625,
        "ASSUMPTION: on the 南山 ridge east of the 南山街道 centre point",
        4400.0,
        "ASSUMPTION: district forest/woods 44 km2 (en.wikipedia c.2006, gazetteer total row) "
        "taken as the 南山 forest area (no park area found)",
        500.0,
        "ASSUMPTION: 0.5 km - urban forest park with a dense road/trail network",
    ),
    (
        "fengdu",
        "forest_qiyaoshan",
        "七曜山林场",
        "Qiyao Shan state forest farm",
        29.715,
        108.165,
        "ASSUMPTION: in 太平坝乡 on the 七曜山 (gazetteer 太平坝 row), SE of the township point",
        6000.0,
        "~9万亩 = 6,000 ha (gazetteer 太平坝 row / README; wenxuecity county book)",
        2000.0,
        "ASSUMPTION: 2 km - altitude 1,400-1,988 m, sparse forest roads",
    ),
    (
        "fengdu",
        "forest_fangdoushan",
        "方斗山",
        "Fangdou Shan",
        29.900,
        107.990,
        "ASSUMPTION: 方斗山 ridge at 江池镇 横梁村 (huayutex.cn 江池镇 page: 地处方斗山上的横梁村)",
        4000.0,
        "ASSUMPTION: no area found; mean of the two cited Fengdu forest areas "
        "((6,000 + 2,000) / 2 ha)",
        2000.0,
        "ASSUMPTION: 2 km - mountain ridge, sparse roads",
    ),
    (
        "fengdu",
        "forest_tianmenshan",
        "天门山(包鸾白岩千)",
        "Tianmen Shan (Baoluan Baiyanqian)",
        29.720,
        107.680,
        "ASSUMPTION: south of 包鸾 towards 三抚林场 and the Fuling 武陵山 forest park "
        "(wenxuecity county book via gazetteer 包鸾 row)",
        2000.0,
        "3万余亩 = 2,000 ha (wenxuecity county book via gazetteer 包鸾 row)",
        2000.0,
        "ASSUMPTION: 2 km - mean altitude ~1,800 m, sparse roads",
    ),
]

# ---------------------------------------------------------------------------
# External nodes (outside the district).  Each link: (town_name_zh, road_class, name,
# design_speed, lanes_per_dir, length_km|None, detour|None, length_source).  length_km
# None -> great-circle x detour (ASSUMPTION).
# ---------------------------------------------------------------------------
_EXT_COORD = (
    "ASSUMPTION: approximate city-centre coordinate (rounded, general geographic "
    "knowledge); used for drawing only - the edge length comes from length_source"
)
AIRBASE_ROLE = (
    "004 L364 森林航空护林站 (municipal forest aviation station, helicopters for rescue and relief "
    "004 L249): its 渝西 base is 龙兴通用机场 (消防界 2018(1), 刘育锋 et al., mirror "
    "zgkjsz.com/page/2018/1021/8409260.shtml); 2 helicopters on standby there in April 2022 "
    "(slcyfh.mem.gov.cn/Item/33229.aspx)"
)
AIRBASE_LINK = (
    "ext_chongqing_centre",
    "expressway",
    "",
    80,
    2,
    None,
    1.3,
    "ASSUMPTION: great-circle x 1.3 by expressway from the central city",
)
# Kinds of external nodes other than regional centres.
EXTERNAL_KIND = {"ext_airbase_longxing": "air_base", "ext_wharf_geohazard": "wharf"}
EXTERNALS = [
    (
        "bishan",
        "ext_yongchuan",
        "永川区(区域应急中心)",
        "Yongchuan (regional emergency centre)",
        29.356,
        105.927,
        _EXT_COORD,
        "004 L181/L358 (regional emergency centre); 000 L311 (物资调用机制 with the 永川 regional reserve)",
        [
            (
                "丁家街道",
                "expressway",
                "G85 成渝高速",
                100,
                2,
                None,
                1.25,
                "ASSUMPTION: great-circle x 1.25 via the Chengdu-Chongqing expressway; cross-check: the "
                "永川-璧山 expressway is 25 km from 滴水岩枢纽 to the 合璧津 junction (重庆日报 2020-08-04 "
                "via cri.cn)",
            )
        ],
    ),
    (
        "bishan",
        "ext_chongqing_centre",
        "重庆中心城区(解放碑)",
        "Chongqing central city (Jiefangbei)",
        29.557,
        106.577,
        _EXT_COORD,
        "municipal centre (004)",
        [
            (
                "璧泉街道",
                "expressway",
                "G5013 渝蓉高速",
                80,
                3,
                None,
                1.3,
                "ASSUMPTION: great-circle x 1.3 (7.5 km of it is 璧山收费站-陈家桥 on G5013, zh.wikipedia); "
                "speed 80 = CJJ 37-2012 urban-expressway value for the mixed G5013 + urban approach",
            )
        ],
    ),
    (
        "nanan",
        "ext_chongqing_centre",
        "重庆中心城区(解放碑)",
        "Chongqing central city (Jiefangbei)",
        29.557,
        106.577,
        _EXT_COORD,
        "municipal centre (004)",
        [
            (
                "龙门浩街道",
                "provincial",
                "东水门长江大桥",
                None,
                None,
                None,
                1.3,
                "ASSUMPTION: great-circle x 1.3 across the Yangtze bridge",
            ),
            (
                "南坪街道",
                "provincial",
                "重庆长江大桥(石板坡)",
                None,
                None,
                None,
                1.3,
                "ASSUMPTION: great-circle x 1.3 across the Yangtze bridge",
            ),
        ],
    ),
    (
        "fengdu",
        "ext_fuling",
        "涪陵区(区域应急中心)",
        "Fuling (regional emergency centre)",
        29.703,
        107.389,
        _EXT_COORD,
        "004 L181/L358 (regional emergency centre)",
        [
            (
                "三合街道",
                "expressway",
                "G5021 石渝高速(沿江)",
                80,
                2,
                None,
                1.3,
                "ASSUMPTION: great-circle x 1.3 along the riverside expressway; consistent with "
                "150 km Fengdu-Chongqing (cited) minus ~100 km Fuling-Chongqing (wulaqu.com, low quality)",
            )
        ],
    ),
    (
        "fengdu",
        "ext_wanzhou",
        "万州区(区域应急中心)",
        "Wanzhou (regional emergency centre)",
        30.808,
        108.408,
        _EXT_COORD,
        "004 L181/L358 (regional emergency centre)",
        [
            (
                "三合街道",
                "expressway",
                "",
                80,
                2,
                None,
                1.3,
                "ASSUMPTION: great-circle x 1.3; route (G5021/G50 via 石柱-忠县) not verified",
            )
        ],
    ),
    (
        "fengdu",
        "ext_chongqing_centre",
        "重庆中心城区",
        "Chongqing central city",
        29.557,
        106.577,
        _EXT_COORD,
        "municipal centre (004)",
        [
            (
                "三合街道",
                "expressway",
                "G5021 石渝高速(沿江)",
                80,
                2,
                150.0,
                None,
                "Fengdu '150 km on land' from the principal urban area of Chongqing "
                "(wenxuecity Fengdu county book, English intro)",
            )
        ],
    ),
    (
        "beibei",
        "ext_chongqing_centre",
        "重庆中心城区(解放碑)",
        "Chongqing central city (Jiefangbei)",
        29.557,
        106.577,
        _EXT_COORD,
        "municipal centre (004)",
        [
            (
                "东阳街道",
                "expressway",
                "G75 渝武高速",
                80,
                2,
                None,
                1.3,
                "ASSUMPTION: great-circle x 1.3; cross-check: 缙云山 reserve 35 km (jinyunshan.com) / "
                "45 km (doczj.com) from the city centre",
            )
        ],
    ),
    (
        "fengdu",
        "ext_qianjiang",
        "黔江区(区域应急中心)",
        "Qianjiang (regional emergency centre)",
        29.533,
        108.771,
        _EXT_COORD,
        "004 L181/L358 (regional emergency centre for south-east Chongqing); the municipal forest "
        "aviation station's 渝东南 base at 黔江武陵山机场 (消防界 2018(1), 刘育锋 et al., mirror "
        "zgkjsz.com/page/2018/1021/8409260.shtml) is represented by this node",
        [
            (
                "三合街道",
                "expressway",
                "G50 沪渝 / 石黔高速 (via 石柱)",
                80,
                2,
                None,
                1.6,
                "ASSUMPTION: great-circle x 1.6 (mountain expressways via 石柱; route and length "
                "not verified)",
            )
        ],
    ),
    (
        "fengdu",
        "ext_wharf_geohazard",
        "地质灾害应急专用码头(三峡库区)",
        "Geo-hazard emergency wharf (Three Gorges reservoir)",
        30.790,
        108.380,
        "ASSUMPTION: 004 L363 plans a 地质灾害应急专用码头 without a site; placed on the Yangtze at "
        "Wanzhou, where 长江万州航道处 keeps emergency boats for reservoir geo-hazards "
        "(jszhaobiao.com 2025, '三峡库区地质灾害航运应急现场指挥部')",
        "004 L363 (geo-hazard emergency wharf); boats of the reservoir area",
        [
            (
                "ext_wanzhou",
                "local",
                "",
                None,
                None,
                None,
                1.3,
                "ASSUMPTION: great-circle x 1.3 from the Wanzhou centre to the riverside wharf",
            )
        ],
    ),
    (
        "beibei",
        "ext_hechuan",
        "合川区",
        "Hechuan (neighbouring district)",
        29.972,
        106.276,
        _EXT_COORD,
        "neighbour on G75 (gazetteer README)",
        [
            (
                "澄江镇",
                "expressway",
                "G75 渝武高速复线",
                80,
                2,
                None,
                1.3,
                "ASSUMPTION: great-circle x 1.3",
            )
        ],
    ),
    *[
        (
            d,
            "ext_airbase_longxing",
            "重庆市森林航空护林站龙兴基地(龙兴通用机场)",
            "Chongqing forest aviation station, Longxing base (Longxing general-aviation airport)",
            29.700,
            106.830,
            "ASSUMPTION: 龙兴镇, 渝北区 (approximate point, general geographic knowledge); used "
            "for drawing and flight distances",
            AIRBASE_ROLE,
            [AIRBASE_LINK],
        )
        for d in ("bishan", "nanan", "beibei")
    ],
]

# ---------------------------------------------------------------------------
# Helpers
# ---------------------------------------------------------------------------


def slug(text: str) -> str:
    """ASCII slug: lowercase, diacritics folded, spaces -> underscore."""
    t = unicodedata.normalize("NFKD", text)
    t = "".join(c for c in t if not unicodedata.combining(c))
    t = t.lower().replace("'", "").replace("’", "")
    out = []
    for c in t:
        if c.isalnum() and c.isascii():
            out.append(c)
        elif c in " -_":
            out.append("_")
    s = "".join(out)
    while "__" in s:
        s = s.replace("__", "_")
    return s.strip("_")


def haversine_m(lat1, lon1, lat2, lon2) -> float:
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dphi = p2 - p1
    dl = math.radians(lon2 - lon1)
    a = math.sin(dphi / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_R_M * math.asin(min(1.0, math.sqrt(a)))


def gabriel_edges(
    names: list[str], coords: dict[str, tuple[float, float]]
) -> list[tuple[str, str]]:
    """Gabriel graph on a local equirectangular projection (metres)."""
    if len(names) < 2:
        return []
    lat0 = float(np.mean([coords[n][0] for n in names]))
    k = math.cos(math.radians(lat0))
    xy = {
        n: np.array(
            [math.radians(coords[n][1]) * k * EARTH_R_M, math.radians(coords[n][0]) * EARTH_R_M]
        )
        for n in names
    }
    edges = []
    for i, a in enumerate(names):
        for b in names[i + 1 :]:
            mid = (xy[a] + xy[b]) / 2.0
            r2 = float(np.sum((xy[a] - xy[b]) ** 2)) / 4.0
            ok = True
            for c in names:
                if c in (a, b):
                    continue
                if float(np.sum((xy[c] - mid) ** 2)) < r2 * (1.0 - 1e-9):
                    ok = False
                    break
            if ok:
                edges.append((a, b))
    return edges


def read_gazetteer(path: Path):
    with open(path, newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    total = [r for r in rows if r["name_zh"] == "(district total)"]
    divs = [r for r in rows if r["name_zh"] != "(district total)"]
    if len(total) != 1:
        raise SystemExit(f"{path}: expected one (district total) row")
    return divs, total[0]


def _median(vals):
    v = sorted(vals)
    n = len(v)
    return v[n // 2] if n % 2 else (v[n // 2 - 1] + v[n // 2]) / 2.0


def fill_populations(district, divs, total_pop):
    """Return {name_zh: (population, population_source)}."""
    out = {}
    missing = []
    for r in divs:
        if r["population"]:
            yr = r["population_year"]
            kind = "registered (户籍) end-2022" if district == "fengdu" else f"{yr} census"
            out[r["name_zh"]] = (int(r["population"]), f"gazetteer ({kind}; {r['name_zh']} row)")
        elif r["name_zh"] in POP_CITED.get(district, {}):
            out[r["name_zh"]] = POP_CITED[district][r["name_zh"]]
        else:
            missing.append(r)
    if not missing:
        return out
    rule = POP_RULE[district]
    known_gaz = [int(r["population"]) for r in divs if r["population"]]
    if rule == "even":
        rem = total_pop - sum(known_gaz)
        each = int(round(rem / len(missing)))
        for r in missing:
            out[r["name_zh"]] = (
                each,
                (
                    f"ASSUMPTION: even split of the remainder of the 2020 census total "
                    f"({total_pop:,} - {sum(known_gaz):,} with figures = {rem:,}) over the "
                    f"{len(missing)} divisions without a figure (mixes 2010/2020 figures)"
                ),
            )
    elif rule == "even_minus_removed":
        rem = total_pop - BEIBEI_REMOVED_KNOWN - sum(known_gaz)
        each = int(round(rem / len(missing)))
        for r in missing:
            out[r["name_zh"]] = (
                each,
                (
                    f"ASSUMPTION: even split over the {len(missing)} divisions without a figure of "
                    f"{rem:,} = 2020 census total on the OLD boundary {total_pop:,} - 蔡家岗 "
                    f"{BEIBEI_REMOVED_KNOWN:,} (moved out Nov 2025) - {sum(known_gaz):,} (朝阳+北温泉)"
                ),
            )
    elif rule == "median":
        med = int(round(_median(known_gaz)))
        for r in missing:
            out[r["name_zh"]] = (
                med,
                (
                    "ASSUMPTION: median of the district's division figures "
                    f"({med:,}); the remainder of the 2020 total is negative because the "
                    "gazetteer mixes 2010 and 2020 census figures"
                ),
            )
    elif rule == "median_kind":
        for r in missing:
            same = [
                int(x["population"]) for x in divs if x["population"] and x["kind"] == r["kind"]
            ]
            med = int(round(_median(same)))
            out[r["name_zh"]] = (
                med,
                (
                    f"ASSUMPTION: median of the gazetteer figures of the other {r['kind']}s "
                    f"({med:,}, end-2022 registered); the remainder of the 2020 census total is "
                    "negative because registered figures exceed census figures"
                ),
            )
    else:  # pragma: no cover
        raise ValueError(rule)
    return out


# ---------------------------------------------------------------------------
# Build one district
# ---------------------------------------------------------------------------


def build_district(district: str, gaz_dir: Path, include_planned: bool) -> nx.Graph:
    meta = DISTRICT_META[district]
    divs, total = read_gazetteer(gaz_dir / f"{district}.csv")
    total_pop = int(total["population"])
    pops = fill_populations(district, divs, total_pop)

    # ---- town nodes -------------------------------------------------------
    towns = {}  # name_zh -> dict
    for r in divs:
        nz = r["name_zh"]
        if r["lat"] and r["lon"]:
            lat, lon = float(r["lat"]), float(r["lon"])
            csrc = f"gazetteer ({nz} row; see its notes for the upstream source)"
        elif nz in COORD_FILL.get(district, {}):
            lat, lon, csrc = COORD_FILL[district][nz]
        else:
            raise SystemExit(f"{district}: no coordinate for {nz}")
        towns[nz] = dict(
            id=slug(r["name_pinyin"]),
            kind=r["kind"],
            name_zh=nz,
            name_en=r["name_pinyin"],
            lat=float(lat),
            lon=float(lon),
            population=int(pops[nz][0]),
            coord_source=csrc,
            population_source=pops[nz][1],
        )
    ids = [t["id"] for t in towns.values()]
    if len(set(ids)) != len(ids):
        raise SystemExit(f"{district}: duplicate slugs {ids}")
    coords = {n: (t["lat"], t["lon"]) for n, t in towns.items()}
    order = [r["name_zh"] for r in divs]  # gazetteer order

    # ---- banks ------------------------------------------------------------
    bank_of = {n: "_" for n in order}
    if district in BANKS:
        for b, members in BANKS[district].items():
            for m in members:
                if m not in towns:
                    raise SystemExit(f"{district}: bank table names unknown {m}")
                bank_of[m] = b
        left = [n for n in order if bank_of[n] == "_"]
        if left:
            raise SystemExit(f"{district}: no bank for {left}")

    # ---- candidate local links: Gabriel graph per bank --------------------
    links = {}  # frozenset(a,b) -> dict(kind=..)

    def key(a, b):
        return tuple(sorted((a, b), key=order.index))

    for b in sorted(set(bank_of.values())):
        members = [n for n in order if bank_of[n] == b]
        for a, c in gabriel_edges(members, coords):
            links[key(a, c)] = dict(src="gabriel", name="", cls=None, source="")
    for d, a, c, _why, *_ in REMOVE_LINKS:
        if d == district:
            links.pop(key(a, c), None)

    # bridges
    for d, a, c, name, cls, fac, src in BRIDGES:
        if d != district:
            continue
        links[key(a, c)] = dict(src="bridge", name=name, cls=cls, source=src, factor=fac)
    # national-road overrides
    for d, a, c, name, src in NATIONAL:
        if d != district:
            continue
        k = key(a, c)
        if k in links:
            links[k].update(name=name, cls="national", source=src)
        else:
            if bank_of[a] != bank_of[c]:
                raise SystemExit(f"national link {a}-{c} crosses a river")
            links[k] = dict(src="national", name=name, cls="national", source=src)

    # hand-added local links
    for d, a, c, cls, name, src in EXTRA_LINKS:
        if d != district:
            continue
        if bank_of[a] != bank_of[c]:
            raise SystemExit(f"extra link {a}-{c} crosses a river")
        k = key(a, c)
        if k in links:
            raise SystemExit(f"extra link {a}-{c} already generated")
        links[k] = dict(src="extra", name=name, cls=cls, source=src)

    # ---- detour factors (calibration) ------------------------------------
    factors = {k: v for k, v in DETOUR.items() if v is not None}

    def zone_of(a, c):
        if district == "fengdu":
            return "fengdu_north" if (bank_of[a] == "N" and bank_of[c] == "N") else "fengdu_south"
        if district == "beibei":
            return "beibei_city" if (a in BEIBEI_CITY and c in BEIBEI_CITY) else "beibei"
        return district

    def link_factor(a, c, lk):
        """(factor, zone) for a non-expressway link; zone None for fixed bridge factors."""
        if lk["src"] == "bridge" and lk.get("factor"):
            return lk["factor"], None
        z = zone_of(a, c)
        return factors.get(z), z

    calib_notes = {}
    for d, zone, o, t, km, src in CALIBRATION:
        if d != district:
            continue
        H = nx.Graph()
        for (a, c), lk in links.items():
            H.add_edge(a, c, w=haversine_m(*coords[a], *coords[c]), l=lk)
        path = nx.shortest_path(H, o, t, weight="w")
        fixed, var = 0.0, 0.0
        for a, c in zip(path, path[1:], strict=False):
            e = H.edges[a, c]
            f, z = link_factor(a, c, e["l"])
            if z == zone:
                var += e["w"]
            else:
                if f is None:
                    raise SystemExit(f"calibration path {o}->{t} uses uncalibrated zone {z}")
                fixed += e["w"] * f
        calib_notes.setdefault(zone, []).append(
            ((km * 1000.0 - fixed) / var, o, t, km, src, var, fixed, path)
        )
    for zone, lst in calib_notes.items():
        factors[zone] = round(float(np.mean([x[0] for x in lst])), 3)
    calib_report = {
        z: [(o, t, km, round(f, 3), " > ".join(p)) for (f, o, t, km, _s, _v, _f, p) in lst]
        for z, lst in calib_notes.items()
    }

    def zone_note(zone):
        if zone in calib_notes:
            parts = "; ".join(
                f"{o}->{t}: (real {km:g} km - {fx / 1000:.1f} km modelled in other zones) / "
                f"{gc / 1000:.1f} km great-circle = {f:.3f} ({src})"
                for (f, o, t, km, src, gc, fx, _) in calib_notes[zone]
            )
            return f"calibrated: mean of [{parts}]"
        return {
            "bishan": "ASSUMPTION 1.3 (hilly valley; Newell 1980 urban ~1.2)",
            "nanan": "ASSUMPTION 1.3 (urban ~1.2 per Newell 1980 plus 南山 relief)",
            "fengdu_north": "ASSUMPTION 1.5 (hills north of the Yangtze)",
            "beibei_city": "ASSUMPTION 1.3 (compact urban core)",
        }[zone]

    # ---- graph ------------------------------------------------------------
    G = nx.Graph()
    G.graph.update(
        district=district,
        name_zh=meta["name_zh"],
        name_en=meta["name_en"],
        population_total=total_pop,
        source=meta["source"],
    )

    def add_node(nid, **attrs):
        base = dict(
            kind="",
            name_zh="",
            name_en="",
            lat=0.0,
            lon=0.0,
            population=0,
            town="",
            coord_source="",
            population_source="",
            external=False,
            forest_area_ha=0.0,
            walk_in_m=0.0,
        )
        base.update(attrs)
        base["lat"] = round(float(base["lat"]), 6)
        base["lon"] = round(float(base["lon"]), 6)
        base["population"] = int(base["population"])
        base["forest_area_ha"] = round(float(base["forest_area_ha"]), 1)
        base["walk_in_m"] = round(float(base["walk_in_m"]), 1)
        base["external"] = bool(base["external"])
        if nid in G:
            raise SystemExit(f"{district}: duplicate node {nid}")
        G.add_node(nid, **base)

    for n in order:
        t = towns[n]
        add_node(
            t["id"],
            kind=t["kind"],
            name_zh=n,
            name_en=t["name_en"],
            lat=t["lat"],
            lon=t["lon"],
            population=t["population"],
            town=t["id"],
            coord_source=t["coord_source"],
            population_source=t["population_source"],
        )
    tid = {n: towns[n]["id"] for n in order}
    terrain = meta["terrain"]
    seat = meta["seat"]

    def edge_terrain(a, c):
        if district == "fengdu":
            return "hill" if zone_of(a, c) == "fengdu_north" else "mountain"
        return terrain

    def add_edge(u, v, **attrs):
        attrs["length_m"] = round(float(attrs["length_m"]), 1)
        attrs["speed_kmh"] = float(attrs["speed_kmh"])
        attrs["capacity_vph"] = float(attrs["capacity_vph"])
        attrs["detour_factor"] = round(float(attrs["detour_factor"]), 3)
        if G.has_edge(u, v):
            raise SystemExit(f"{district}: duplicate edge {u}-{v}")
        G.add_edge(u, v, **attrs)

    def cap_for(cls, terr):
        tab = CAPACITY_VPH[cls]
        return tab.get(terr, tab["default"])

    # local/national/bridge links
    for a, c in sorted(links, key=lambda k: (order.index(k[0]), order.index(k[1]))):
        lk = links[(a, c)]
        gc = haversine_m(*coords[a], *coords[c])
        terr = edge_terrain(a, c)
        cls = lk["cls"]
        if cls is None:
            if (
                a == seat
                or c == seat
                or (towns[a]["kind"] == "street" and towns[c]["kind"] == "street")
            ):
                cls = "provincial"
                why = "rule: link touching the seat or joining two streets -> provincial"
            else:
                cls = "county"
                why = "rule: other town/township links -> county"
        else:
            why = lk["source"]
        fac, z = link_factor(a, c, lk)
        fnote = zone_note(z) if z else "ASSUMPTION 1.2 (direct bridge link)"
        lsrc = f"great-circle x detour ({fnote})"
        if lk["src"] == "gabriel":
            lsrc += "; link from Gabriel graph of seats"
        elif lk["src"] == "extra":
            lsrc += f"; hand-added link: {lk['source']}"
        add_edge(
            tid[a],
            tid[c],
            length_m=gc * fac,
            speed_kmh=SPEED_KMH[cls][terr],
            road_class=cls,
            capacity_vph=cap_for(cls, terr),
            name=lk["name"],
            detour_factor=fac,
            length_source=lsrc + f"; class: {why}",
        )

    # expressways (separate, parallel to local links where both exist -> keep the
    # faster one as the single undirected edge; the slower local link is dropped
    # only if it joins the same pair)
    for d, a, c, name, vd, lanes, km, fac, src, planned in EXPRESSWAYS:
        if d != district or (planned and not include_planned):
            continue
        gc = haversine_m(*coords[a], *coords[c])
        if km is not None:
            length = km * 1000.0
            f_used = length / gc
            lsrc = f"cited: {src}"
        else:
            f_used = fac or EXPRESSWAY_DETOUR
            length = gc * f_used
            lsrc = f"great-circle x detour (ASSUMPTION {f_used} for expressways); route: {src}"
        u, v = tid[a], tid[c]
        if G.has_edge(u, v):
            G.remove_edge(u, v)  # Graph allows one edge per pair: the expressway replaces it
            lsrc += "; replaces the parallel local link of the same pair"
        add_edge(
            u,
            v,
            length_m=length,
            speed_kmh=float(vd or EXPRESSWAY_DEFAULT_SPEED),
            road_class="expressway",
            capacity_vph=float(lanes * KHCM_EXPWY_PCPHPL[int(vd or EXPRESSWAY_DEFAULT_SPEED)]),
            name=name,
            detour_factor=f_used,
            length_source=lsrc,
        )

    # ---- POIs -------------------------------------------------------------
    for d, pid, kind, nz, ne, town_zh, spur, src in POIS:
        if d != district:
            continue
        t = towns[town_zh]
        add_node(
            pid,
            kind=kind,
            name_zh=nz,
            name_en=ne,
            lat=t["lat"],
            lon=t["lon"],
            population=0,
            town=t["id"],
            coord_source=f"ASSUMPTION: at the {town_zh} seat point; {src}",
            population_source="non-settlement node (0)",
        )
        terr = edge_terrain(town_zh, town_zh)
        add_edge(
            pid,
            t["id"],
            length_m=spur,
            speed_kmh=SPEED_KMH["local"][terr],
            road_class="local",
            capacity_vph=cap_for("local", terr),
            name="",
            detour_factor=1.0,
            length_source=f"ASSUMPTION: {spur:.0f} m in-town access spur",
        )

    # ---- forest zones -----------------------------------------------------
    for d, fid, nz, ne, lat, lon, csrc, area, asrc, walk, wsrc in FORESTS:
        if d != district:
            continue
        # nearest town seat (great-circle), tie-break by gazetteer order
        best = min(
            order, key=lambda n: (round(haversine_m(lat, lon, *coords[n]), 3), order.index(n))
        )
        add_node(
            fid,
            kind="forest_zone",
            name_zh=nz,
            name_en=ne,
            lat=lat,
            lon=lon,
            population=0,
            town=tid[best],
            coord_source=csrc,
            population_source="non-settlement node (0)",
            forest_area_ha=area,
            walk_in_m=walk,
        )
        G.nodes[fid]["coord_source"] += f"; area: {asrc}; walk_in_m: {wsrc}"
        z = zone_of(best, best) if district != "beibei" else "beibei"
        terr = edge_terrain(best, best)
        fac = factors[z]
        gc = haversine_m(lat, lon, *coords[best])
        add_edge(
            fid,
            tid[best],
            length_m=gc * fac,
            speed_kmh=SPEED_KMH["local"][terr],
            road_class="local",
            capacity_vph=cap_for("local", terr),
            name="",
            detour_factor=fac,
            length_source=(
                f"great-circle x detour ({zone_note(z)}) from the nearest seat "
                f"({best}) to the assumed access point"
            ),
        )

    # ---- junctions ---------------------------------------------------------
    for d, jid, nz, ne, lat, lon, csrc, town_zh, jlinks in JUNCTIONS:
        if d != district:
            continue
        add_node(
            jid,
            kind="junction",
            name_zh=nz,
            name_en=ne,
            lat=lat,
            lon=lon,
            population=0,
            town=tid[town_zh],
            coord_source=csrc,
            population_source="non-settlement node (0)",
        )
        for tz, cls, name, vd, lanes, km, fac, src in jlinks:
            gc = haversine_m(lat, lon, *coords[tz])
            if cls == "expressway":
                f_used = fac or EXPRESSWAY_DETOUR
                length = km * 1000.0 if km else gc * f_used
                sp, cap = float(vd), float(lanes * KHCM_EXPWY_PCPHPL[int(vd)])
                lsrc = f"great-circle x detour ({src})"
            else:
                z = zone_of(tz, tz)
                f_used = factors[z]
                length = gc * f_used
                terr = edge_terrain(tz, tz)
                sp, cap = float(SPEED_KMH[cls][terr]), cap_for(cls, terr)
                lsrc = f"great-circle x detour ({zone_note(z)}); {src}"
            add_edge(
                jid,
                tid[tz],
                length_m=length,
                speed_kmh=sp,
                road_class=cls,
                capacity_vph=cap,
                name=name,
                detour_factor=f_used,
                length_source=lsrc,
            )

    # ---- external nodes ---------------------------------------------------
    for d, eid, nz, ne, lat, lon, csrc, why, elinks in EXTERNALS:
        if d != district:
            continue
        add_node(
            eid,
            kind=EXTERNAL_KIND.get(eid, "regional_centre"),
            name_zh=nz,
            name_en=ne,
            lat=lat,
            lon=lon,
            population=0,
            town="",
            coord_source=csrc,
            population_source=f"external node, population not modelled (0); role: {why}",
            external=True,
        )
        for town_zh, cls, name, vd, lanes, km, fac, src in elinks:
            node_link = town_zh not in tid  # linked to another node id (external or POI)
            if node_link:
                end = G.nodes[town_zh]
                gc = haversine_m(lat, lon, end["lat"], end["lon"])
            else:
                gc = haversine_m(lat, lon, *coords[town_zh])
            if km is not None:
                length, f_used, lsrc = km * 1000.0, km * 1000.0 / gc, f"cited: {src}"
            else:
                length, f_used, lsrc = gc * fac, fac, f"great-circle x detour ({src})"
            if cls == "expressway":
                sp = float(vd)
                cap = float(lanes * KHCM_EXPWY_PCPHPL[int(vd)])
            else:
                terr = terrain if node_link else edge_terrain(town_zh, town_zh)
                sp = float(SPEED_KMH[cls][terr])
                cap = cap_for(cls, terr)
            add_edge(
                eid,
                town_zh if node_link else tid[town_zh],
                length_m=length,
                speed_kmh=sp,
                road_class=cls,
                capacity_vph=cap,
                name=name,
                detour_factor=f_used,
                length_source=lsrc,
            )

    used = {z: f for z, f in factors.items() if z == district or z.startswith(district + "_")}
    return _canonical(G), dict(factors=used, calibration=calib_report)


def _canonical(G: nx.Graph) -> nx.Graph:
    """Rebuild with deterministic node/edge order and attribute order."""
    H = nx.Graph()
    H.graph.update({k: G.graph[k] for k in sorted(G.graph)})
    for n in G.nodes:  # insertion order is already deterministic
        H.add_node(n, **{k: G.nodes[n][k] for k in sorted(G.nodes[n])})
    pos = {n: i for i, n in enumerate(G.nodes)}
    edges = []
    for u, v, d in G.edges(data=True):
        if pos[u] > pos[v]:
            u, v = v, u
        edges.append((pos[u], pos[v], u, v, d))
    for _, _, u, v, d in sorted(edges, key=lambda e: (e[0], e[1])):
        H.add_edge(u, v, **{k: d[k] for k in sorted(d)})
    return H


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument(
        "--gazetteer",
        type=Path,
        default=DEFAULT_GAZ,
        help="directory with the gazetteer CSVs (default: %(default)s)",
    )
    ap.add_argument(
        "--out", type=Path, default=HERE, help="output directory (default: %(default)s)"
    )
    ap.add_argument(
        "--include-planned",
        action="store_true",
        help="also build links under construction (Fengdu 游轮辅港-南天湖高速)",
    )
    ap.add_argument("--no-check", action="store_true", help="skip the self-check")
    args = ap.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    written = []
    for d in DISTRICTS:
        G, used = build_district(d, args.gazetteer, args.include_planned)
        path = args.out / f"{d}.graphml"
        tmp = path.with_suffix(".graphml.tmp")
        # write_graphml_xml, not write_graphml: the latter switches to lxml when it is
        # installed, whose layout differs, and the shipped files must be byte-reproducible.
        nx.write_graphml_xml(G, tmp, encoding="utf-8", prettyprint=True)
        os.replace(tmp, path)
        written.append(path)
        print(
            f"{d}: {G.number_of_nodes()} nodes, {G.number_of_edges()} edges -> {path} "
            f"[detour factors: {used['factors']}]"
        )
        for z, lst in used["calibration"].items():
            for o, t, km, f, p in lst:
                print(f"    calibration {z}: {o}->{t} {km:g} km -> {f} via {p}")
    if not args.no_check:
        sys.path.insert(0, str(HERE))
        sys.dont_write_bytecode = True
        import check_networks  # noqa: E402

        return check_networks.main([str(p) for p in written])
    return 0


if __name__ == "__main__":
    sys.exit(main())
