"""Client-side rate limits per cloud product: a token bucket each, below the API's own limits.

Alibaba Cloud throttles each API operation per account and region (``Throttling.User``); a
sweep of every host of a cluster, or a capture of it, can send requests faster than that. Each
product (slb, nlb, alb, ecs, vpc, alidns, pvtz, cs) gets its own bucket: ``rate`` requests per
second on average, at most ``rate`` at once after a pause. The defaults (``DEFAULT_RATE``) sit
below the documented limits of the read actions ackwb calls (CLB's Describe actions allow
3,000 per minute, ALB's List and Get actions 20 per second); a profile sets others in its
``[cloud]`` table (``rate_limits = { slb = 5 }``). Every attempt takes a token, retries
included, so backing off from throttling never bursts past the limit.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping

DEFAULT_RATE = 10.0  # requests per second, per product
PRODUCT_NAMES = ("alidns", "pvtz", "slb", "nlb", "alb", "ecs", "vpc", "cs")


class TokenBucket:
    """``take()`` waits until a token is there; ``rate`` tokens per second, ``rate`` at most held."""

    def __init__(
        self,
        rate: float,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if not rate > 0:
            raise ValueError("a rate limit is a positive number of requests per second")
        self.rate, self.capacity = float(rate), max(1.0, float(rate))
        self._clock, self._sleep = clock, sleep
        self._tokens, self._stamp = self.capacity, clock()
        self._lock = threading.Lock()

    def take(self) -> float:
        """Take one token, waiting for it if none is left; returns how long it waited."""
        with self._lock:  # held while waiting, so waiters are served in turn
            now = self._clock()
            self._tokens = min(self.capacity, self._tokens + (now - self._stamp) * self.rate)
            self._stamp = now
            wait = 0.0 if self._tokens >= 1 else (1 - self._tokens) / self.rate
            if wait:
                self._sleep(wait)
                self._stamp = self._clock()
                self._tokens = 1.0
            self._tokens -= 1
            return wait


class RateLimits:
    """One bucket per product, made on first use."""

    def __init__(
        self,
        rates: Mapping[str, float] | None = None,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.rates = {**dict.fromkeys(PRODUCT_NAMES, DEFAULT_RATE), **dict(rates or {})}
        self._clock, self._sleep = clock, sleep
        self._buckets: dict[str, TokenBucket] = {}
        self._lock = threading.Lock()

    def take(self, product: str) -> float:
        with self._lock:
            bucket = self._buckets.get(product)
            if bucket is None:
                rate = self.rates.get(product, DEFAULT_RATE)
                bucket = self._buckets[product] = TokenBucket(rate, self._clock, self._sleep)
        return bucket.take()
