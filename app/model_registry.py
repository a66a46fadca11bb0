"""Imports every context's models so that one MetaData describes the whole schema."""

from __future__ import annotations

# Each import registers its tables on Base.metadata.
import app.models
import app.privacy  # noqa: F401
import crm.models
import crm.models_drafts
import crm.models_work  # noqa: F401
import pricing.models  # noqa: F401
import segments.models
import segments.models_spend  # noqa: F401
import webhooks.models
import webhooks.sync_models  # noqa: F401
from app.db import Base

metadata = Base.metadata
