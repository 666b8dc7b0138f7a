"""Verdict logic at the edges: PASS/FAIL/INCONCLUSIVE/NOT MODELLED/INPUT and provenance."""

from __future__ import annotations

import math

import numpy as np
import pytest

from sim.config import TargetConfig
from sim.core.kpi import COMPUTED, INPUT, KpiSpec, share
from sim.run.metrics import kpi_specs
from sim.run.targets import (
    FAIL,
    INCONCLUSIVE,
    INPUT_ECHO,
    NOT_MODELLED,
    PASS,
    TargetResult,
    evaluate,
    verdict,
)

SPECS = kpi_specs()


@pytest.mark.parametrize(
    "est, lo, hi, cmp, thr, expected",
    [
        (0.97, 0.96, 0.98, ">=", 0.95, PASS),
        (0.95, 0.95, 0.97, ">=", 0.95, PASS),  # lower bound exactly on the threshold
        (0.95, 0.94, 0.96, ">=", 0.95, INCONCLUSIVE),
        (0.90, 0.88, 0.9499, ">=", 0.95, FAIL),
        (0.95, 0.95, 0.96, ">", 0.95, INCONCLUSIVE),  # strict: the bound itself fails
        (0.2, 0.1, 0.3, "<=", 0.3, PASS),
        (0.3, 0.2, 0.31, "<=", 0.3, INCONCLUSIVE),
        (0.5, 0.31, 0.7, "<=", 0.3, FAIL),
        (math.nan, math.nan, math.nan, ">=", 1, NOT_MODELLED),
        (0.5, math.nan, math.nan, ">=", 1, INCONCLUSIVE),  # one replication: no interval
    ],
)
def test_verdict_edges(est, lo, hi, cmp, thr, expected):
    assert verdict(est, lo, hi, cmp, thr) == expected


def test_mean_target_t_interval_and_constant_values_collapse():
    t = TargetConfig(metric="response_mean_min", comparator="<=", threshold=45)
    r = evaluate("w", t, {"response_mean_min": np.full(5, 30.0)}, SPECS)
    assert r.verdict == PASS and r.ci_low == r.ci_high == 30.0
    x = np.array([40.0, 50.0, 44.0, 52.0])
    r = evaluate("w", t, {"response_mean_min": x}, SPECS)
    assert r.verdict == INCONCLUSIVE and r.n == 4
    half = 3.1824463 * np.std(x, ddof=1) / 2  # t(0.975, 3)
    assert r.ci_high - r.estimate == pytest.approx(half, rel=1e-6)
    assert r.replications_needed == math.ceil(4 * (half / abs(x.mean() - 45)) ** 2)


def test_count_interval_never_below_zero():
    t = TargetConfig(metric="evac_caught_people", comparator="<=", threshold=5)
    r = evaluate("c", t, {"evac_caught_people": np.array([0.0, 0, 0, 0, 12])}, SPECS)
    assert r.ci_low == 0.0 and "truncated" in r.method


def test_pooled_share_uses_the_replication_as_the_unit():
    t = TargetConfig(metric="fires_out_24h_share", comparator=">=", threshold=0.95)
    kpis = {"fires_out_24h": np.array([99.0, 98, 100, 97] * 2), "fires": np.array([100.0] * 8)}
    r = evaluate("f", t, kpis, SPECS)
    assert r.estimate == pytest.approx(0.985)
    assert 0.95 <= r.ci_low < 0.985 < r.ci_high <= 1.0 and "delta method" in r.method
    assert r.verdict == PASS


def test_absent_events_are_not_modelled_never_inconclusive():
    t = TargetConfig(metric="needs_met_24h_share", comparator=">=", threshold=1.0)
    r = evaluate(
        "n", t, {"people_needs_met_24h": np.zeros(5), "people_judged_24h": np.zeros(5)}, SPECS
    )
    assert r.verdict == NOT_MODELLED and "no people_judged_24h" in r.note
    t = TargetConfig(metric="burned_share_permille", comparator="<=", threshold=0.3)
    assert evaluate("b", t, {"other": np.ones(3)}, SPECS).verdict == NOT_MODELLED
    r = evaluate("b", t, {"burned_share_permille": np.full(3, np.nan)}, SPECS)
    assert r.verdict == NOT_MODELLED


def test_edge_target_at_100_percent_judged_by_observed_failures():
    t = TargetConfig(metric="needs_met_24h_share", comparator=">=", threshold=1.0)
    met = np.array([2937.0, 2938, 2936, 2937, 2937])
    r = evaluate("n", t, {"people_needs_met_24h": met, "people_judged_24h": met}, SPECS)
    assert r.verdict == PASS and r.ci_high == 1.0
    judged = met.copy()
    judged[2] += 1
    r = evaluate("n", t, {"people_needs_met_24h": met, "people_judged_24h": judged}, SPECS)
    assert r.verdict == FAIL and r.margin < 0


def test_zero_count_edge_target():
    t = TargetConfig(metric="evac_caught_people", comparator="<=", threshold=0)
    assert evaluate("c", t, {"evac_caught_people": np.zeros(4)}, SPECS).verdict == PASS
    r = evaluate("c", t, {"evac_caught_people": np.array([0.0, 0, 3, 0])}, SPECS)
    assert r.verdict == FAIL


def test_input_echo_is_never_a_verdict():
    t = TargetConfig(metric="warning_lead_min", comparator=">=", threshold=45)
    r = evaluate("w", t, {"warning_lead_min": np.full(5, 45.0)}, SPECS)
    assert r.verdict == INPUT_ECHO and r.provenance == INPUT


def test_provenance_comes_from_the_kpi_spec():
    specs = {"stock": KpiSpec(provenance=COMPUTED), "s": share(("a", "b"))}
    t = TargetConfig(metric="stock", comparator=">=", threshold=10)
    assert evaluate("k", t, {"stock": np.full(3, 12.0)}, specs).provenance == COMPUTED
    t = TargetConfig(metric="s", comparator=">=", threshold=0.5)
    r = evaluate("k", t, {"a": np.array([5.0, 6.0, 7.0]), "b": np.full(3, 10.0)}, specs)
    assert r.provenance == "simulated" and r.estimate == pytest.approx(0.6)


def test_explicit_numerator_denominator_still_pool():
    t = TargetConfig(
        metric="x_share", comparator=">=", threshold=0.5, numerator="ok", denominator="all"
    )
    r = evaluate("x", t, {"ok": np.array([1.0, 2, 3]), "all": np.array([2.0, 4, 6])}, {})
    # the same share in every replication: the exact binomial interval over the 12 events
    # (scipy.stats.binomtest(6, 12).proportion_ci(method="exact"))
    assert r.estimate == 0.5 and "Clopper-Pearson" in r.method
    assert (r.ci_low, r.ci_high) == pytest.approx((0.2109446, 0.7890554), abs=1e-6)
    assert r.verdict == INCONCLUSIVE


def test_every_fire_out_in_every_replication_is_not_a_zero_width_interval():
    """58 fires in 10 replications, all out within 24 h: no replication varies, but 58 of 58
    bounds the share only down to 0.938 (exact binomial), so >= 0.95 is not yet shown."""
    fires = np.array([6.0, 5, 6, 6, 5, 6, 6, 6, 6, 6])
    kpis = {"fires_out_24h": fires, "fires": fires}
    t = TargetConfig(metric="fires_out_24h_share", comparator=">=", threshold=0.95)
    r = evaluate("f", t, kpis, SPECS)
    assert r.estimate == 1.0 and r.ci_high == 1.0
    assert r.ci_low == pytest.approx(0.025 ** (1 / 58))
    assert r.verdict == INCONCLUSIVE and r.replications_needed > 10
    t = TargetConfig(metric="fires_out_24h_share", comparator=">=", threshold=0.9)
    assert evaluate("f", t, kpis, SPECS).verdict == PASS
    many = {k: np.tile(v, 5) for k, v in kpis.items()}  # 290 of 290 fires in 50 replications
    t = TargetConfig(metric="fires_out_24h_share", comparator=">=", threshold=0.95)
    assert evaluate("f", t, many, SPECS).verdict == PASS


def test_an_edge_target_passed_says_how_likely_a_failing_replication_still_is():
    t = TargetConfig(metric="evac_deaths", comparator="<=", threshold=0)
    r = evaluate("d", t, {"evac_deaths": np.zeros(10)}, SPECS)
    assert r.verdict == PASS and "below 31%" in r.note  # 1 - 0.025 ** (1 / 10) = 0.3085
    r = evaluate("d", t, {"evac_deaths": np.zeros(100)}, SPECS)
    assert "below 4%" in r.note


def test_bootstrap_interval_for_skewed_metrics_stays_in_range():
    x = np.array([0.0] * 8 + [5.0, 120.0] + [0.0] * 8 + [5.0, 0.0])  # (BCa from 20)
    t = TargetConfig(metric="burned_share_permille", comparator="<=", threshold=0.3)
    r10 = evaluate("b", t, {"burned_share_permille": x[:10]}, SPECS)
    assert r10.method == "mean (t: n < 20 for BCa), truncated to range" and r10.ci_low == 0.0
    r = evaluate("b", t, {"burned_share_permille": x}, SPECS)
    assert "BCa" in r.method and 0.0 <= r.ci_low < x.mean() < r.ci_high <= 120.0
    assert r.verdict == INCONCLUSIVE
    assert evaluate("b", t, {"burned_share_permille": x}, SPECS).ci_low == r.ci_low  # fixed seed


def test_a_per_mille_goal_shows_its_unit():
    """0.3 is 0.3‰ (森林火灾受害率): printed bare, planners read it as a share or a percentage."""
    from sim.run.targets import goal_text

    assert goal_text("<=", 0.3, "damaged_share_permille") == "<= 0.3‰"
    assert goal_text(">=", 0.95, "fires_out_24h_share") == ">= 0.95"
    assert goal_text(">=", 45, "") == ">= 45"


def test_a_verdict_names_the_assumed_inputs_that_alone_decide_it():
    """Bishan's town storage points are stocked to the 200-person standard by ASSUMPTION
    (the plan only plans them), so their PASS checks that assumption: the verdict says so.
    A verdict the dynamics decide (rescue response) names none."""
    from sim.cli import compose_config
    from sim.run.app import default_choices, mark_assumed_inputs, typed_config

    conf = typed_config(compose_config(["scenario=flood_evacuation"]))

    def judged(metric: str) -> TargetResult:
        return TargetResult("k", metric, ">=", 1.0, "", "", 1.0, 1.0, 1.0, 10, PASS, "t")

    town, rescue, warned = (
        judged(m)
        for m in ("relief_stock_min_town_people", "share_within_standard", "evac_warned_share")
    )
    mark_assumed_inputs([town, rescue, warned], conf, default_choices(conf))
    assert town.assumed_inputs == [
        "layout.depots.town_batang.stock",
        "layout.depots.town_fulu.stock",
        "layout.depots.town_qinggang.stock",
        # what a person needs of each reserve item: one quilt, one bed by ASSUMPTION (the tent
        # share is sourced); the stock measure divides by them (reviewer: Beibei's FAIL on
        # quilts and beds named no assumption)
        "layout.relief.kit.folding_bed.per_person",
        "layout.relief.kit.quilt.per_person",
    ]
    assert "rests on assumed inputs" in town.note
    assert rescue.assumed_inputs == [] and rescue.note == ""
    assert "layout.evacuation.channels.sms.reach" in warned.assumed_inputs


def test_a_count_of_people_stays_within_the_population_it_counts():
    """Reviewer: people sheltered read 2,945 [2,887, 3,003] with exactly 3,000 at risk. A
    count bounded by a fixed population (the same in every replication) has its interval
    stop there; a bound that itself varies is an estimate, and caps nothing."""
    from sim.run.targets import estimate_metric

    sheltered = np.array([2990.0, 2860.0, 2985.0])
    kpis = {"evac_sheltered_people": sheltered, "evac_people_at_risk": np.full(3, 3000.0)}
    spec = kpi_specs()["evac_sheltered_people"]
    assert spec.upper_kpi == "evac_people_at_risk"
    est = estimate_metric("evac_sheltered_people", kpis, spec)
    assert est.high == 3000.0 and est.low < est.value < est.high
    assert "truncated to range" in est.method
    free = estimate_metric("evac_sheltered_people", kpis, KpiSpec())
    assert free.high > 3000.0 and free.low == est.low  # (what it read before)
    kpis["evac_people_at_risk"] = np.array([3000.0, 2990.0, 3010.0])
    assert estimate_metric("evac_sheltered_people", kpis, spec).high == free.high
    for name in ("evac_caught_people", "people_needs_met_24h", "warning_reached_in_time"):
        assert kpi_specs()[name].upper_kpi  # every count of people of a fixed population


def test_a_pooled_share_of_none_fails_when_some_replication_has_any():
    """Reviewer: a "<= 0" share target set through numerator/denominator read PASS (with a
    note that no replication failed) while people were caught in every replication: the
    edge rule looked for failing replications only for ">=" shares."""
    t = TargetConfig(
        metric="caught_share", comparator="<=", threshold=0, numerator="caught", denominator="all"
    )
    kpis = {"caught": np.array([30.0, 20, 25, 0, 15]), "all": np.full(5, 1000.0)}
    r = evaluate("c", t, kpis, {})
    assert r.verdict == FAIL and "none in" not in r.note
    kpis["caught"] = np.zeros(5)
    assert evaluate("c", t, kpis, {}).verdict == PASS


def test_one_replication_is_not_called_on_the_threshold_and_arithmetic_needs_no_interval():
    """Reviewer: with one replication every simulated target's note said "the estimate sits
    on the threshold" (0.0002 against 0.3), and arithmetic on the inputs (relief stock) read
    INCONCLUSIVE, though it has no sampling error (FAIL from 2 replications on)."""
    t = TargetConfig(metric="x", comparator="<=", threshold=0.3)
    r = evaluate("x", t, {"x": np.array([0.0002])}, {"x": KpiSpec(lower=0.0)})
    assert r.verdict == INCONCLUSIVE and "one replication gives no interval" in r.note
    t = TargetConfig(metric="stock", comparator=">=", threshold=5000)
    specs = {"stock": KpiSpec(provenance=COMPUTED)}
    for n in (1, 2):
        r = evaluate("s", t, {"stock": np.full(n, 4073.0)}, specs)
        assert r.verdict == FAIL and (r.ci_low, r.ci_high) == (4073.0, 4073.0), n


def test_a_time_never_reached_counts_at_the_runs_length_and_cannot_pass():
    """Reviewer: 2 of 10 Nan'an replications never sheltered 90%; the mean of the other 8
    read PASS against 6 h. Dropping them judged the time on the runs that went well only."""
    t = TargetConfig(metric="evac_time_to_90pct_sheltered_h", comparator="<=", threshold=6)
    times = np.array([3.5, 3.9, 4.9, 5.2, 5.2, 3.4, np.nan, 4.5, 3.7, np.nan])
    never = np.where(np.isnan(times), 47.0, np.nan)
    kpis = {"evac_time_to_90pct_sheltered_h": times}
    assert evaluate("t", t, kpis, SPECS).verdict == PASS  # (without the censoring KPI)
    kpis["evac_time_to_90pct_sheltered_censored_h"] = never
    r = evaluate("t", t, kpis, SPECS)
    assert r.estimate == pytest.approx((np.nansum(times) + 94) / 10) and r.n == 10
    assert r.verdict == INCONCLUSIVE and "2 of 10 replications never reached it" in r.note
    assert "47 h" in r.note and "lower bound" in r.method
    # a lower bound above the threshold is a FAIL, whatever the censored times really are
    # (20 replications: at 10 the t interval of these times reaches down to 0)
    t = TargetConfig(metric="evac_time_to_90pct_sheltered_h", comparator="<=", threshold=2)
    twenty = {k: np.tile(v, 2) for k, v in kpis.items()}
    assert evaluate("t", t, twenty, SPECS).verdict == FAIL
    assert evaluate("t", t, kpis, SPECS).verdict == INCONCLUSIVE
    # ... and a lower bound long enough passes a ">=" time
    t = TargetConfig(metric="evac_time_to_90pct_sheltered_h", comparator=">=", threshold=1)
    assert evaluate("t", t, twenty, SPECS).verdict == PASS
    # every replication reached it: the estimate is the plain mean, as before
    kpis["evac_time_to_90pct_sheltered_censored_h"] = np.full(10, np.nan)
    kpis["evac_time_to_90pct_sheltered_h"] = np.nan_to_num(times, nan=4.0)
    t = TargetConfig(metric="evac_time_to_90pct_sheltered_h", comparator="<=", threshold=6)
    r = evaluate("t", t, kpis, SPECS)
    assert r.verdict == PASS and "lower bound" not in r.method


def test_a_fire_rate_with_no_fire_in_any_replication_is_not_modelled():
    """Reviewer: the damaged share read 0 [0, 0] PASS in a run with no fires: it is zero by
    the ignition rate, and says nothing of the response."""
    t = TargetConfig(metric="damaged_share_permille", comparator="<=", threshold=0.3)
    kpis = {"damaged_share_permille": np.zeros(5), "fires": np.zeros(5)}
    r = evaluate("d", t, kpis, SPECS)
    assert r.verdict == NOT_MODELLED and r.note == "no fires in 5 replications"
    kpis["fires"] = np.array([0.0, 0, 1, 0, 0])
    assert evaluate("d", t, kpis, SPECS).verdict == PASS


def test_the_same_value_in_every_replication_says_no_spread_was_seen():
    """Reviewer: 0 [0, 0] from 2 replications read PASS against <= 1 as if the interval were
    measured; the note now says the spread was not seen, and how likely a different one is."""
    t = TargetConfig(metric="evac_evacuees_not_sheltered", comparator="<=", threshold=1)
    r = evaluate("e", t, {"evac_evacuees_not_sheltered": np.zeros(2)}, SPECS)
    assert r.verdict == PASS and "the same value in all 2 replications" in r.note
    assert "below 84%" in r.note  # 1 - 0.025 ** (1/2), exact binomial
    r = evaluate("e", t, {"evac_evacuees_not_sheltered": np.array([0.0, 0.5, 0.2])}, SPECS)
    assert "the same value" not in r.note
