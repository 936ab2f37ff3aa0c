"""HTML pages of the sample site: articles with real-world chrome, listings, login, errors.

Article pages carry the metadata real news pages carry (JSON-LD NewsArticle, Open Graph,
``article:published_time``, ``<time datetime>``, a human date, a byline) plus navigation, ads,
related links and comments. Each article shows one of eight metadata styles
(``site.Article.meta_style``) that real sites use and that trip up extractors: site affixes
in the title, an SEO title unlike the ``<h1>``, JSON-LD in ``@graph``, agency credits,
bylines only in visible text, dates without offset, a related box with other dates, and
(``styles``) microdata only, or a tagline only the site's template shows.
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass
from datetime import datetime
from html import escape

from newswire.samplesite import syndication
from newswire.samplesite.content import comment_lines, human_date, slugify
from newswire.samplesite.outlets import IMAGE_PATH, LOGIN_PATH, PDF_PATH, SUBSCRIBE_PATH, Outlet
from newswire.samplesite.site import PAGE_SIZE, Article, SampleSite
from newswire.samplesite.styles import (
    MICRODATA,
    TEMPLATE,
    microdata_header,
    template_header,
    template_title,
)
from newswire.samplesite.truth import absolute

_STYLE = (
    "body{font-family:Georgia,serif;margin:0;color:#222}"
    ".masthead{background:#0b2545;color:#fff;padding:8px 16px}.masthead a{color:#fff}"
    "nav ul{list-style:none;display:flex;gap:12px;padding:0}.ad{background:#eee;padding:20px;"
    "text-align:center;font:12px sans-serif}.story{max-width:720px;margin:auto}"
    ".related,.comments{max-width:720px;margin:24px auto;font:14px sans-serif}"
)
_READ_MORE = {"en": "Related stories", "fr": "À lire aussi", "de": "Mehr zum Thema", "es": "Más"}
_BY = {"en": "By", "fr": "Par", "de": "Von", "es": "Por"}
_AND = {"en": "and", "fr": "et", "de": "und", "es": "y"}
_BODY_CLASS = {"planet": "article-body", "meridian": "article__content", "europa": "entry-content"}
_COMMENTS = {"en": "Comments", "fr": "Commentaires", "de": "Kommentare", "es": "Comentarios"}


@dataclass(frozen=True)
class PageContext:
    """What every page needs: the site, the outlet serving it, and every outlet's base URL."""

    site: SampleSite
    outlet: Outlet
    base_urls: dict[str, str]

    @property
    def base(self) -> str:
        """This outlet's base URL."""
        return self.base_urls[self.outlet.name]

    def url(self, path: str) -> str:
        """Absolute URL of a path on this outlet."""
        return absolute(self.base, path)


def _masthead(ctx: PageContext) -> str:
    items = [f'<li><a href="{s.path}">{escape(s.label)}</a></li>' for s in ctx.outlet.sections]
    return (
        '<a class="skip" href="#main">Skip to content</a>'
        f'<header class="masthead"><div class="brand"><a href="/">{escape(ctx.outlet.title)}</a>'
        f'</div><nav class="primary" aria-label="Sections"><ul><li><a href="/">Home</a></li>'
        f'{"".join(items)}<li><a href="{LOGIN_PATH}">Sign in</a></li></ul></nav></header>'
        '<div class="ad ad-leaderboard" data-slot="top"><span>Advertisement</span> '
        f'<a href="{SUBSCRIBE_PATH}">Go ad-free: subscribe today</a></div>'
    )


def _footer(ctx: PageContext) -> str:
    partners = "".join(
        f'<li><a href="{url}">{escape(ctx.site.outlets[name].title)}</a></li>'
        for name, url in ctx.base_urls.items()
        if name != ctx.outlet.name
    )
    return (
        '<footer class="site-footer"><nav aria-label="Footer"><ul>'
        f'<li><a href="{ctx.outlet.rss_path}">RSS</a></li><li><a href="{LOGIN_PATH}">Account</a>'
        f"</li></ul></nav><p>Partner sites:</p><ul>{partners}</ul>"
        f"<p>© {ctx.site.now.year} {escape(ctx.outlet.title)}. All rights reserved.</p></footer>"
    )


def _head(ctx: PageContext, title: str, lang: str, extra: str, charset: str = "utf-8") -> str:
    if charset == "utf-8":
        charset_tag = '<meta charset="utf-8">'
    else:
        charset_tag = f'<meta http-equiv="Content-Type" content="text/html; charset={charset}">'
    return (
        f'<!DOCTYPE html>\n<html lang="{lang}">\n<head>\n{charset_tag}\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{escape(title)}</title>\n"
        f'<link rel="alternate" type="application/rss+xml" title="{escape(ctx.outlet.title)}"'
        f' href="{ctx.url(ctx.outlet.rss_path)}">\n'
        f'<link rel="alternate" type="application/atom+xml" title="{escape(ctx.outlet.title)}"'
        f' href="{ctx.url(ctx.outlet.atom_path)}">\n'
        f"{extra}<style>{_STYLE}</style>\n</head>\n"
    )


def _json_ld(data: object) -> str:
    text = json.dumps(data, ensure_ascii=False, indent=1).replace("</", "<\\/")
    return f'<script type="application/ld+json">\n{text}\n</script>\n'


def _iso(article: Article, moment: datetime) -> str:
    text = moment.isoformat()
    return text.replace("+00:00", "Z") if article.outlet == "meridian" else text


_SEO = {
    "en": "what we know",
    "fr": "ce que l'on sait",
    "de": "was wir wissen",
    "es": "lo que sabemos",
}
_ROLE = {"en": "Senior Correspondent", "fr": "Envoyé spécial", "de": "Korrespondent",
         "es": "Corresponsal"}  # fmt: skip


def page_title(ctx: PageContext, article: Article) -> str:
    """The <title> in the article's metadata style: the site's affix in one of seven forms."""
    story, outlet, style = article.story, ctx.outlet, article.meta_style
    if style == TEMPLATE:
        return template_title(outlet, article)
    if style == 1:
        return f"{story.title} - {outlet.short.upper()}"
    if style == 2:
        return f"{seo_title(article)} – {outlet.short} – {article.published:%d.%m.%Y}"
    if style == 3:
        return f"{outlet.title}: {story.title}"
    if style == 4:
        return f"{story.title}：{outlet.title}デジタル"
    if style == 5:
        return f"{story.title}-{article.section.label}ㅣ{outlet.short}"
    return f"{story.title} | {outlet.title}"


def seo_title(article: Article) -> str:
    """Style 2's search-engine title, which is not the headline its readers see."""
    return f"{article.story.title}: {_SEO[article.language]}"


def _ld_authors(ctx: PageContext, article: Article) -> object:
    people: list[dict[str, object]] = [
        {"@type": "Person", "name": n, "url": ctx.url(f"/author/{slugify(n)}/")}
        for n in article.story.authors
    ]
    if article.meta_style == 1 and len(people) == 1:
        return people[0]  # one author as an object, not an array
    people += [{"@type": "Organization", "name": name} for name in article.credits]
    return people


def _article_meta(ctx: PageContext, article: Article) -> str:
    story, style = article.story, article.meta_style
    canonical = ctx.url(article.path)
    published = _iso(article, article.published)
    if style == 2:  # a local time without its offset: only the <time> element has it
        published = article.published.replace(tzinfo=None).isoformat()
    ld: dict[str, object] = {
        "@context": "https://schema.org",
        "@type": "NewsArticle",
        "headline": story.title,
        "description": story.dek,
        "datePublished": published,
        "author": _ld_authors(ctx, article),
        "publisher": {
            "@type": "Organization",
            "name": ctx.outlet.title,
            "logo": {"@type": "ImageObject", "url": ctx.url(IMAGE_PATH)},
        },
        "mainEntityOfPage": {"@type": "WebPage", "@id": canonical},
        "image": [ctx.url(IMAGE_PATH)],
        "inLanguage": article.language,
        "articleSection": article.section.label,
        "keywords": list(story.tags),
    }
    og_title = seo_title(article) if style == 2 else page_title(ctx, article)
    if style == 0:
        og_title = story.title
    tags = [
        '<meta property="og:type" content="article">',
        f'<meta name="description" content="{escape(story.dek)}">',
        f'<meta property="og:title" content="{escape(og_title)}">',
        f'<meta property="og:description" content="{escape(story.dek)}">',
        f'<meta property="og:site_name" content="{escape(ctx.outlet.title)}">',
        f'<meta property="og:image" content="{ctx.url(IMAGE_PATH)}">',
        f'<meta property="article:section" content="{escape(article.section.label)}">',
    ]
    if style == TEMPLATE:  # no name of the site anywhere it declares one
        del ld["headline"], ld["publisher"]
        tags.remove(f'<meta property="og:site_name" content="{escape(ctx.outlet.title)}">')
    if style == MICRODATA:  # the article's own elements say it all
        tags.append(f'<link rel="canonical" href="{canonical}">')
        return "\n".join(tags) + "\n"
    if style == 2:  # the page names its authors only in the visible byline
        del ld["headline"], ld["author"]
    else:
        names = ", ".join((*story.authors, *article.credits))
        tags.insert(1, f'<meta name="author" content="{escape(names)}">')
        tags.append(f'<meta property="article:published_time" content="{published}">')
    if article.modified is not None:
        ld["dateModified"] = _iso(article, article.modified)
        tags.append(
            f'<meta property="article:modified_time" content="{_iso(article, article.modified)}">'
        )
    tags += [f'<meta property="article:tag" content="{escape(t)}">' for t in story.tags]
    if not article.comment_pages:  # a theme that names no canonical URL: the issue-11 case
        tags.insert(4, f'<meta property="og:url" content="{canonical}">')
        tags.append(f'<link rel="canonical" href="{canonical}">')
    if style == 3:  # one @graph holding the site, the page and the story
        site = {"@type": "WebSite", "name": ctx.outlet.title, "url": ctx.base}
        page = {"@type": "WebPage", "@id": canonical, "name": page_title(ctx, article)}
        graph = {"@context": ld.pop("@context"), "@graph": [site, page, ld]}
        return "\n".join(tags) + "\n" + _json_ld(graph)
    return "\n".join(tags) + "\n" + _json_ld(ld)


def _byline(article: Article) -> str:
    by, style = _BY[article.language], article.meta_style
    names = article.story.authors
    if style == 2:  # plain visible text: no links, no class a reader of markup would know
        joined = f" {_AND[article.language]} ".join(escape(n) for n in names)
        return f'<p class="credit-line">{by} {joined}</p>'
    links = [
        f'<a rel="author" class="author" href="/author/{slugify(n)}/">{escape(n)}</a>'
        for n in names
    ]
    joined = f" {_AND[article.language]} ".join(links)
    if style == 1:  # a role word and an e-mail address after the names
        mail = f"{slugify(names[0]) if names else 'desk'}@{article.outlet}.example"
        joined += f', {_ROLE[article.language]} <a href="mailto:{mail}">{mail}</a>'
    if article.credits:
        joined += "".join(f', <span class="agency">{escape(c)}</span>' for c in article.credits)
    return f'<div class="byline"><span>{by}</span> {joined}</div>'


def _body(article: Article, comment_page: int) -> str:
    parts: list[str] = []
    for number, paragraph in enumerate(article.story.paragraphs):
        parts.append(f"<p>{escape(paragraph, quote=False)}</p>")
        if number == 1:
            parts.append(
                '<div class="ad ad-inline" data-slot="mid"><span>Advertisement</span></div>'
            )
    if article.comment_pages:
        discussion = escape(syndication.discussion_line(comment_page))
        parts.append(f'<p class="discussion">{discussion}</p>')
    return "\n".join(parts)


def related_links(ctx: PageContext, article: Article, count: int) -> list[tuple[str, Article]]:
    """(href, article) of other stories for the related list: listed ones, bulk neighbours."""
    if article.bulk_index is None:
        pool = [a for a in ctx.site.listed(ctx.outlet.name) if a.path != article.path]
    else:
        step = len(ctx.site.outlets)
        near = range(article.bulk_index + step, article.bulk_index + step * (count + 1), step)
        pool = [ctx.site.bulk_article(i) for i in near if i < ctx.site.bulk_articles]
    links = []
    for other in pool[:count]:
        href = other.tracking[1] if other.tracking else other.link_path
        links.append((href, other))
    return links


def _related_date(article: Article, other: Article) -> str:
    """Style 5 dates its related links: other days, which must not become this page's."""
    if article.meta_style != 5:
        return ""
    return (
        f' <time datetime="{other.published.isoformat()}">'
        f"{escape(human_date(other.published, other.language))}</time>"
    )


def _comments(article: Article, count: int, page: int = 1) -> str:
    key = f"{article.outlet}:{article.path}" + (f":{page}" if page > 1 else "")
    items = "".join(
        f'<li class="comment"><p class="comment-meta"><span class="user">{escape(user)}</span>'
        f' · <span class="ago">{hours} h</span></p><p class="comment-text">{escape(text)}</p>'
        f'<button class="reply" type="button">Reply</button></li>\n'
        for user, text, hours in comment_lines(key, article.language, count)
    )
    title = _COMMENTS[article.language]
    return (
        f'<section class="comments" id="comments"><h2>{title} ({count})</h2>'
        f"<ol>{items}</ol></section>"
    )


def _story(ctx: PageContext, article: Article, related_count: int, comment_page: int) -> str:
    """Masthead, the article itself, the files aside and the related list."""
    story = article.story
    tags = " ".join(f'<a rel="tag" href="/tag/{slugify(t)}/">{escape(t)}</a>' for t in story.tags)
    published = _iso(article, article.published)
    if article.meta_style == MICRODATA:
        modified = _iso(article, article.modified) if article.modified else None
        header = microdata_header(article, published, modified)
    else:
        headline = f'<h1 class="headline">{escape(story.title)}</h1>'
        header = (
            f"{template_header(article) if article.meta_style == TEMPLATE else headline}"
            f'{_byline(article)}<p class="dateline"><time datetime="{published}">'
            f"{escape(human_date(article.published, article.language))}</time></p>"
        )
    scope = ' itemscope itemtype="https://schema.org/NewsArticle"'
    scope = scope if article.meta_style == MICRODATA else ""
    related = "".join(
        f'<li><a href="{href}">{escape(other.story.title)}</a>{_related_date(article, other)}</li>'
        for href, other in related_links(ctx, article, related_count)
    )
    return (
        f'<body class="article-page">\n{_masthead(ctx)}\n<main id="main">\n'
        f'<article class="story"{scope}>\n<header class="story-header">'
        f'<p class="kicker"><a href="{article.section.path}">'
        f"{escape(article.section.label)}</a></p>{header}</header>\n"
        f'<figure class="lead-image"><img src="{IMAGE_PATH}" alt="" width="640" height="360">'
        f"<figcaption>{escape(story.dek)}</figcaption></figure>\n"
        f'<div class="{_BODY_CLASS[ctx.outlet.style]}" itemprop="articleBody">\n'
        f"{_body(article, comment_page)}\n</div>\n"
        f'<footer class="story-tags">Tags: {tags}</footer>\n</article>\n'
        f'<aside class="documents"><a href="{PDF_PATH}">PDF</a></aside>\n'
        f'<aside class="related"><h2>{_READ_MORE[article.language]}</h2>'
        f"<ul>{related}</ul></aside>\n"
    )


def render_article(ctx: PageContext, article: Article, comment_page: int = 1) -> str:
    """The article page, with one page of its comments; bulk articles are padded with
    realistic chrome to 60-120 KB."""
    bulk_bytes = 0
    if article.bulk_index is not None:
        bulk_bytes = random.Random(f"size:{article.bulk_index}").randrange(64_000, 116_000)
    head = _head(
        ctx,
        page_title(ctx, article),
        article.language,
        _article_meta(ctx, article),
        article.legacy_encoding or "utf-8",
    )
    top = _story(ctx, article, 24 if bulk_bytes else 4, comment_page)
    tail = f"</main>\n{_footer(ctx)}\n</body>\n</html>\n"
    comments = _comments(article, 3, comment_page)
    page = head + top + comments + tail
    if bulk_bytes and len(page) < bulk_bytes:
        page = head + top + _bulk_chrome(ctx, article, bulk_bytes - len(page)) + tail
    return page


def _bulk_chrome(ctx: PageContext, article: Article, budget: int) -> str:
    """Navigation menus, a data blob and comments, filling ``budget`` characters."""
    rng = random.Random(f"chrome:{article.path}")
    menu = "".join(
        f'<li><a href="{s.path}" data-track="menu-{i}">{escape(s.label)}</a></li>'
        for i in range(6)
        for s in ctx.outlet.sections
        if not s.disallowed
    )
    blob = json.dumps(
        {"ads": [{"slot": f"slot-{i}", "size": [300, 250], "k": rng.random()} for i in range(40)]}
    )
    parts = [
        f'<nav class="mega-menu" aria-label="All sections"><ul>{menu}</ul></nav>\n',
        f"<script>window.__APP_STATE__ = {blob};</script>\n",
    ]
    used = sum(len(p) for p in parts)
    sample = len(_comments(article, 10)) / 10
    comments = _comments(article, max(8, int((budget - used) / sample)))
    parts.append(comments)
    return "".join(parts)


def _teaser(ctx: PageContext, article: Article, href: str | None = None) -> str:
    return (
        f'<article class="teaser"><h2><a href="{href or article.link_path}">'
        f"{escape(article.story.title)}</a></h2><p>{escape(article.story.dek)}</p>"
        f'<time datetime="{article.published.isoformat()}">'
        f"{escape(human_date(article.published, article.language))}</time></article>\n"
    )


def render_listing(ctx: PageContext, title: str, articles: list[Article], page: int) -> str:
    """A section, tag or author page with ``?page=N`` pagination."""
    start = (page - 1) * PAGE_SIZE
    shown = articles[start : start + PAGE_SIZE]
    pager = []
    if page > 1:
        previous = "./" if page == 2 else f"?page={page - 1}"  # page 1 has one URL, not two
        pager.append(f'<a rel="prev" href="{previous}">Previous</a>')
    if start + PAGE_SIZE < len(articles):
        pager.append(f'<a rel="next" href="?page={page + 1}">Next</a>')
    teasers = "".join(_teaser(ctx, a, a.tracking[2] if a.tracking else None) for a in shown)
    return (
        _head(ctx, f"{title} | {ctx.outlet.title}", ctx.outlet.language, "")
        + f'<body class="listing">\n{_masthead(ctx)}\n<main id="main"><h1>{escape(title)}</h1>\n'
        + f'{teasers}<nav class="pagination">{" ".join(pager)}</nav></main>\n'
        + f"{_footer(ctx)}\n</body>\n</html>\n"
    )


def render_home(ctx: PageContext) -> str:
    """The front page: latest stories, section links and the trap links."""
    site, outlet = ctx.site, ctx.outlet
    latest = site.latest(outlet.name, 12)
    teasers = "".join(_teaser(ctx, a, a.tracking[0] if a.tracking else None) for a in latest)
    extras = [f'<li><a href="{outlet.missing_path}">Correction: an earlier story</a></li>']
    for section in outlet.sections:
        if section.disallowed:
            locked = site.in_section(outlet.name, section.slug)[:1]
            extras += [
                f'<li><a href="{a.path}">Members only: {escape(a.story.title)}</a></li>'
                for a in locked
            ]
    extras += [  # a recent-comments box: each link goes to the comment's page of the article
        f'<li><a href="{a.path}?p={n}#comment-{n * 10 + 3}">'
        f"A reader on {escape(a.story.title)}</a></li>"
        for a in site.listed(outlet.name)
        if a.comment_pages
        for n in a.comment_pages
    ]
    extras.append(f'<li><a href="{PDF_PATH}">Annual report (PDF)</a></li>')
    extras.append(f'<li><a href="{IMAGE_PATH}">Today\'s front page (image)</a></li>')
    return (
        _head(ctx, outlet.title, outlet.language, "")
        + f'<body class="home">\n{_masthead(ctx)}\n<main id="main">'
        + f"<h1>{escape(outlet.title)}</h1>\n"
        + f'<section class="top-stories">{teasers}</section>\n'
        + f'<aside class="more"><ul>{"".join(extras)}</ul></aside></main>\n'
        + f"{_footer(ctx)}\n</body>\n</html>\n"
    )


def render_login(ctx: PageContext) -> str:
    """A sign-in form: a page that is linked everywhere and is not an article."""
    form = (
        '<form method="post" action="/account/login"><label>Email <input name="email" type="email">'
        '</label><label>Password <input name="password" type="password"></label>'
        '<button type="submit">Sign in</button></form>'
    )
    return (
        _head(
            ctx,
            f"Sign in | {ctx.outlet.title}",
            ctx.outlet.language,
            '<meta name="robots" content="noindex">\n',
        )
        + f'<body class="login">\n{_masthead(ctx)}\n<main id="main"><h1>Sign in</h1>{form}</main>\n'
        + f"{_footer(ctx)}\n</body>\n</html>\n"
    )


def render_error(ctx: PageContext, status: int, message: str) -> str:
    """A small branded error page (404, 500)."""
    return (
        _head(ctx, f"{status} {message} | {ctx.outlet.title}", ctx.outlet.language, "")
        + f'<body class="error">\n{_masthead(ctx)}\n<main id="main">'
        + f"<h1>{status} {escape(message)}</h1>"
        + "<p>Try the home page or the section pages.</p></main>\n</body>\n</html>\n"
    )
