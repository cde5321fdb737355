"""Exact duplicates: the same text of one site reached through another URL is stored once.

Why: sites serve one article under several URLs that canonicalisation cannot join (no
canonical link, section paths, print or AMP copies). A small hash index says which article a
(site, text, publication date) was first stored as; a later URL with the same text becomes an
immutable alias object plus URL markers pointing at that article, instead of a second article.
The publication date is part of the identity so that a recurring text (a daily placeholder,
a teaser) on another day is not taken for the same publication.
"""

from __future__ import annotations

from pydantic import BaseModel, Field

from archive import keys
from archive.records import SCHEMA_VERSION, ArticleRecord, to_json_bytes
from archive.store import NotFound, ObjectStore


class HashClaim(BaseModel):
    """``hashes/...``: the article first stored with this site, text and publication date."""

    id: str
    version: str
    key: str
    url: str


class AliasRecord(BaseModel):
    """``aliases/<id>/...``: another URL whose text is stored as article ``id``."""

    schema_version: int = SCHEMA_VERSION
    id: str  # the stored article
    alias_id: str  # the id the other URL's canonical form would have had
    url: str  # the address fetched
    canonical_url: str
    aliases: list[str] = Field(default_factory=list)  # further URLs that led to it
    site: str
    version: str
    content_hash: str
    published: str | None
    crawled_at: str
    run_id: str

    def urls(self) -> list[str]:
        """Every URL this alias stands for, canonical first."""
        return list(dict.fromkeys([self.canonical_url, self.url, *self.aliases]))


def claim(store: ObjectStore, record: ArticleRecord, key: str) -> None:
    """Record that ``record`` holds this text; the first claim of a text wins, forever."""
    claim_key = keys.hash_claim_key(record.site, record.content_hash, record.published.date)
    entry = HashClaim(id=record.id, version=record.version, key=key, url=record.canonical_url)
    store.put_if_absent(claim_key, to_json_bytes(entry))


def find_duplicate(store: ObjectStore, record: ArticleRecord) -> HashClaim | None:
    """The stored article that has this record's text, if it is another article."""
    try:
        data = store.get(keys.hash_claim_key(record.site, record.content_hash, record.published.date))
    except NotFound:
        return None
    found = HashClaim.model_validate_json(data)
    return found if found.id != record.id else None


def store_alias(store: ObjectStore, record: ArticleRecord, target: HashClaim) -> str:
    """Write the alias object for ``record`` under the article ``target``; return its key."""
    alias = AliasRecord(
        id=target.id,
        alias_id=record.id,
        url=record.url,
        canonical_url=record.canonical_url,
        aliases=record.aliases,
        site=record.site,
        version=record.version,
        content_hash=record.content_hash,
        published=record.published.date,
        crawled_at=record.crawled_at,
        run_id=record.run_id,
    )
    key = keys.alias_key(target.id, record.id)
    store.put_if_absent(key, to_json_bytes(alias))
    return key


def aliases_of(store: ObjectStore, id_: str) -> list[AliasRecord]:
    """Alias objects of an article, by would-be id."""
    return [
        AliasRecord.model_validate_json(store.get(key))
        for key in sorted(store.list(keys.aliases_prefix(id_)))
        if key.endswith(".json")
    ]
