"""Scrapy settings for newswire, grouped; comments mark where they depart from Scrapy's defaults.

A source's ``[sources.NAME.settings]`` table overrides any of these at spider priority.
"""

BOT_NAME = "newswire"
SPIDER_MODULES = ["crawler.spiders"]
NEWSPIDER_MODULE = "crawler.spiders"

# --- Politeness ---------------------------------------------------------------------------
ROBOTSTXT_OBEY = True
USER_AGENT = "newswire/0.1 (+https://github.com/newswire/newswire; news corpus crawler)"
AUTOTHROTTLE_ENABLED = True
# Scrapy's 5 s makes a small site crawl take minutes, and a run's feeds, sitemaps and listings
# form chains of a few requests each: 0.1 s lets a re-crawl that finds nothing new finish in
# about a second. AutoThrottle then follows the server's latency, slowing for a slow one.
AUTOTHROTTLE_START_DELAY = 0.1
AUTOTHROTTLE_MAX_DELAY = 30.0
AUTOTHROTTLE_TARGET_CONCURRENCY = 4.0  # per site; AutoThrottle adapts down on slow servers
CONCURRENT_REQUESTS = 64
CONCURRENT_REQUESTS_PER_DOMAIN = 8  # a slot is one source's host:port (see the spider)
DOWNLOAD_DELAY = 0.0
DOWNLOAD_TIMEOUT = 30
RETRY_ENABLED = True
RETRY_TIMES = 2
RETRY_HTTP_CODES = [500, 502, 503, 504, 522, 524, 408, 429]
DOWNLOAD_MAXSIZE = 16 * 1024 * 1024
DOWNLOAD_WARNSIZE = 4 * 1024 * 1024
COOKIES_ENABLED = False  # news pages don't need sessions; cookies only invite paywall games
REDIRECT_MAX_TIMES = 5
METAREFRESH_ENABLED = False  # news pages don't redirect by <meta refresh>; checking decodes each
DOWNLOADER_MIDDLEWARES = {
    "crawler.fetching.CompressedBodyMiddleware": 595,  # see the module: no charset guessing
}

# --- Conditional requests -----------------------------------------------------------------
# Feeds, sitemaps and listings are cached and revalidated each run (If-None-Match /
# If-Modified-Since): an unchanged one costs a 304 and is re-read from the cache, and the
# incremental gate drops its known URLs in one query. Article pages are never cached.
HTTPCACHE_ENABLED = True
HTTPCACHE_POLICY = "scrapy.extensions.httpcache.RFC2616Policy"
# Scrapy's filesystem storage, minus rewriting an entry a 304 left as it was (crawler.fetching).
HTTPCACHE_STORAGE = "crawler.fetching.RevalidationCacheStorage"
HTTPCACHE_DIR = "httpcache"  # relative: under newswire's data dir (crawler/runtime.py)

# --- Engine -------------------------------------------------------------------------------
TWISTED_REACTOR = "twisted.internet.asyncioreactor.AsyncioSelectorReactor"
REMOTE_CONTROL_ENABLED = False  # Scrapy 2.19 opens a control listener otherwise
TELNETCONSOLE_ENABLED = False
DEPTH_PRIORITY = 0
# Backpressure: pages waiting for an extraction worker stay in the scraper and count here;
# past this many bytes the engine stops downloading, so memory stays flat however big the site.
SCRAPER_SLOT_MAX_ACTIVE_SIZE = 5_000_000
CONCURRENT_ITEMS = 4  # per response; Scrapy's 100 starts 100 tasks for each one-item page
# Scrapy parses each callback's source for a `return value` in a generator, a dev-time check
# whose cache is keyed by the bound method: a worker's every crawl paid 4% of its loop for it.
WARN_ON_GENERATOR_RETURN_VALUE = False
LOG_LEVEL = "INFO"
DEFAULT_DROPITEM_LOG_LEVEL = "DEBUG"  # rejections are counted in stats, not logged one by one
FEED_EXPORT_ENCODING = "utf-8"

# --- Stages -------------------------------------------------------------------------------
# The incremental stage, in the order a callback's output meets it: refetch stored articles
# that are due or modified, skip other stored URLs, spend max_pages on what is new (refetches
# take at most half), hold article requests past the scheduler's limit.
SPIDER_MIDDLEWARES = {
    "crawler.refetch.RefetchMiddleware": 951,  # stored articles due again, and modified ones
    "crawler.gate.StoredUrlGateMiddleware": 950,
    "crawler.budget.PageBudgetMiddleware": 949,
    "crawler.backlog.RequestBacklogMiddleware": 948,
    # Each spider middleware wraps every callback's output; these two do nothing for us.
    "scrapy.spidermiddlewares.depth.DepthMiddleware": None,  # listings track their own depth
    "scrapy.spidermiddlewares.metacopy.MetaCopyDetectionMiddleware": None,  # a dev-time check
}
ITEM_PIPELINES = {
    "pipelines.extract.ExtractPipeline": 100,
    "pipelines.dedup.DedupPipeline": 200,
    "pipelines.store.StorePipeline": 300,
}
EXTENSIONS = {
    "crawler.runstats.RunStatsExtension": 100,
    # AutoThrottle, except that a 304 may lower the delay as a 200 does (see crawler.fetching).
    "scrapy.extensions.throttle.AutoThrottle": None,
    "crawler.fetching.ConditionalAutoThrottle": 0,
}

# --- newswire -----------------------------------------------------------------------------
# Process config (database, sources file) is filled in from newswire.config by the entry
# point; `scrapy crawl news` from the repo root picks it up through crawler.runtime.
NEWSWIRE_DATABASE_URL = None
NEWSWIRE_SOURCES = None
NEWSWIRE_RUN_TRIGGER = "cli"
NEWSWIRE_EXTRACT_WORKERS = None  # None: one process per core
NEWSWIRE_EXTRACT_FAST = False
NEWSWIRE_EXTRACT_MIN_TEXT_CHARS = 250
NEWSWIRE_DEDUP_NEAR = True  # off: no MinHash signatures, stories of exact copies only
# (bench/crawl_bench.py crawls with it off and on to measure what near-dup detection costs)
NEWSWIRE_STORE_BATCH_SIZE = 100
NEWSWIRE_STORE_FLUSH_SECONDS = 2.0
# The checks of every run (crawler.monitors): Spidermon MonitorSuite classes, and thresholds.
NEWSWIRE_RUN_MONITORS = ["crawler.monitors.RunChecks"]
NEWSWIRE_CHECK_MIN_ITEMS = 1  # new articles a run that fetched article pages should store
NEWSWIRE_CHECK_MIN_TITLE_SHARE = 0.9  # of its new articles, the share with a title
NEWSWIRE_CHECK_MIN_AUTHORS_SHARE = 0.5  # ... with an author (agency copy often has none)
NEWSWIRE_CHECK_MIN_DATE_SHARE = 0.8  # ... with a publication date
NEWSWIRE_CHECK_MAX_ERROR_SHARE = 0.1  # errors per page fetched (at least 1 is allowed)
NEWSWIRE_CHECK_FINISH_REASONS = ["finished"]
NEWSWIRE_HEALTH = None  # newswire.config.HealthSettings, set from the process config
NEWSWIRE_INCREMENTAL_ENABLED = True  # off: no gate, no max_pages, no backlog
# Requests in Scrapy's scheduler; more article requests wait in crawler.backlog.
NEWSWIRE_INCREMENTAL_QUEUE_LIMIT = 1000
