# The two commands a newcomer runs: `make demo` and `make test`. Both build .venv first.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: demo test lint bench bench-search bench-web bench-metadata bench-dedup bench-health bench-refetch bench-scale screenshots clean

$(BIN)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $@

demo: $(BIN)/.installed
	$(BIN)/newswire demo

test: $(BIN)/.installed
	$(BIN)/ruff check .
	$(BIN)/python -m pytest

lint: $(BIN)/.installed
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

# Crawl throughput: end to end against the naive baseline and the extraction-only limit, a
# re-crawl, memory and fast mode's quality (README "Benchmarks"); ARGS="--also-large" adds
# the 20,000-article memory check.
bench: $(BIN)/.installed
	$(BIN)/python bench/crawl_bench.py $(ARGS)

# Search and export figures at 100,000 generated articles (a scratch database, dropped after).
bench-search: $(BIN)/.installed
	$(BIN)/python bench/search_bench.py

# Web pages over HTTP at 100,000 articles and 1,000 sources: results, an article, the sources
# page, each beside the API's JSON for the same data (p95 target 300 ms).
bench-web: $(BIN)/.installed
	$(BIN)/python bench/web_bench.py $(ARGS)

# A desktop and a phone picture of every web page, from the sample corpus (docs/screenshots).
screenshots: $(BIN)/.installed
	$(BIN)/python -m tests.screenshots

bench-metadata: $(BIN)/.installed
	$(BIN)/python bench/metadata_bench.py $(ARGS)

# Near-duplicate stories: copy-link precision/recall on the sample site beside the exact hash,
# and ms per article to sign and look up at 10,000 and 100,000 generated articles.
bench-dedup: $(BIN)/.installed
	$(BIN)/python bench/dedup_bench.py $(ARGS)

# Source health at 1,000 sources and 100,000 articles: the query behind `newswire health`, the
# sources page and /metrics against one query per source, and the cost of a run's checks.
bench-health: $(BIN)/.installed
	$(BIN)/python bench/health_bench.py $(ARGS)

# The refetch schedule: the per-run due query at 100,000 stored articles beside a full scan,
# and the refetch requests a day adds to each source.
bench-refetch: $(BIN)/.installed
	$(BIN)/python bench/refetch_bench.py $(ARGS)

# A thousand outlets through the scheduler and its workers: first crawl, ten refresh cycles, the
# process-per-run baseline and Scrapy alone (README "Benchmarks"); ARGS="--outlets 100" is quick.
bench-scale: $(BIN)/.installed
	$(BIN)/python bench/scale_bench.py $(ARGS)

clean:
	rm -rf $(VENV) build *.egg-info
