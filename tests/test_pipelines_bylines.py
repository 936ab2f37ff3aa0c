"""pipelines.bylines: names cleaned and split, people apart from agencies and publishers."""

from __future__ import annotations

import pytest

from pipelines.bylines import clean_name, is_credit, sort_names, split_byline


@pytest.mark.parametrize(
    ("byline", "expected"),
    [
        ("By Mara Quill and Tobias Fenn", ["Mara Quill", "Tobias Fenn"]),
        ("Von Anna Berg, Jonas Weber und Lea Roth", ["Anna Berg", "Jonas Weber", "Lea Roth"]),
        ("Por Lucía Pardo y Marcos Gil | EFE", ["Lucía Pardo", "Marcos Gil", "EFE"]),
        ("Par Claire Vidal et Paul Roy", ["Claire Vidal", "Paul Roy"]),
        ("By Mara Quill, Senior Correspondent mara@herald.example", ["Mara Quill"]),
        ("By MARA QUILL and Mara Quill", ["MARA QUILL"]),
        ("", []),
    ],
)
def test_split_byline(byline: str, expected: list[str]) -> None:
    assert split_byline(byline) == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("By Mara Quill", "Mara Quill"),
        ("Reporter Mara Quill", "Mara Quill"),
        ("Staff", ""),
        ("Mara Quill (mara@herald.example)", "Mara Quill"),
        ("Call 0800 123 456", ""),
    ],
)
def test_clean_name(raw: str, expected: str) -> None:
    assert clean_name(raw) == expected


@pytest.mark.parametrize(
    ("name", "credit"),
    [
        ("AP", True),
        ("The Associated Press", True),
        ("dpa", True),
        ("Reuters", True),
        ("Planet Herald Newsroom", True),
        ("The Planet Herald", True),  # the publisher itself
        ("Mara Quill", False),
    ],
)
def test_is_credit(name: str, credit: bool) -> None:
    assert is_credit(name, ["The Planet Herald"]) is credit


def test_sort_names_keeps_order_and_drops_repeats() -> None:
    names = ["Mara Quill", "dpa", "mara quill", "Tobias Fenn", "DPA"]
    assert sort_names(names, []) == (["Mara Quill", "Tobias Fenn"], ["dpa"])
