"""A content-addressed cache of expensive pure steps (black, datamodel-code-generator).

The key is a hash of everything the result depends on (the input text, the tool's version and
its options), so a hit is exactly what recomputing would give; it only saves time. It lives in
`.nodegen-cache/` (git-ignored); `--no-cache` or NODEGEN_NO_CACHE=1 turns it off.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable
from pathlib import Path


class ContentCache:
    def __init__(self, folder: Path | None) -> None:
        self.folder = folder
        self.hits = 0
        self.misses = 0

    def get(self, kind: str, key: str, make: Callable[[], str]) -> str:
        if self.folder is None:
            return make()
        digest = hashlib.sha256(f"{kind}\0{key}".encode()).hexdigest()
        path = self.folder / kind / f"{digest}.txt"
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            pass
        else:
            self.hits += 1
            return text
        self.misses += 1
        text = make()
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            temp = path.with_suffix(f".{os.getpid()}.tmp")
            temp.write_text(text, encoding="utf-8")
            os.replace(temp, path)
        except OSError:
            pass  # a read-only or full disk only costs speed
        return text


DISABLED = ContentCache(None)
