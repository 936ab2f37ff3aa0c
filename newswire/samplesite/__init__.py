"""A generated sample news site served on 127.0.0.1, with the ground truth a crawl should find.

Three outlets on distinct ports, each with feeds, sitemaps, robots.txt and article pages that
look like real news pages, plus the traps real sites set (tracking parameters, syndicated
copies, canonical links, 404/500s, slow pages, legacy encodings, disallowed sections).
"""

from newswire.samplesite.server import RunningSite, start_site
from newswire.samplesite.site import SampleSite, build_site

__all__ = ["RunningSite", "SampleSite", "build_site", "start_site"]
