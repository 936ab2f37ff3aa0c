"""Articles that change after publication, on a clock the tests control.

Six articles of the first outlet are planned to change, one of each kind a newsroom makes: a
headline rewritten, paragraphs added to a developing story, a correction line appended, a
byline changed (a wire credit becomes a staff byline), one taken down (404) and one turned into
a redirect to another article. Nothing changes until ``POST /__sample/revise`` (or
``RunningSite.revise()``): then every edit applies at once, the edited pages carry the time as
their modified date (page, sitemap ``lastmod``, feed ``<updated>``), and the ground truth lists
each change with the kind a crawler should classify it as.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from newswire.samplesite.site import Article

# The kinds, in the order edits are dealt to the chosen articles (newest first), as
# newswire.records.ChangeKind names them.
KINDS = ("headline", "text_edit", "correction", "byline", "removed", "redirected")
_DEVELOPING = {
    "en": ("Officials said more details would be released later in the day.",
           "Witnesses described long queues forming outside the main building by noon."),
    "de": ("Die Behörden kündigten weitere Einzelheiten für den Nachmittag an.",
           "Augenzeugen berichteten von langen Schlangen vor dem Hauptgebäude."),
    "fr": ("Les autorités ont annoncé d'autres précisions dans la journée.",
           "Des témoins ont décrit de longues files d'attente devant le bâtiment."),
    "es": ("Las autoridades anunciaron más detalles a lo largo del día.",
           "Varios testigos describieron largas colas frente al edificio principal."),
}  # fmt: skip
_CORRECTION = {
    "en": "Correction: an earlier version of this article misstated the date of the vote.",
    "de": "Berichtigung: In einer früheren Fassung war das Datum der Abstimmung falsch.",
    "fr": "Rectificatif : une version précédente de cet article indiquait une date erronée.",
    "es": "Corrección: una versión anterior de este artículo indicaba mal la fecha.",
}
_HEADLINE_PREFIX = {"en": "Update:", "de": "Neu:", "fr": "Nouveau :", "es": "Última hora:"}
_STAFF_BYLINE = ("Morgan Ellery",)


@dataclass(frozen=True)
class Edit:
    """One planned change: the article (outlet and path), its kind, and for a redirect the
    path it will lead to."""

    outlet: str
    path: str
    kind: str
    target: str | None = None


def _plain(article: Article) -> bool:
    """An article no other trap of the site touches, so its change is the only thing to see."""
    return not (
        article.held_back or article.old or article.disallowed or article.retry_500
        or article.slow or article.legacy_encoding or article.short_path or article.tracking
        or article.duplicate_of or article.story_of or article.syndicated
    )  # fmt: skip


def plan_edits(articles: Sequence[Article], outlet: str) -> tuple[Edit, ...]:
    """One edit of each kind on the outlet's newest plain articles; the redirect leads to the
    next one, which stays as it is."""
    chosen = sorted(
        (a for a in articles if a.outlet == outlet and _plain(a)),
        key=lambda a: a.published,
        reverse=True,
    )[: len(KINDS) + 1]
    if len(chosen) <= len(KINDS):
        return ()
    edits = [Edit(a.outlet, a.path, kind) for a, kind in zip(chosen, KINDS, strict=False)]
    edits[-1] = replace(edits[-1], target=chosen[len(KINDS)].path)
    return tuple(edits)


def apply_edit(article: Article, edit: Edit, when: datetime) -> Article | None:
    """The article after its edit, modified at ``when``; None when it is gone (removed or a
    redirect: the site answers for its path, not the article)."""
    story, language = article.story, article.language
    if edit.kind == "headline":
        story = replace(story, title=f"{_HEADLINE_PREFIX[language]} {story.title}")
    elif edit.kind == "text_edit":
        story = replace(story, paragraphs=(*story.paragraphs, *_DEVELOPING[language]))
    elif edit.kind == "correction":
        story = replace(story, paragraphs=(*story.paragraphs, _CORRECTION[language]))
    elif edit.kind == "byline":
        story = replace(story, authors=_STAFF_BYLINE)
    else:
        return None
    return replace(article, story=story, modified=when.astimezone(article.published.tzinfo))
