"""Rendered rows kept for a minute: the queue pages and the manager's board.

A long list is read, ranked and rendered once, and kept in the cache under a key that
holds the reader, the address with its filters, the language, the time zone, the
minute, and a stamp of the list's asks (queues.stamp_of: one indexed query that changes
with any write to them). So a reload shows every change to an ask at once, and only
what depends on the clock alone ("overdue 3h") may be up to a minute old. The cache is
a convenience: when it is down, pages are built directly.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable

from django.core.cache import cache
from django.utils import timezone, translation
from redis.exceptions import RedisError

logger = logging.getLogger(__name__)

SECONDS = 60
# What a cache that is down raises (Redis in production; the laptop's is in memory).
CACHE_ERRORS = (OSError, RedisError)


def kept(name: str, request, now, parts: tuple, build: Callable[[], dict]) -> dict:
    """``build()``'s result for this reader, address, language, time zone and minute,
    and ``parts`` (the list's stamp and whatever else names it); built at most once a
    minute. ``name`` carries a version: a deploy that changes the shape bumps it."""
    key_parts = (
        request.user.pk,
        request.get_full_path(),
        translation.get_language(),
        timezone.get_current_timezone_name(),
        int(now.timestamp() // SECONDS),
        *parts,
    )
    key = f"{name}:" + hashlib.sha256(repr(key_parts).encode()).hexdigest()
    try:
        cached = cache.get(key)
    except CACHE_ERRORS:
        logger.warning("Cache unavailable; building %s directly.", name, exc_info=True)
        return build()
    if cached is not None:
        return cached
    result = build()
    try:
        cache.set(key, result, SECONDS)
    except CACHE_ERRORS:
        logger.warning("Cache unavailable; not keeping %s.", name, exc_info=True)
    return result
