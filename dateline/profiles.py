"""Site profiles in the archive: load the latest version, store a new one, summarise for people.

The profile logic is in ``extraction.profile`` (no storage there); this module only moves its JSON
in and out of the archive through ``ArchiveReader``/``ArchiveWriter`` (``profiles/site=<site>/``).
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable
from datetime import datetime
from typing import Any

from pydantic import ValidationError

from archive import keys
from archive.reader import ArchiveReader
from archive.records import to_json_bytes
from archive.store import ObjectStore, StoreError, open_store
from archive.writer import ArchiveWriter
from dateline.times import iso_utc
from extraction.profile import PROFILE_SCHEMA_VERSION, SiteProfile, Thresholds, needed_pages, share

logger = logging.getLogger(__name__)


def load_profile(store: ObjectStore, site: str) -> SiteProfile | None:
    """The site's newest profile; None when there is none or it cannot be used (then a crawl
    starts a fresh one rather than failing: a profile only ever refines cleaning)."""
    data = ArchiveReader(store).latest_profile(site)
    if data is None:
        return None
    try:
        profile = SiteProfile.model_validate_json(data)
    except ValidationError as e:
        logger.warning("[%s] stored profile unreadable, starting a new one: %s", site, e)
        return None
    if profile.schema_version != PROFILE_SCHEMA_VERSION or profile.site != site:
        logger.warning("[%s] stored profile is schema %s, starting a new one", site, profile.schema_version)
        return None
    profile.thresholds = Thresholds()  # stored for the record; the code's current rules apply
    return profile


def stored_profiles(archive_uri: str) -> Callable[[str], SiteProfile | None]:
    """A loader of sites' latest profiles from an archive (for ``dateline extract``); a store error
    means no profile, never a failed extraction."""
    store = open_store(archive_uri)

    def load(site: str) -> SiteProfile | None:
        try:
            return load_profile(store, site)
        except StoreError as e:
            logger.warning("[%s] cannot read the stored profile: %s", site, e)
            return None

    return load


def save_profile(store: ObjectStore, profile: SiteProfile, when: datetime, run_id: str | None = None) -> str:
    """Store ``profile`` as a new version named ``<UTC time>-<content hash>``; returns its key."""
    profile.created_at = iso_utc(when)
    profile.run_id = run_id
    profile.version = None
    digest = hashlib.sha256(to_json_bytes(profile)).hexdigest()[:8]
    profile.version = f"{keys.compact_timestamp(profile.created_at)}-{digest}"
    data = profile.model_dump_json(exclude_none=True).encode("utf-8")  # single sightings carry no sample
    return ArchiveWriter(store).write_profile(profile.site, profile.version, data)


def summary(profile: SiteProfile, limit: int | None = None) -> dict[str, Any]:
    """What the profile has learned, as plain data: boilerplate blocks and texts with page counts."""
    learned = profile.learned()

    def rows(entries: list[Any], with_path: bool) -> list[dict[str, Any]]:
        out = []
        for e in entries[:limit]:
            row: dict[str, Any] = {"pages": round(e.n, 2), "share": round(share(e.n, profile.pages), 3)}
            if with_path:
                row["path"] = e.path
            row["text"] = e.text
            row["protected"] = e.protected
            out.append(row)
        return out

    return {
        "site": profile.site,
        "version": profile.version,
        "created_at": profile.created_at,
        "pages": round(profile.pages, 2),
        "pages_total": profile.pages_total,
        "needs_pages": needed_pages(profile),
        "tracked_blocks": len(profile.blocks),
        "tracked_texts": len(profile.texts),
        "blocks": rows(learned["blocks"], True),
        "texts": rows(learned["texts"], False),
    }
