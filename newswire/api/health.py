"""GET /healthz (always open: load balancers probe it) and GET /metrics (Prometheus text)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from newswire.api.deps import READ, Conn, error_responses
from newswire.responses import Health
from storage.connection import ping

router = APIRouter()


@router.get("/healthz", response_model=Health, responses=error_responses(503))
def healthz(conn: Conn) -> Health:
    """200 when the database answers; 503 otherwise."""
    ping(conn)
    return Health(status="ok", database="reachable")


@router.get(
    "/metrics",
    dependencies=READ,
    response_class=Response,
    responses={200: {"content": {"text/plain": {}}}, **error_responses(401, 403, 503)},
)
def metrics(request: Request) -> Response:
    """Prometheus text format: articles, runs by status, last success, crawl durations."""
    body = generate_latest(request.app.state.registry)
    return Response(body, media_type=CONTENT_TYPE_LATEST)
