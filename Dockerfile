# The newswire image: the `newswire` command line. docker-compose.yml runs `newswire scheduler`
# from it; any other command works too, e.g. `docker compose run --rm scheduler runs`.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /app
COPY pyproject.toml README.md scrapy.cfg ./
COPY crawler crawler
COPY pipelines pipelines
COPY storage storage
COPY scheduler scheduler
COPY newswire newswire
RUN pip install . \
    && useradd --system --create-home --home-dir /var/lib/newswire newswire

# The database comes from DATABASE_URL (set by docker-compose.yml); the sources file is mounted.
USER newswire
ENV NEWSWIRE_DATA_DIR=/var/lib/newswire \
    NEWSWIRE_SOURCES=/etc/newswire/sources.toml
STOPSIGNAL SIGTERM
ENTRYPOINT ["newswire"]
CMD ["scheduler"]
