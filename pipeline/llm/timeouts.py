"""The one Python 3.10 shim for an asyncio deadline (`asyncio.timeout` is 3.11+)."""
from __future__ import annotations

import asyncio
from typing import Awaitable, Optional, TypeVar

T = TypeVar("T")


async def within(coro: Awaitable[T], seconds: Optional[float]) -> T:
    """Await `coro`, raising TimeoutError after `seconds` (None: no deadline)."""
    if seconds is None:
        return await coro
    if hasattr(asyncio, "timeout"):  # 3.11+: no extra task per call
        async with asyncio.timeout(seconds):
            return await coro
    return await asyncio.wait_for(coro, seconds)  # pragma: no cover - Python 3.10
