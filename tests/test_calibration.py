"""Calibration of pairwise runs: MORE's ECE/ACE/MCE on hand-computed cases, temperature scaling, split."""

from __future__ import annotations

import math
from typing import Any

import pytest

from assay.metrics import calibration as cal


def pair(i: int | str, chosen: float, rejected: float) -> dict[str, Any]:
    return {"id": str(i), "subset": "s", "kind": "pair", "scores": {"chosen": chosen, "rejected": rejected}}


def logit(p: float) -> float:
    return math.log(p / (1 - p))


def test_one_pair_by_hand() -> None:
    # d = ln 3 -> p = 0.75 (y=1) and the swap 0.25 (y=0).
    # 5 uniform bins: 0.75 in (0.6, 0.8] (bin 3), 0.25 in (0.2, 0.4] (bin 1); each bin is off by 0.25.
    # ECE = (0.25 + 0.25) / 2 points = 0.25; ACE = mean(0.25, 0.25) = 0.25; MCE = 0.25.
    m = cal.calibration_metrics([pair(0, math.log(3), 0.0)], bins=(5,))
    b = m["bins"]["5"]
    assert m["n_pairs"] == 1 and m["n_points"] == 2
    assert b["ECE"] == pytest.approx(0.25) and b["ACE"] == pytest.approx(0.25) and b["MCE"] == pytest.approx(0.25)
    rel = b["reliability"]
    assert [r["count"] for r in rel] == [0, 1, 0, 1, 0]
    assert rel[3] == {
        "lower": pytest.approx(0.6),
        "upper": pytest.approx(0.8),
        "count": 1,
        "mean_p": pytest.approx(0.75),
        "mean_y": 1.0,
    }
    assert rel[0]["mean_p"] is None and rel[0]["mean_y"] is None


THREE = [
    pair("a", logit(0.72), 0.0),  # right: points (1, .72), (0, .28)
    pair("b", logit(0.88), 0.0),  # right: points (1, .88), (0, .12)
    pair("c", 0.0, logit(0.72)),  # wrong: chosen gets p = .28 -> points (1, .28), (0, .72)
]


@pytest.mark.parametrize("n_bins", [5, 10, 20])
def test_three_pairs_by_hand(n_bins: int) -> None:
    # None of .12 .28 .72 .88 sits on an edge of 5, 10 or 20 uniform bins, and in each binning they fall
    # in four different bins:
    #   {.12}: sum p .12, sum y 0  -> |.12| = .12, per-bin gap .12
    #   {.28, .28}: sum p .56, y 1 -> .44, gap .22
    #   {.72, .72}: sum p 1.44, y 1 -> .44, gap .22
    #   {.88}: sum p .88, y 1      -> .12, gap .12
    # ECE = (.12 + .44 + .44 + .12) / 6 = 1.12 / 6; ACE = (.12 + .22 + .22 + .12) / 4 = .17; MCE = .22.
    b = cal.calibration_metrics(THREE, bins=(n_bins,))["bins"][str(n_bins)]
    assert b["ECE"] == pytest.approx(1.12 / 6)
    assert b["ACE"] == pytest.approx(0.17)
    assert b["MCE"] == pytest.approx(0.22)
    assert sum(r["count"] for r in b["reliability"]) == 6 and len(b["reliability"]) == n_bins


def test_adaptive_ece_equal_mass_by_hand() -> None:
    # Sorted p: .12 .28 .28 .72 .72 .88. Quantile edges for 5 bins (np.percentile, linear, positions
    # 5 * q): [.12, .28, .28, .72, .72, .88]; inner edges [.28, .28, .72, .72], searchsorted "left":
    # .12 and .28 -> bin 0, .72 -> bin 2, .88 -> bin 4.
    #   bin 0: (0,.12) (0,.28) (1,.28): |.68 - 1| = .32; bin 2: |1.44 - 1| = .44; bin 4: |.88 - 1| = .12
    # adaptive ECE = (.32 + .44 + .12) / 6 = .88 / 6.
    b = cal.calibration_metrics(THREE, bins=(5,))["bins"]["5"]
    assert b["adaptive_ECE"] == pytest.approx(0.88 / 6)


def test_bins_are_right_closed_like_more() -> None:
    # np.searchsorted(edges[1:-1], p) (side left): 0.2 falls in [0, 0.2] with 0.0; 1.0 in the last bin.
    r = cal.calibration_errors([1, 0, 1], [0.2, 0.0, 1.0], 5)
    assert [b["count"] for b in r["reliability"]] == [2, 0, 0, 0, 1]
    # bin 0: |0.2 - 1| = 0.8; bin 4: |1 - 1| = 0; ECE = 0.8 / 3; ACE = (0.4 + 0) / 2; MCE = 0.4
    assert r["ECE"] == pytest.approx(0.8 / 3) and r["ACE"] == pytest.approx(0.2) and r["MCE"] == pytest.approx(0.4)


def test_ties_other_kinds_and_non_finite_are_excluded_and_counted() -> None:
    recs = [
        pair(0, math.log(3), 0.0),
        pair(1, 2.0, 2.0),  # tie
        pair(2, float("nan"), 1.0),
        {"id": "3", "kind": "candidates", "scores": [1.0, 0.0]},
    ]
    m = cal.calibration_metrics(recs, bins=(5,))
    assert (m["n_pairs"], m["ties_excluded"], m["non_finite_excluded"], m["other_kinds"]) == (1, 1, 1, 1)
    assert m["bins"]["5"]["ECE"] == pytest.approx(0.25)  # only the first pair, as in test_one_pair_by_hand


def test_no_pairs_gives_none_not_zero() -> None:
    m = cal.calibration_metrics([pair(0, 1.0, 1.0)])
    assert m["n_pairs"] == 0 and m["nll"] is None
    assert all(m["bins"][k]["ECE"] is None for k in ("5", "10", "20"))


def test_temperature_scales_the_difference() -> None:
    # T = 2 on d = 2 ln 3 gives p = sigmoid(ln 3) = 0.75: the same as test_one_pair_by_hand.
    m = cal.calibration_metrics([pair(0, 2 * math.log(3), 0.0)], bins=(5,), temperature=2.0)
    assert m["temperature"] == 2.0 and m["bins"]["5"]["ECE"] == pytest.approx(0.25)
    with pytest.raises(ValueError, match="temperature"):
        cal.calibration_metrics([pair(0, 1.0, 0.0)], temperature=0.0)


def test_fit_temperature_closed_form() -> None:
    # d = +2 on 3 pairs, -2 on 1: NLL(b) = [3 softplus(-2b) + softplus(2b)] / 4 with b = 1/T is minimal
    # where sigmoid(2b) = 3/4, i.e. 2b = ln 3, T = 2 / ln 3. At that T the right pairs get p = .75 and
    # the wrong one .25: bin (0.6, 0.8] holds 3 x (1, .75) + 1 x (0, .75): sum p 3 = sum y 3 -> ECE 0.
    recs = [pair(i, 2.0, 0.0) for i in range(3)] + [pair(3, 0.0, 2.0)]
    t = cal.fit_temperature(recs)
    assert t == pytest.approx(2 / math.log(3), rel=1e-6)
    m = cal.calibration_metrics(recs, bins=(5,), temperature=t)
    assert m["bins"]["5"]["ECE"] == pytest.approx(0.0, abs=1e-6)


def test_split_is_deterministic_half_and_order_free() -> None:
    recs = [pair(i, 1.0 + i, 0.0) for i in range(11)] + [pair("tie", 1.0, 1.0)]
    fit, ev = cal.calibrate_split(recs, seed=3)
    assert len(fit) == 5 and len(ev) == 6 and not set(fit) & set(ev)
    assert set(fit) | set(ev) == {str(i) for i in range(11)}  # the tied pair is in neither half
    assert cal.calibrate_split(list(reversed(recs)), seed=3) == (fit[::-1], ev[::-1])
    assert cal.calibrate_split(recs, seed=3) == (fit, ev)
    other = [cal.calibrate_split(recs, seed=s)[0] for s in range(4, 10)]
    assert any(set(o) != set(fit) for o in other)


def test_report_raw_and_calibrated_on_eval_half() -> None:
    recs = [pair(i, 2.0, 0.0) for i in range(30)] + [pair(100 + i, 0.0, 2.0) for i in range(10)]
    raw_only = cal.calibration_report(recs, seed=0, calibrate=False)
    assert set(raw_only) == {"raw"} and raw_only["raw"]["n_pairs"] == 40
    rep = cal.calibration_report(recs, seed=0, calibrate=True)
    c = rep["calibrated"]
    assert c["n_fit"] == 20 and c["n_eval"] == 20
    fit_ids, eval_ids = cal.calibrate_split(recs, seed=0)
    fit_recs = [r for r in recs if r["id"] in set(fit_ids)]
    assert c["temperature"] == pytest.approx(cal.fit_temperature(fit_recs))
    assert c["eval_raw"]["n_pairs"] == 20 and c["eval_calibrated"]["temperature"] == c["temperature"]
    assert c["fit_nll"]["calibrated"] <= c["fit_nll"]["raw"] + 1e-12
    assert not c["temperature_at_bound"]
    assert rep == cal.calibration_report(recs, seed=0, calibrate=True)  # deterministic (rescore)


def test_separable_data_flags_the_bound_and_tiny_runs_skip() -> None:
    recs = [pair(i, 1.0 + i, 0.0) for i in range(6)]  # every pair right: NLL falls as T -> 0
    c = cal.calibration_report(recs, seed=0, calibrate=True)["calibrated"]
    assert c["temperature_at_bound"]
    tiny = cal.calibration_report([pair(0, 1.0, 0.0)], seed=0, calibrate=True)
    assert "skipped" in tiny["calibrated"]


def test_wrong_on_average_takes_the_upper_bound() -> None:
    # d = -1, -2, 0.5: mean < 0, so the NLL falls as T grows: T = 1e4 x median |d| = 1e4 x 1.0
    recs = [pair(0, 0.0, 1.0), pair(1, 0.0, 2.0), pair(2, 0.5, 0.0)]
    assert cal.fit_temperature(recs) == pytest.approx(1e4)
    # all right: T = 1e-4 x median |d| = 1e-4 x 2.0
    assert cal.fit_temperature([pair(0, 1.0, 0.0), pair(1, 2.0, 0.0), pair(2, 3.0, 0.0)]) == pytest.approx(2e-4)


def test_include_ties_keeps_more_behaviour() -> None:
    # MORE keeps a predicted tie as points (1, .5) and (0, .5): with the ln 3 pair, 4 points in 5 bins:
    # bin 1 (.25): .25 off; bin 2 (.5, .5): |1 - 1| = 0; bin 3 (.75): .25 off -> ECE = .5 / 4;
    # ACE = (.25 + 0 + .25) / 3; MCE = .25
    recs = [pair(0, math.log(3), 0.0), pair(1, 2.0, 2.0)]
    b = cal.calibration_metrics(recs, bins=(5,), include_ties=True)["bins"]["5"]
    assert b["ECE"] == pytest.approx(0.125) and b["ACE"] == pytest.approx(0.5 / 3) and b["MCE"] == pytest.approx(0.25)
    assert cal.calibration_metrics(recs, bins=(5,))["ties_excluded"] == 1
