"""`tradeline clv fit`: fit the CLV models to a summary file and report parameters and log-likelihoods."""

from __future__ import annotations

from typing import IO, Any

from segments import clv
from segments.clv_file import read_summary


def fit_summary(stream: IO[str]) -> dict[str, Any]:
    """Both fits (Gamma-Gamma only with a monetary_value column) as a JSON-ready dict."""
    summary = read_summary(stream)
    bgnbd = clv.fit_bgnbd(summary.frequency, summary.recency, summary.age)
    result: dict[str, Any] = {
        "customers": bgnbd.customers,
        "bg_nbd": {
            "r": round(bgnbd.r, 6),
            "alpha": round(bgnbd.alpha, 6),
            "a": round(bgnbd.a, 6),
            "b": round(bgnbd.b, 6),
            "log_likelihood": round(bgnbd.log_likelihood, 4),
        },
    }
    if summary.monetary is not None:
        spend = clv.fit_gamma_gamma(summary.frequency, summary.monetary)
        result["gamma_gamma"] = {
            "p": round(spend.p, 6),
            "q": round(spend.q, 6),
            "gamma": round(spend.gamma, 6),
            "log_likelihood": round(spend.log_likelihood, 4),
            "customers": spend.customers,
        }
    return result
