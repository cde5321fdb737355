"""Run ids: what names a run's manifest and every record it wrote."""

from __future__ import annotations

import sys
import uuid

from core.times import compact, utcnow


def new_run_id(kind: str) -> str:
    """The Prefect flow run's id inside a flow run (the dashboard and the archive name the same
    run); outside one ``<kind>-<UTC time>-<random>``, sortable and unique across machines."""
    run = None
    if "prefect.context" in sys.modules:  # a flow run imported it; importing Prefect costs ~2 s
        try:
            from prefect.context import get_run_context

            run = getattr(get_run_context(), "flow_run", None)
        except Exception:  # no Prefect run context
            run = None
    return str(run.id) if run is not None else f"{kind}-{compact(utcnow())}-{uuid.uuid4().hex[:8]}"
