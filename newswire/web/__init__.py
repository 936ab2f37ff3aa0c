"""The web pages served by ``newswire serve`` beside the API: search, article, sources, runs.

Server-rendered (Jinja2, autoescaped: render.py) and readable without JavaScript; one small
script of our own (static/app.js) turns times into the reader's zone, keeps the runs page
live and sends the runs page's writes to the API with the token in a header. The pages call
the same storage functions as the CLI and the API and write no SQL of their own. They are
reads: with ``NEWSWIRE_API_OPEN_READS=false`` they answer 403, since a browser's page load
cannot carry the bearer token (and a cookie would bring CSRF with it).

One module a page (search.py, article.py, sources.py, runs.py), mounted by pages.py.
"""
