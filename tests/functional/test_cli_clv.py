"""`tradeline clv fit CSV` prints the fitted parameters as JSON, or names the bad line."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from app.cli import main
from tests.clv_support import cdnow_summary_csv


def test_clv_fit_prints_the_papers_parameters_for_cdnow(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["clv", "fit", str(cdnow_summary_csv(tmp_path))])
    assert result.exit_code == 0, result.output
    fitted = json.loads(result.output)
    bg = fitted["bg_nbd"]
    assert (round(bg["r"], 3), round(bg["alpha"], 2), round(bg["a"], 3), round(bg["b"], 2)) == (
        0.243,
        4.41,
        0.793,
        2.43,
    )
    assert round(bg["log_likelihood"], 1) == -9582.4
    gg = fitted["gamma_gamma"]
    assert (round(gg["p"], 2), round(gg["q"], 2), round(gg["gamma"], 1)) == (6.25, 3.74, 15.4)
    assert (fitted["customers"], gg["customers"]) == (2357, 946)


def test_clv_fit_without_monetary_value_fits_only_bg_nbd(tmp_path: Path) -> None:
    lines = cdnow_summary_csv(tmp_path).read_text().splitlines()
    trimmed = tmp_path / "counts.csv"
    trimmed.write_text("\n".join(line.rsplit(",", 1)[0] for line in lines) + "\n")
    result = CliRunner().invoke(main, ["clv", "fit", str(trimmed)])
    assert result.exit_code == 0, result.output
    assert set(json.loads(result.output)) == {"customers", "bg_nbd"}


def test_clv_fit_names_the_bad_line_and_column(tmp_path: Path) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text("customer_id,frequency,recency,T\n1,2,3.5,10\n2,1,12,10\n")
    result = CliRunner().invoke(main, ["clv", "fit", str(bad)])
    assert result.exit_code == 1
    assert "line 3: recency 12 must lie between 0 and T (10)" in result.output


def test_clv_fit_refuses_a_file_without_the_required_columns(tmp_path: Path) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text("id,x,t_x,T\n1,2,3,10\n")
    result = CliRunner().invoke(main, ["clv", "fit", str(bad)])
    assert result.exit_code == 1
    assert "line 1: missing column(s) customer_id, frequency, recency" in result.output
