"""What runs inside an extraction worker: kept apart from the item pipeline so a spawned worker
imports the extractor only, not Scrapy, the archive writer or boto3 (it unpickles its functions
by module; in spiders.pipelines they cost each worker ~1.5 s CPU of imports before its first page).
"""

from __future__ import annotations

import multiprocessing
import pickle
import signal
from pathlib import Path
from typing import Any

from core import procs
from extraction.extract import decode_html, extract_and_fingerprint
from extraction.model import ExtractionError, PageHints
from extraction.profile import ProfileRules

_worker_rules: ProfileRules | None = None  # the crawl's site profile rules, set once per worker
# Rules loaded from files: the latest file of each session's folder (a session writes a new file per
# version, and earlier versions are never named again), so a long crawl keeps one set, not every one.
_worker_rules_files: dict[str, tuple[str, ProfileRules]] = {}  # folder -> (file, rules)


def init_worker(rules: ProfileRules | None) -> None:
    """Pool initializer: keep the site's profile rules in the worker (not pickled with every page),
    and end the worker with the crawl process (workers hold each other's queue ends, so an
    orphaned pool would otherwise live on)."""
    global _worker_rules
    parent = multiprocessing.parent_process()
    procs.die_with_parent(parent.pid if parent is not None else None, signal.SIGKILL)
    _worker_rules = rules


def _rules_from(rules_file: str | None) -> ProfileRules | None:
    """The rules a page names: the initial ones, or a rules file, read once per worker (an import
    interleaves pages of several sites, each with its own file)."""
    if rules_file is None:
        return _worker_rules
    path = Path(rules_file)
    folder = str(path.parent)
    held = _worker_rules_files.get(folder)
    if held is None or held[0] != rules_file:
        held = _worker_rules_files[folder] = (rules_file, pickle.loads(path.read_bytes()))
    return held[1]


def clean_in_worker(
    body: bytes, encoding: str | None, hints_json: str, rules_file: str | None = None
) -> dict[str, Any]:
    """Runs in a pool process: decode + extract with the site's profile rules (the initial ones,
    or the latest recompiled ones in ``rules_file``); returns plain data (cheap to pickle): the
    extraction and the page's fingerprint."""
    hints = PageHints.model_validate_json(hints_json)
    try:
        html = decode_html(body, encoding)
        ex, fp = extract_and_fingerprint(html, hints, _rules_from(rules_file))
        return {"ok": ex.model_dump_json(), "fp": fp.model_dump_json() if fp is not None else None}
    except ExtractionError as e:
        return {"error": e.reason, "detail": e.detail}
    except Exception as e:  # an extractor bug on one page must not stop the run
        return {"error": "extractor-crash", "detail": f"{type(e).__name__}: {e}"[:500]}
