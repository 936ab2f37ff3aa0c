"""The metadata styles that real pages show beyond JSON-LD and meta tags (``meta_style`` 6, 7).

Style 6 marks the story up as schema.org microdata in visible elements only: an
``itemscope itemtype=NewsArticle`` article whose headline, authors (Person items with a
nested name) and dates are ``itemprop`` elements, with no JSON-LD, no author or date meta.
Style 7 shows only the site's template: every title ends in the outlet's tagline, which no
``og:site_name``, publisher, source name or host spells, and no ``<h1>`` tells the headline
apart; only the same tagline on many of the outlet's titles says it is the site's.
"""

from __future__ import annotations

from html import escape

from newswire.samplesite.content import human_date, slugify
from newswire.samplesite.outlets import Outlet
from newswire.samplesite.site import Article

MICRODATA, TEMPLATE = 6, 7
# A tagline each outlet style puts after every headline of style 7 (never its name).
TAGLINES = {
    "planet": "Independent news since 1921",
    "meridian": "Around the clock, around the world",
    "europa": "Le quotidien du continent",
}
_UPDATED = {"en": "Updated", "fr": "Mis à jour", "de": "Aktualisiert", "es": "Actualizado"}
_AND = {"en": "and", "fr": "et", "de": "und", "es": "y"}


def template_title(outlet: Outlet, article: Article) -> str:
    """Style 7's <title>: the headline, then the outlet's tagline."""
    return f"{article.story.title} — {TAGLINES[outlet.style]}"


def _person(name: str) -> str:
    return (
        '<span itemprop="author" itemscope itemtype="https://schema.org/Person">'
        f'<a itemprop="url" href="/author/{slugify(name)}/"><span itemprop="name">'
        f"{escape(name)}</span></a></span>"
    )


def microdata_header(article: Article, iso: str, modified_iso: str | None) -> str:
    """Style 6's story header: headline, authors and dates as visible microdata."""
    language = article.language
    people = f" {_AND[language]} ".join(_person(name) for name in article.story.authors)
    updated = ""
    if article.modified is not None and modified_iso is not None:
        updated = (
            f' · {_UPDATED[language]} <time itemprop="dateModified" datetime="{modified_iso}">'
            f"{escape(human_date(article.modified, language))}</time>"
        )
    return (
        f'<h1 class="headline" itemprop="headline">{escape(article.story.title)}</h1>'
        f'<p class="contributors">{people}</p>'
        f'<p class="dateline"><time itemprop="datePublished" datetime="{iso}">'
        f"{escape(human_date(article.published, language))}</time>{updated}</p>"
    )


def template_header(article: Article) -> str:
    """Style 7's headline: a styled paragraph, not an <h1>."""
    return f'<p class="headline" role="heading" aria-level="1">{escape(article.story.title)}</p>'
