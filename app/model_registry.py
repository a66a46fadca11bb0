"""Imports every context's models so that one MetaData describes the whole schema."""

from __future__ import annotations

import app.models  # noqa: F401  (registers the tables on Base.metadata)
import crm.models  # noqa: F401
from app.db import Base

metadata = Base.metadata
