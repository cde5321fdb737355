"""Site profiles in the archive: load the latest version, store a new one, summarise for people.

The profile logic is in ``extraction.profile`` (no storage there); this module only moves its JSON
in and out of the archive through ``ArchiveReader``/``ArchiveWriter`` (``profiles/site=<site>/``).
"""

from __future__ import annotations

import hashlib
import logging
import pickle
import shutil
import tempfile
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from archive import keys
from archive.reader import ArchiveReader
from archive.records import to_json_bytes
from archive.store import ObjectStore, StoreError, open_store
from archive.writer import ArchiveWriter
from core.times import iso_utc
from extraction.profile import (
    PROFILE_SCHEMA_VERSION,
    PageFingerprint,
    ProfileRules,
    SiteProfile,
    Thresholds,
    needed_pages,
    share,
)

logger = logging.getLogger(__name__)

REFRESH_FIRST = 4  # pages of a run after which the profile rules are first recompiled


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


class ProfileSession:
    """One run's use of a site's profile (a crawl's or an import's): the rules in force, learning
    from each article's fingerprint, recompiling after 4, 8, 16 ... pages, saving at the end.

    Recompiled rules are handed to pool workers through a file per version (``rules_file``; workers
    load it once), so nothing is pickled per page. With ``to_file`` the initial rules go to a file
    too (a pool cleaning pages of several sites cannot take one site's rules as its initializer).
    """

    def __init__(self, store: ObjectStore, site: str, *, to_file: bool = False) -> None:
        self.store = store
        self.site = site
        try:
            loaded = load_profile(store, site)
        except StoreError as e:
            logger.warning("[%s] cannot load the site profile, cleaning without it: %s", site, e)
            loaded = None
        self.profile = loaded or SiteProfile(site=site)
        self.rules: ProfileRules = self.profile.rules()
        self.rules_dir: Path | None = None  # recompiled rules go to files here, one per version
        self.rules_file: str | None = None  # the latest rules' file (None: the initial ones)
        self.pages = 0  # pages of this run counted into the profile
        self.next_refresh = REFRESH_FIRST
        if to_file:
            self._hand_over(self.rules)

    def learn(self, fingerprint_json: str | None) -> None:
        """Count the page into the profile; recompile the rules at 4, 8, 16 ... pages."""
        if not fingerprint_json or not self.profile.add(
            PageFingerprint.model_validate_json(fingerprint_json)
        ):
            return
        self.pages += 1
        if self.pages % self.profile.thresholds.window == 0:
            # decay and forget single sightings as the run goes, not only at save: a crawl of
            # 10,000 pages otherwise keeps every unique block it saw (RSS grew 1.23x from 1k to 10k)
            self.profile.compact()
        if self.pages >= self.next_refresh:
            self.next_refresh *= 2
            rules = self.profile.rules()
            if rules != self.rules:
                self.rules = rules
                self._hand_over(rules)

    def _hand_over(self, rules: ProfileRules) -> None:
        if self.rules_dir is None:
            self.rules_dir = Path(tempfile.mkdtemp(prefix=f"dateline-rules-{self.site}-"))
        path = self.rules_dir / f"rules-{self.pages:06d}.pickle"
        path.write_bytes(pickle.dumps(rules))
        self.rules_file = str(path)

    def save(self, when: datetime, run_id: str) -> str | None:
        """Store the profile as a new version when this run taught it something; its key or None.
        Raises StoreError (the caller decides: the articles are stored, the next run learns again)."""
        if not self.pages:
            return None
        self.profile.compact()
        return save_profile(self.store, self.profile, when, run_id)

    def close(self) -> None:
        """Remove the rules files (the workers that read them are gone)."""
        if self.rules_dir is not None:
            shutil.rmtree(self.rules_dir, ignore_errors=True)


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
