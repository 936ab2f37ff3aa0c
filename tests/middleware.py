"""Driving one spider middleware's ``process_spider_output`` by hand, outside a crawl."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterable
from typing import Any


async def _stream(objects: Iterable[Any]) -> AsyncIterator[Any]:
    for obj in objects:
        yield obj


def through(middleware: Any, objects: Iterable[Any]) -> list[Any]:
    """What the middleware lets through of a callback's output, in order."""

    async def collect() -> list[Any]:
        return [obj async for obj in middleware.process_spider_output(None, _stream(objects))]

    return asyncio.run(collect())
