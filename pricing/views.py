"""Pricing admin pages: one blueprint, its routes in views_lists (lists and their contents),
views_csv (CSV upload with a dry-run diff, export) and views_tools (explainer, simulator, publishing).
"""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("pricing", __name__, url_prefix="/pricing")

# Last: each module registers its routes on `bp` above.
from pricing import views_csv, views_lists, views_publish, views_tools  # noqa: E402, F401
