"""Keep a designed Failed/Skipped end out of the run's ERROR log.

A crawl-all run that ends Failed or Cancelled ("Skipped") returns that state on purpose, with
its summary rows in a ``RunNotCompleted`` (flows/report.py). In a deployment run, Prefect
3.8's engine (``python -m prefect.engine`` -> ``flow_engine.run_flow``, result mode) then asks
the final state for its result, which raises for every failed or cancelled state
(``states.get_state_exception``), and logs that re-raise as "Engine execution exited with
unexpected exception" with a traceback, after the state is already set. There is no option to
turn that off, so this logging filter (stdlib ``logging.Filter``, which may rewrite a record)
turns exactly those records, the ones carrying our own ``RunNotCompleted``, into one INFO line
naming the end. Any other exception still logs as the engine wrote it.
"""

from __future__ import annotations

import logging

from flows.report import RunNotCompleted

# the flow run logger the engine's top level writes to, and its signal handler's logger
ENGINE_LOGGERS = ("prefect.flow_runs", "prefect.engine")


class DesignedEndFilter(logging.Filter):
    """Rewrites the engine's re-raise of a designed final state into an INFO line."""

    def filter(self, record: logging.LogRecord) -> bool:
        exc = record.exc_info[1] if record.exc_info else None
        if isinstance(exc, RunNotCompleted) and record.levelno >= logging.ERROR:
            record.levelno, record.levelname = logging.INFO, "INFO"
            record.msg, record.args = "Run ended as designed: %s", (str(exc),)
            record.exc_info, record.exc_text = None, None
        return True


def install() -> None:
    """Add the filter once per process (the engine imports the flow module before running it)."""
    for name in ENGINE_LOGGERS:
        logger = logging.getLogger(name)
        if not any(isinstance(f, DesignedEndFilter) for f in logger.filters):
            logger.addFilter(DesignedEndFilter())
