"""newswire.records: the records, the run states, and what is derived from the records."""

from __future__ import annotations

from datetime import datetime

import pyarrow as pa
import pytest

from newswire.export import PARQUET_SCHEMA
from newswire.records import (
    Article,
    ArticleMetadata,
    ArticleRow,
    RunStatus,
    SearchHit,
    StoredArticle,
    column_type,
    field_names,
)
from newswire.responses import ArticleDetail, ArticleHit
from pipelines.extract import Extracted
from storage.queries import _ARTICLE_INPUTS, _STAGING_COLUMNS
from storage.search import EXPORT_COLUMNS


def test_the_states_in_order_and_as_stored() -> None:
    assert list(RunStatus) == [
        "queued", "running", "succeeded", "failed", "interrupted", "cancelled"
    ]  # fmt: skip
    assert RunStatus.finals() == ("succeeded", "failed", "interrupted", "cancelled")


@pytest.mark.parametrize(
    ("text", "final"),
    [("queued", False), ("running", False), ("succeeded", True), ("cancelled", True),
     ("exploded", False), ("", False)],
)  # fmt: skip
def test_is_final(text: str, final: bool) -> None:
    assert RunStatus.is_final(text) is final


# ---------------------------------------------------------------- declared once, derived everywhere


def test_stored_records_lead_with_their_key_and_share_the_metadata() -> None:
    metadata = field_names(ArticleMetadata)
    for record in (StoredArticle, SearchHit, ArticleRow):
        names = field_names(record)
        assert names[:3] == ("id", "source", "url")
        assert names[3 : 3 + len(metadata)] == metadata
    for record in (Article, Extracted):
        assert set(metadata) <= set(field_names(record))


def test_every_listing_of_article_fields_follows_the_records() -> None:
    staged = [name for name, _ in _STAGING_COLUMNS]
    assert staged == ["ord", *field_names(Article), "fetched_url"]
    assert set(_ARTICLE_INPUTS) - {"search_config", "search"} == (
        set(field_names(Article)) & set(field_names(ArticleRow))
    )
    assert set(EXPORT_COLUMNS) == set(field_names(ArticleRow)) - {"text_hash"} | {"urls"}
    assert PARQUET_SCHEMA.names == list(EXPORT_COLUMNS)
    assert list(ArticleHit.model_fields) == list(field_names(SearchHit))
    assert set(field_names(ArticleRow)) | {"urls", "copies"} == set(ArticleDetail.model_fields)


@pytest.mark.parametrize(
    ("annotation", "expected"),
    [(int, (int, False)), (str | None, (str, False)), (datetime | None, (datetime, False)),
     (list[str], (str, True)), (bytes, (bytes, False))],
)  # fmt: skip
def test_column_type_unwraps_optional_and_lists(annotation: object, expected: tuple) -> None:
    assert column_type(annotation) == expected


def test_parquet_types_follow_the_field_types() -> None:
    assert PARQUET_SCHEMA.field("published_at").type == pa.timestamp("us", tz="UTC")
    assert PARQUET_SCHEMA.field("authors").type == pa.list_(pa.string())
    assert PARQUET_SCHEMA.field("duplicate_of").type == pa.int64()
