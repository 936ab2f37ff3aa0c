"""What changed between two versions of an article: the change kinds and a word diff.

Pure functions over two :class:`~newswire.records.VersionContent` values, so the store, the
CLI, the API and the web page all say the same thing about a change. The diff is difflib's
over words (whitespace-separated tokens), without its "junk" heuristic: in a news text the
common words it would skip are exactly the ones an edit changes.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Sequence
from dataclasses import dataclass

from newswire.records import ChangeKind, Version, VersionContent
from pipelines.dedup import normalize_text

# A paragraph that opens like a correction or update note, in the corpus's main languages.
_NOTE = re.compile(
    r"^\W*(correction|corrected|clarification|update|updated|editor'?s note|"
    r"berichtigung|korrektur|aktualisiert|aktualisierung|"
    r"corrección|fe de errores|actualización|actualizado|rectificatif|mise à jour|erratum)\b",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class DiffChunk:
    """A run of words a diff keeps, adds or removes; ``op`` is "same", "added" or "removed"."""

    op: str
    text: str


def word_diff(old: str, new: str) -> list[DiffChunk]:
    """The word diff of two texts (or titles): chunks in reading order, whose "same" and
    "removed" texts join (with spaces) to ``old`` and whose "same" and "added" texts to ``new``,
    whitespace aside. The web page and ``show --versions`` render these."""
    before, after = old.split(), new.split()
    matcher = difflib.SequenceMatcher(None, before, after, autojunk=False)
    chunks: list[DiffChunk] = []
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            chunks.append(DiffChunk("same", " ".join(before[i1:i2])))
            continue
        if i2 > i1:
            chunks.append(DiffChunk("removed", " ".join(before[i1:i2])))
        if j2 > j1:
            chunks.append(DiffChunk("added", " ".join(after[j1:j2])))
    return chunks


@dataclass(frozen=True)
class VersionDiff:
    """A version and its word diffs (title and text) against the version before it; both
    are [] for the first version and for a removal, which repeats the content it removed."""

    version: Version
    title_diff: list[DiffChunk]
    text_diff: list[DiffChunk]


def diff_versions(versions: Sequence[Version]) -> list[VersionDiff]:
    """Each version (oldest first, as ``storage.versions.list_versions`` gives them) with its
    diffs against the one before: what ``show --versions``, the API and the web page show."""
    diffs: list[VersionDiff] = []
    previous: Version | None = None
    for version in versions:
        if previous is None:
            diffs.append(VersionDiff(version, [], []))
        else:
            diffs.append(
                VersionDiff(
                    version,
                    _changed(word_diff(previous.title, version.title)),
                    _changed(word_diff(previous.text, version.text)),
                )
            )
        previous = version
    return diffs


def _changed(chunks: list[DiffChunk]) -> list[DiffChunk]:
    """[] for a diff that changes nothing."""
    return chunks if any(chunk.op != "same" for chunk in chunks) else []


def diff_counts(chunks: Sequence[DiffChunk]) -> tuple[int, int]:
    """Words added and removed by a diff."""
    added = sum(len(c.text.split()) for c in chunks if c.op == "added")
    removed = sum(len(c.text.split()) for c in chunks if c.op == "removed")
    return added, removed


def render_word_diff(chunks: Sequence[DiffChunk], context: int = 6) -> str:
    """A diff as one line of text, ``[-removed-]`` and ``{+added+}`` as git's word diff writes
    them, unchanged runs cut to ``context`` words either side of a change ("..." between);
    "" when nothing changed."""
    if all(chunk.op == "same" for chunk in chunks):
        return ""
    parts: list[str] = []
    for index, chunk in enumerate(chunks):
        if chunk.op == "removed":
            parts.append(f"[-{chunk.text}-]")
        elif chunk.op == "added":
            parts.append(f"{{+{chunk.text}+}}")
        else:
            parts.append(_elide(chunk.text.split(), context, index > 0, index < len(chunks) - 1))
    return " ".join(part for part in parts if part)


def _elide(words: list[str], context: int, after_change: bool, before_change: bool) -> str:
    head = words[:context] if after_change else []
    tail = words[-context:] if before_change else []
    if len(head) + len(tail) >= len(words):
        return " ".join(words)
    return " ".join([*head, "...", *tail])


def classify_change(old: VersionContent, new: VersionContent) -> list[ChangeKind]:
    """The kinds of change from ``old`` to ``new``, the main one first; [] when the two are the
    same article (text compared after normalisation, names after folding case).

    A paragraph added that opens like a correction or update note ("Correction:", "Update:",
    "Editor's note", "Berichtigung", ...) is a correction; any other word added or removed is
    a text edit. A changed modified date alone is a date change; beside another change it is
    part of that edit.
    """
    kinds: list[ChangeKind] = []
    if normalize_text(old.title) != normalize_text(new.title):
        kinds.append(ChangeKind.HEADLINE)
    old_paragraphs = _paragraphs(old.text)
    added = [p for p in _paragraphs(new.text) if p not in old_paragraphs]
    notes = [p for p in added if _NOTE.match(p)]
    if notes:
        kinds.append(ChangeKind.CORRECTION)
    without_notes = [p for p in _paragraphs(new.text) if p not in notes]
    if without_notes != old_paragraphs:
        kinds.append(ChangeKind.TEXT_EDIT)
    if _names(old.authors) != _names(new.authors) or _names(old.credits) != _names(new.credits):
        kinds.append(ChangeKind.BYLINE)
    if old.published_at != new.published_at or (not kinds and old.modified_at != new.modified_at):
        kinds.append(ChangeKind.DATE)
    return kinds


def _paragraphs(text: str) -> list[str]:
    return [p for p in (normalize_text(line) for line in text.splitlines()) if p]


def _names(names: Sequence[str]) -> list[str]:
    return sorted(normalize_text(name) for name in names)
