"""Fixtures of the store's tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.store.builders import OPEN


@pytest.fixture(autouse=True)
def close_mirrors() -> Iterator[None]:
    """Close the cache files a test's mirrors opened (Python 3.13 warns of an unclosed one)."""
    yield
    while OPEN:
        OPEN.pop().close()
