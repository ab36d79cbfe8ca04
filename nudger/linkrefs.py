"""Numbered references for the plain-text part: long links go at the end of the text as
`[1] mailto:…`, and the line that needs one shows just `[1]` (a phone shows a wall of
URL-encoded text otherwise). One `LinkRefs` per rendered message; the same URL gets the
same number."""

from __future__ import annotations

from typing import Any


class LinkRefs:
    def __init__(self) -> None:
        self._numbers: dict[str, int] = {}

    def ref(self, url: str) -> int:
        """The number of `url`, given out in the order first asked."""
        number = self._numbers.get(url)
        if number is None:
            number = self._numbers[url] = len(self._numbers) + 1
        return number

    def as_list(self) -> list[dict[str, Any]]:
        """[{"n": 1, "url": ...}, ...] for the template's reference list."""
        return [{"n": n, "url": url} for url, n in self._numbers.items()]

    def __len__(self) -> int:
        return len(self._numbers)
