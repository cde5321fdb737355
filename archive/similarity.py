"""Near-duplicates and retellings: MinHash signatures, LSH bucket names, scoring.

Why this shape: a lookup must touch only the versions sharing an LSH bucket with the query,
never an all-pairs scan. Everything here is pure (derived from a record's text); the index that
stores signatures and buckets is built in batch by ``archive/simindex.py``.

Two indexes, because the two questions differ (scores measured on shared/examples/outlet-texts
against the news-pages dataset; see docs/archive.md):

- ``near``: word 3-shingles, 128-permutation MinHash, LSH tuned for Jaccard >= 0.8. Syndicated
  wire copies and light edits. The cluster id is fixed when a version is indexed: the cluster
  of the most similar earlier near-duplicate, else the article's own id.
- ``story``: the same story told by other outlets shares few exact phrases but the same names
  and content words. Features are the content words of the prose lines (menus and widgets are
  short lines), minus the most frequent words of ~100 languages (jusText's stoplists, a cheap
  stand-in for IDF), counts capped at 4. 32 single-row bands find pairs with Jaccard ~0.08;
  candidates are then scored exactly on the stored features. Story buckets are scoped to the
  ISO week of publication and looked up in the neighbouring weeks too: a retelling is news of
  the same days, and the scope keeps buckets small. Over-full buckets (a common word) are
  skipped, which is what IDF would do. The story cluster id is fixed when a version is
  indexed: the story cluster of its best match above the threshold, else its own id
  (incremental single-link clustering, so consumers can group tellings without a query).
"""

from __future__ import annotations

import base64
import functools
import hashlib
import re
import unicodedata
from collections import Counter
from collections.abc import Iterable, Iterator
from datetime import date, timedelta
from typing import TYPE_CHECKING

import numpy as np
from pydantic import BaseModel

from archive.records import SCHEMA_VERSION, ArticleRecord

if TYPE_CHECKING:
    from numpy.typing import NDArray


SEED = 1  # datasketch's default; fixed so every process hashes alike
NEAR, STORY = "near", "story"
NEAR_PERM, NEAR_BANDS, NEAR_ROWS = 128, 9, 13  # datasketch's optimum for threshold 0.8 at 128 perms
STORY_PERM, STORY_BANDS, STORY_ROWS = 32, 32, 1  # its optimum for threshold 0.05 at 32 perms
NEAR_THRESHOLD = 0.8  # estimated Jaccard of word 3-shingles
STORY_THRESHOLD = 0.07  # exact weighted Jaccard of story features (measured margins in docs)
FEATURE_CAP = 4  # a word counts at most this often
MIN_STORY_FEATURES = 12  # shorter texts have too little to tell stories apart
PROSE_WORDS = 8  # a line with fewer words is a heading, menu item or widget label
MAX_BUCKET = {NEAR: 2000, STORY: 500}  # larger buckets carry no information

_WORD = re.compile(r"[^\W\d_]+")
_CJK_CHARS = "\u3040-\u30ff\u3400-\u9fff\uac00-\ud7af"  # kana, CJK ideographs, hangul: no spaces
_CJK_SPLIT = re.compile(f"[{_CJK_CHARS}]+|[^{_CJK_CHARS}]+")
_CJK = re.compile(f"[{_CJK_CHARS}]")


class Signature(BaseModel):
    """What a lookup needs about a version, without its text (a row of a ``sims/`` segment)."""

    schema_version: int = SCHEMA_VERSION
    id: str
    version: str
    site: str
    key: str  # the article record
    title: str | None
    published: str | None
    week: str  # ISO week of publication (crawl date when undated): the story buckets' scope
    near: str  # base64 of the 128 little-endian uint32 MinHash values of the 3-shingles
    story: dict[str, int]  # story features with counts, for exact scoring
    cluster: str  # near-duplicate cluster: the id of the article that started it
    story_cluster: str = ""  # same-story cluster: likewise ("" in signatures older than this field)


class Match(BaseModel):
    """Another article found by ``find_similar``."""

    id: str
    version: str
    site: str
    title: str | None
    published: str | None
    score: float  # story similarity (weighted Jaccard of features), or the near-dup estimate if higher
    near_duplicate: bool
    cluster: str
    story_cluster: str


# --------------------------------------------------------------------------- features


def words(text: str) -> list[str]:
    """Case-folded words; CJK and kana count one character per word (they use no spaces)."""
    out: list[str] = []
    for match in _WORD.finditer(unicodedata.normalize("NFKC", text).casefold()):
        for part in _CJK_SPLIT.findall(match.group()):
            out.extend(part if _CJK.match(part) else [part])
    return out


def shingles(text: str, size: int = 3) -> set[str]:
    """Word n-grams: near-duplicates share most of them."""
    w = words(text)
    if len(w) < size:
        return set(w)
    return {" ".join(w[i : i + size]) for i in range(len(w) - size + 1)}


@functools.cache
def common_words() -> frozenset[str]:
    """The most frequent words of ~100 languages (jusText's Wikipedia-derived stoplists)."""
    import justext  # type: ignore[import-untyped]  # via trafilatura; late: only needed here

    found: set[str] = set()
    for language in justext.get_stoplists():
        found |= justext.get_stoplist(language)
    return frozenset(found)


def _is_prose(line: str) -> bool:
    return len(line.split()) >= PROSE_WORDS or len(_CJK.findall(line)) >= 2 * PROSE_WORDS


def _line_features(line: str, common: frozenset[str]) -> Iterator[str]:
    """Content words (3+ letters, not common); CJK runs give character bigrams."""
    for match in _WORD.finditer(unicodedata.normalize("NFKC", line).casefold()):
        for part in _CJK_SPLIT.findall(match.group()):
            if _CJK.match(part):
                yield from (part[i : i + 2] for i in range(len(part) - 1))
            elif len(part) >= 3 and part not in common:
                yield part


def story_features(text: str) -> dict[str, int]:
    """What retellings of one story share: content words of the prose, counts capped."""
    lines = text.splitlines()
    prose = [line for line in lines if _is_prose(line)] or lines
    common = common_words()
    counts = Counter(feature for line in prose for feature in _line_features(line, common))
    return {word: min(count, FEATURE_CAP) for word, count in sorted(counts.items())}


def _expanded(features: dict[str, int]) -> list[str]:
    """A multiset as a set ('word#0', 'word#1', ...), so MinHash estimates weighted Jaccard."""
    return [f"{word}#{i}" for word, count in features.items() for i in range(count)]


def weighted_jaccard(a: dict[str, int], b: dict[str, int]) -> float:
    if not a or not b:
        return 0.0
    inter = sum(min(count, b.get(word, 0)) for word, count in a.items())
    union = sum(a.values()) + sum(b.values()) - inter
    return inter / union


# --------------------------------------------------------------------------- MinHash / LSH


def minhash(tokens: Iterable[str], num_perm: int) -> NDArray[np.uint64]:
    """datasketch MinHash values (imported late: datasketch pulls in scipy, ~2 s)."""
    from datasketch import MinHash

    sketch = MinHash(num_perm=num_perm, seed=SEED)
    sketch.update_batch([token.encode("utf-8") for token in sorted(set(tokens))])
    values: NDArray[np.uint64] = sketch.hashvalues
    return values


def encode_values(values: NDArray[np.uint64]) -> str:
    return base64.b64encode(values.astype("<u4").tobytes()).decode("ascii")


def decode_values(data: str) -> NDArray[np.uint32]:
    return np.frombuffer(base64.b64decode(data), dtype="<u4")


def estimated_jaccard(a: NDArray[np.uint32], b: NDArray[np.uint32]) -> float:
    return float(np.mean(a == b)) if len(a) == len(b) and len(a) else 0.0


def band_buckets(values: NDArray[np.uint64], bands: int, rows: int) -> list[str]:
    """One bucket name per band: a short hash of the band's MinHash values."""
    packed = values.astype("<u4")
    return [
        hashlib.blake2b(packed[b * rows : (b + 1) * rows].tobytes(), digest_size=8).hexdigest()
        for b in range(bands)
    ]


def iso_week(day: date) -> str:
    year, week, _ = day.isocalendar()
    return f"{year}-W{week:02d}"


def week_of(record: ArticleRecord) -> str:
    """Week of publication, or of the crawl when the article is undated."""
    when = record.published.date or record.crawled_at[:10]
    try:
        return iso_week(date.fromisoformat(when))
    except ValueError:
        return "unknown"


def neighbour_weeks(week: str) -> list[str]:
    """The week itself and the weeks before and after it."""
    try:
        monday = date.fromisoformat(f"{week}-1")
    except ValueError:
        return [week]
    return [iso_week(monday + timedelta(days=7 * step)) for step in (-1, 0, 1)]


# --------------------------------------------------------------------------- signatures


def signature_for(record: ArticleRecord, key: str, cluster: str = "") -> Signature:
    near = minhash(shingles(record.text), NEAR_PERM)
    return Signature(
        id=record.id,
        version=record.version,
        site=record.site,
        key=key,
        title=record.title,
        published=record.published.date,
        week=week_of(record),
        near=encode_values(near),
        story=story_features(record.text),
        cluster=cluster or record.id,
        story_cluster=record.id,
    )


def buckets(sig: Signature) -> list[str]:
    """The version's LSH bucket names: 'n:<band>:<hash>' (near) and 'w:<ISO week>:<band>:<hash>'
    (story, scoped to its week of publication; none when it has too few story features)."""
    near = band_buckets(decode_values(sig.near).astype(np.uint64), NEAR_BANDS, NEAR_ROWS)
    found = [f"n:{b:02d}:{bucket}" for b, bucket in enumerate(near)]
    if sum(sig.story.values()) >= MIN_STORY_FEATURES:
        story = band_buckets(minhash(_expanded(sig.story), STORY_PERM), STORY_BANDS, STORY_ROWS)
        found += [f"w:{sig.week}:{b:02d}:{bucket}" for b, bucket in enumerate(story)]
    return found


def query_buckets(sig: Signature) -> list[str]:
    """The buckets a lookup reads: its near buckets, its story buckets in the neighbouring weeks."""
    own = buckets(sig)
    near = [b for b in own if b.startswith("n:")]
    story = [b.split(":", 2)[2] for b in own if b.startswith("w:")]
    return near + [f"w:{week}:{band}" for week in neighbour_weeks(sig.week) for band in story]


def bucket_cap(bucket: str) -> int:
    """Larger buckets carry no information (a common feature) and are skipped."""
    return MAX_BUCKET[NEAR] if bucket.startswith("n:") else MAX_BUCKET[STORY]


def near_cluster(sig: Signature, others: list[Signature]) -> str:
    """The cluster of the most similar near-duplicate (ties: smallest cluster id), else its own."""
    mine = decode_values(sig.near)
    matches = [(estimated_jaccard(mine, decode_values(o.near)), o.cluster) for o in others]
    matches = [m for m in matches if m[0] >= NEAR_THRESHOLD]
    return min(matches, key=lambda m: (-m[0], m[1]))[1] if matches else sig.id


# --------------------------------------------------------------------------- scoring


def score(query: Signature, other: Signature) -> tuple[float, bool]:
    """(similarity, is near-duplicate) of two versions."""
    near = estimated_jaccard(decode_values(query.near), decode_values(other.near))
    story = weighted_jaccard(query.story, other.story)
    return round(max(story, near if near >= NEAR_THRESHOLD else 0.0), 4), near >= NEAR_THRESHOLD


def rank(
    query: Signature, others: Iterable[Signature], threshold: float = STORY_THRESHOLD, limit: int = 50
) -> list[Match]:
    """Score candidates: other articles' best version each, if a near-duplicate or >= threshold."""
    best: dict[str, Match] = {}
    for other in others:
        if other.id == query.id:
            continue
        value, near = score(query, other)
        if (near or value >= threshold) and (other.id not in best or value > best[other.id].score):
            best[other.id] = Match(
                id=other.id, version=other.version, site=other.site, title=other.title,
                published=other.published, score=value, near_duplicate=near, cluster=other.cluster,
                story_cluster=other.story_cluster or other.id,
            )  # fmt: skip
    return sorted(best.values(), key=lambda m: (-m.score, m.id))[:limit]
