"""Text fingerprints and signatures, and one Article per canonical URL within a run.

Copies of the same text under different URLs are kept: the store links them to the original
through ``duplicate_of``, and near-copies (an edited syndicated story) into one story through
the MinHash signature set here. Only a second emission of one canonical URL in a run is
dropped.

Signatures are datasketch's MinHash (128 permutations) over the distinct word 5-grams of the
normalised text. The store cuts each into bands for its LSH index in PostgreSQL
(storage.stories), where every crawl process sees every other's articles.
"""

from __future__ import annotations

import hashlib
import logging
import re
import unicodedata
from functools import cache
from typing import TYPE_CHECKING, Any

from datasketch import MinHash

from newswire.records import Article

if TYPE_CHECKING:
    from scrapy.crawler import Crawler

logger = logging.getLogger(__name__)

# Typographic variants that editors and CMSs swap freely: folded to one ASCII form each.
_PUNCTUATION_FOLD = str.maketrans(
    {
        **dict.fromkeys("\u2018\u2019\u201a\u201b\u2032\u02bc\u00b4\u0060", "'"),
        **dict.fromkeys("\u201c\u201d\u201e\u201f\u2033\u00ab\u00bb\u2039\u203a", '"'),
        **dict.fromkeys("\u2010\u2011\u2012\u2013\u2014\u2015\u2212\ufe58\ufe63\uff0d", "-"),
        **dict.fromkeys("\u00ad\u200b\u200c\u200d\u2060\ufeff", None),  # invisible
    }
)
_WHITESPACE = re.compile(r"\s+")
_DIGEST_SIZE = 16  # bytes per remembered URL or text: ~100 bytes a set entry, not a string
SIGNATURE_SIZE = 128  # MinHash permutations: a Jaccard estimate within ~0.04 (one s.d.)
SHINGLE_WORDS = 5  # words a shingle: long enough that common phrases rarely match by chance
_SIGNATURE_SEED = 11  # fixed: signatures from any process or release must compare


def normalize_text(text: str) -> str:
    """One spelling per text, so a republished copy with other quotes or spacing still matches."""
    # Fold before NFKC: it would split some variants (U+2033, U+00B4) into several characters.
    folded = unicodedata.normalize("NFKC", text.translate(_PUNCTUATION_FOLD)).casefold()
    return _WHITESPACE.sub(" ", folded).strip()


def fingerprint_text(text: str) -> bytes:
    """sha256 of the normalised text: the key the store uses to link duplicate articles."""
    return hashlib.sha256(normalize_text(text).encode("utf-8")).digest()


def shingle_text(text: str) -> set[bytes]:
    """The distinct word 5-grams of the normalised text (the whole text when shorter)."""
    words = normalize_text(text).split(" ")
    span = min(SHINGLE_WORDS, len(words))
    return {" ".join(words[i : i + span]).encode() for i in range(len(words) - span + 1)}


@cache
def _template() -> MinHash:
    # The permutations are the costly part of a MinHash: drawn once, shared by every signature.
    return MinHash(num_perm=SIGNATURE_SIZE, seed=_SIGNATURE_SEED, scheme="affine32")


def sign_text(text: str) -> tuple[list[int], int]:
    """The MinHash signature of a text's shingles and how many distinct shingles it has: the
    store estimates similarity and containment of two texts from these alone."""
    shingles = shingle_text(text)
    minhash = _template().copy()
    minhash.update_batch(list(shingles))
    return [int(value) for value in minhash.hashvalues], len(shingles)


def _url_digest(url: str) -> bytes:
    return hashlib.blake2b(url.encode("utf-8"), digest_size=_DIGEST_SIZE).digest()


class DedupPipeline:
    """Scrapy stage: set ``text_hash`` and count what this run has already seen.

    Nothing is dropped here: a page reached again under another URL goes on to the store,
    which attaches that URL to the stored article, so the next run does not fetch it again.
    """

    def __init__(self, crawler: Crawler, near: bool = True) -> None:
        self.crawler = crawler
        self.near = near  # sign texts for near-copy stories (storage.stories)
        self._urls: set[bytes] = set()
        self._texts: set[bytes] = set()

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> DedupPipeline:
        """Scrapy's constructor hook: ``NEWSWIRE_DEDUP_NEAR`` off leaves articles unsigned, so
        the store links exact copies only."""
        return cls(crawler, crawler.settings.getbool("NEWSWIRE_DEDUP_NEAR", True))

    def process_item(self, item: Any) -> Any:
        """Fingerprint an Article; repeats of a canonical URL or a text are counted, kept."""
        if not isinstance(item, Article):
            return item
        stats = self.crawler.stats
        url_key = _url_digest(item.url)
        if url_key in self._urls:
            stats.inc_value("newswire/dedup/same_url_in_run")
            logger.debug("another URL of an article seen in this run: %s", item.urls)
        else:
            self._urls.add(url_key)
            stats.inc_value("newswire/dedup/unique_url")
        item.text_hash = fingerprint_text(item.text)
        if self.near:
            item.signature, item.shingles = sign_text(item.text)
        text_key = item.text_hash[:_DIGEST_SIZE]
        if text_key in self._texts:
            stats.inc_value("newswire/dedup/same_text_in_run")
        else:
            self._texts.add(text_key)
        return item
