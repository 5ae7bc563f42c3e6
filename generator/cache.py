"""A content-addressed cache of expensive pure steps (black, datamodel-code-generator).

The key is a hash of everything the result depends on (the input text, the tool's version and
its options), so a hit is exactly what recomputing would give; it only saves time. It lives in
`.nodegen-cache/` (git-ignored); `--no-cache` or NODEGEN_NO_CACHE=1 turns it off.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path


class ContentCache:
    def __init__(self, folder: Path | None) -> None:
        self.folder = folder
        self.hits = 0
        self.misses = 0

    def lookup(self, kind: str, key: str) -> str | None:
        """The stored result, or None (always None when the cache is off)."""
        if self.folder is None:
            return None
        try:
            text = self._path(kind, key).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            self.misses += 1
            return None
        self.hits += 1
        return text

    def store(self, kind: str, key: str, text: str) -> None:
        if self.folder is None:
            return
        path = self._path(kind, key)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            temp = path.with_suffix(f".{os.getpid()}.tmp")
            temp.write_text(text, encoding="utf-8")
            os.replace(temp, path)
        except OSError:
            pass  # a read-only or full disk only costs speed

    def _path(self, kind: str, key: str) -> Path:
        assert self.folder is not None
        digest = hashlib.sha256(f"{kind}\0{key}".encode()).hexdigest()
        return self.folder / kind / f"{digest}.txt"


DISABLED = ContentCache(None)
