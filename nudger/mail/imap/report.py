"""What one pass found, for `nudger mail sync` (lines or JSON), the daemon's log and the
`mailsync` row."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, tzinfo
from typing import Any

from nudger.mail.imap.headers import MailHeader


@dataclass
class Found:
    kind: str  # followup, reply, possible-reply, bounce, ignored, suggestion, command, capture
    folder: str
    uid: int
    key: str
    app_id: int | None
    date: datetime
    who: str
    subject: str
    detail: str

    def as_json(self) -> dict[str, Any]:
        return {"kind": self.kind, "folder": self.folder, "uid": self.uid,
                "message": self.key, "application_id": self.app_id,
                "date": self.date.isoformat(), "who": self.who, "subject": self.subject,
                "detail": self.detail}


@dataclass
class SyncReport:
    server: str
    dry_run: bool
    started: datetime
    found: list[Found] = field(default_factory=list)
    folders: dict[str, dict[str, Any]] = field(default_factory=dict)
    error: str = ""
    transient: bool = True
    stopped: bool = False
    warnings: list[str] = field(default_factory=list)

    def add(self, kind: str, header: MailHeader, app_id: int | None, detail: str) -> None:
        outgoing = kind in ("followup", "suggestion", "contact-suggestion")
        who = "to " + ", ".join(header.recipients[:3]) if outgoing else header.from_addr
        self.found.append(Found(kind, header.folder, header.uid, header.key, app_id,
                                header.date, who, header.subject, detail))

    @property
    def ok(self) -> bool:
        return not self.error

    def as_json(self) -> dict[str, Any]:
        return {"server": self.server, "dry_run": self.dry_run,
                "started": self.started.isoformat(), "ok": self.ok, "error": self.error,
                "stopped": self.stopped, "folders": self.folders, "warnings": self.warnings,
                "found": [f.as_json() for f in self.found]}

    def lines(self, zone: tzinfo) -> list[str]:
        head = "dry run, nothing recorded: " if self.dry_run else ""
        out = []
        for name, info in self.folders.items():
            extra = " (UIDVALIDITY changed: rescanned within lookback)" if info.get(
                "rescanned") else ""
            out.append(f"{head}{name}: {info.get('new', 0)} new message(s) read{extra}")
        if not self.found and not self.error:
            out.append("nothing for nudger in the new mail")
        for item in self.found:
            when = item.date.astimezone(zone).strftime("%Y-%m-%d %H:%M")
            app = f"#{item.app_id} " if item.app_id else ""
            out.append(f"  {item.kind:<14} {app}{when} {item.who}: "
                       f"{item.subject or '(no subject)'} — {item.detail}")
        out.extend(f"warning: {w}" for w in self.warnings)
        if self.stopped:
            out.append("stopped early (shutdown); the next pass continues from here")
        return out
