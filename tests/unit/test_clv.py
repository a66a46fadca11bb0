"""BG/NBD and Gamma-Gamma: the paper's CDNOW figures, the analytic gradients, predictions, bad data."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pytest
from scipy.optimize import approx_fprime

from segments import clv
from tests.clv_support import cdnow_summary_csv


def _significant(value: float, digits: int = 3) -> float:
    return float(f"{value:.{digits}g}")


@pytest.fixture(scope="module")
def cdnow(tmp_path_factory: pytest.TempPathFactory) -> dict[str, np.ndarray]:
    path = cdnow_summary_csv(tmp_path_factory.mktemp("cdnow"))
    with Path(path).open(newline="") as stream:
        rows = list(csv.DictReader(stream))
    return {
        name: np.array([float(row[name]) for row in rows])
        for name in ("frequency", "recency", "T", "monetary_value")
    }


def test_bgnbd_reproduces_fader_hardie_lee_2005_on_cdnow(cdnow: dict[str, np.ndarray]) -> None:
    fit = clv.fit_bgnbd(cdnow["frequency"], cdnow["recency"], cdnow["T"])
    assert fit.customers == 2357
    assert [_significant(v) for v in (fit.r, fit.alpha, fit.a, fit.b)] == [0.243, 4.41, 0.793, 2.43]
    assert round(fit.log_likelihood, 1) == -9582.4


def test_gamma_gamma_reproduces_fader_hardie_2013_on_cdnow(cdnow: dict[str, np.ndarray]) -> None:
    fit = clv.fit_gamma_gamma(cdnow["frequency"], cdnow["monetary_value"])
    assert fit.customers == 946
    assert [_significant(v) for v in (fit.p, fit.q, fit.gamma)] == [6.25, 3.74, 15.4]


def test_bgnbd_gradient_matches_finite_differences(cdnow: dict[str, np.ndarray]) -> None:
    x, t_x, big_t = cdnow["frequency"], cdnow["recency"], cdnow["T"]
    weights = np.ones_like(x)
    point = np.log(np.array([0.3, 5.0, 0.7, 2.0]))
    _, gradient = clv._bgnbd_objective(point, x, t_x, big_t, weights, float(x.size))
    numeric = approx_fprime(
        point, lambda p: clv._bgnbd_objective(p, x, t_x, big_t, weights, float(x.size))[0]
    )
    np.testing.assert_allclose(gradient, numeric, rtol=1e-4, atol=1e-7)


def test_gamma_gamma_gradient_matches_finite_differences(cdnow: dict[str, np.ndarray]) -> None:
    keep = cdnow["frequency"] > 0
    x, m = cdnow["frequency"][keep], cdnow["monetary_value"][keep]
    weights = np.ones_like(x)
    point = np.log(np.array([5.0, 3.0, 12.0]))
    _, gradient = clv._gg_objective(point, x, m, weights, float(x.size))
    numeric = approx_fprime(point, lambda p: clv._gg_objective(p, x, m, weights, float(x.size))[0])
    np.testing.assert_allclose(gradient, numeric, rtol=1e-4, atol=1e-7)


def test_expected_purchases_of_a_new_customer_match_a_simulation() -> None:
    # given the BG/NBD story: a rate ~ Gamma(r, alpha), after each purchase drop out with p ~ Beta(a, b)
    params = clv.BgNbdParams(r=0.8, alpha=6.0, a=1.6, b=3.0, log_likelihood=0.0, customers=0)
    rng = np.random.default_rng(7)
    customers, horizon = 200_000, 52.0
    rate = rng.gamma(params.r, 1 / params.alpha, customers)
    dropout = rng.beta(params.a, params.b, customers)
    counts = np.zeros(customers)
    clock = np.zeros(customers)
    active = np.ones(customers, dtype=bool)
    while active.any():
        clock[active] += rng.exponential(1 / rate[active])
        bought = active & (clock <= horizon)
        counts[bought] += 1
        active = bought & (rng.random(customers) >= dropout)
    # when the model predicts a customer seen only at time 0
    predicted = clv.expected_purchases(params, horizon, [0.0], [0.0], [0.0])[0]
    # then it agrees with the simulated mean within its standard error
    standard_error = counts.std() / np.sqrt(customers)
    assert abs(predicted - counts.mean()) < 4 * standard_error


def test_probability_alive_is_one_without_repeat_purchases_and_falls_with_silence() -> None:
    params = clv.BgNbdParams(r=0.243, alpha=4.414, a=0.793, b=2.426, log_likelihood=0.0, customers=0)
    alive = clv.probability_alive(params, [0, 3, 3], [0, 30.0, 5.0], [38.0, 38.0, 38.0])
    assert alive[0] == 1.0
    assert 0 < alive[2] < alive[1] < 1


def test_expected_average_spend_shrinks_towards_the_population_mean() -> None:
    params = clv.GammaGammaParams(p=6.25, q=3.74, gamma=15.44, log_likelihood=0.0, customers=0)
    population = params.p * params.gamma / (params.q - 1)
    spend = clv.expected_average_spend(params, [0, 1, 10], [0.0, 100.0, 100.0])
    assert spend[0] == pytest.approx(population)
    assert population < spend[1] < spend[2] < 100.0


def test_too_few_customers_is_not_enough_data_rather_than_nonsense() -> None:
    with pytest.raises(clv.NotEnoughData):
        clv.fit_bgnbd([1, 0, 2], [3.0, 0.0, 5.0], [10.0, 10.0, 10.0])
    with pytest.raises(clv.NotEnoughData):
        clv.fit_bgnbd([0] * 500, [0.0] * 500, [10.0] * 500)  # nobody came back
    with pytest.raises(clv.NotEnoughData):
        clv.fit_gamma_gamma([1, 2], [10.0, 12.0])


@pytest.mark.parametrize(
    ("frequency", "recency", "age", "message"),
    [
        ([-1.0], [0.0], [1.0], "whole number"),
        ([1.5], [0.5], [1.0], "whole number"),
        ([1.0], [2.0], [1.0], "between 0 and T"),
        ([0.0], [0.5], [1.0], "recency must be 0"),
        ([float("nan")], [0.0], [1.0], "finite"),
    ],
)
def test_impossible_summaries_are_refused(frequency, recency, age, message) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ValueError, match=message):
        clv.fit_bgnbd(frequency * 30, recency * 30, age * 30)
