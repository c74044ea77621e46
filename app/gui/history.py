"""The version history of one conversion session: every generated, edited or restored code version.

A plain list with a cursor, like an editor's undo stack at version granularity: `push` appends after the cursor
(dropping the versions ahead of it, as a new edit after stepping back does), `back`/`forward` move the cursor.
It stores code only; the conversion session (`session`) decides when a version is made (a finished or stopped
generation, a follow-up edit, a manual edit when generating again or stepping away) and shows the current one.
Serialisable for autosave; `load` restores in place, so the one history object the window shares stays shared.
"""
from __future__ import annotations

import time
from dataclasses import asdict, dataclass, field


@dataclass(frozen=True)
class Version:
    code: str
    target: str
    source: str  # "generated", "stopped", "edit: <instruction>", "manual", "restored"
    created: float = field(default_factory=time.time)

    def label(self, number: int) -> str:
        stamp = time.strftime("%H:%M:%S", time.localtime(self.created))
        return f"v{number} · {self.source} · {self.target} · {stamp}"


class VersionHistory:
    def __init__(self, limit: int = 200):
        self.versions: list[Version] = []
        self.index = -1
        self.limit = limit

    def __len__(self) -> int:
        return len(self.versions)

    @property
    def current(self) -> Version | None:
        return self.versions[self.index] if 0 <= self.index < len(self.versions) else None

    def push(self, version: Version) -> bool:
        """Add a version after the cursor; a no-op (False) when it equals the current code."""
        cur = self.current
        if cur is not None and cur.code == version.code and cur.target == version.target:
            return False
        del self.versions[self.index + 1:]
        self.versions.append(version)
        if len(self.versions) > self.limit:
            del self.versions[0]
        self.index = len(self.versions) - 1
        return True

    def can_back(self) -> bool:
        return self.index > 0

    def can_forward(self) -> bool:
        return self.index < len(self.versions) - 1

    def back(self) -> Version | None:
        if self.can_back():
            self.index -= 1
        return self.current

    def forward(self) -> Version | None:
        if self.can_forward():
            self.index += 1
        return self.current

    def goto(self, index: int) -> Version | None:
        if 0 <= index < len(self.versions):
            self.index = index
        return self.current

    def to_list(self) -> list[dict]:
        return [asdict(v) for v in self.versions]

    def load(self, items: list[dict], index: int = -1) -> None:
        """Replace the versions in place with `to_list()` dicts (a restored session); malformed ones are skipped.
        In place, so every holder of this history (the window, the session, autosave) sees the restored one."""
        versions = []
        for item in items:
            try:
                versions.append(Version(code=str(item["code"]), target=str(item.get("target", "html")),
                                        source=str(item.get("source", "restored")),
                                        created=float(item.get("created", time.time()))))
            except (KeyError, TypeError, ValueError):
                continue
        self.versions = versions
        self.index = index if 0 <= index < len(self.versions) else len(self.versions) - 1

    @classmethod
    def from_list(cls, items: list[dict], index: int = -1) -> "VersionHistory":
        h = cls()
        h.load(items, index)
        return h
