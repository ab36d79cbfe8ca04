"""`nudger capture`: recognise job mail in mail files (mbox, Maildir, .eml) and propose the
tracker's entries (docs/mailbox.md, "capture")."""

from __future__ import annotations

import sys

from nudger.commands import Command, Context, OneOf, Option, flag
from nudger.commands._args import JSON
from nudger.errors import UsageError

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    from nudger.mail.capture.scan import Proposal


ORDER = 45


def cmd_capture(ctx: Context) -> int:
    from pathlib import Path

    from nudger.mail.capture.files import Skipped
    from nudger.mail.capture.scan import Found, Ledger, ScanStats, scan
    from nudger.mail.capture.store import load_tracked, record
    from nudger.when.dates import parse_date

    args = ctx.args
    paths = [Path(p).expanduser() for p in args.paths]
    missing = [str(p) for p in paths if not p.exists()]
    if missing:
        raise UsageError(f"no such file or folder: {', '.join(missing)}; give an mbox file, "
                         "a Maildir or .eml files")
    since = parse_date(args.since, ctx.today, what="--since") if args.since else None
    settings = ctx.settings
    with ctx.db.read_connection() as connection:  # no SQLAlchemy for a dry run
        tracked = load_tracked(connection)
    ledger = Ledger(tracked)
    stats = ScanStats()
    skipped: list[Skipped] = []
    progress = _Progress(paths) if sys.stderr.isatty() and not args.json else None
    for item in scan(paths, zone=ctx.zone, since=since, outreach=args.outreach,
                     own_addresses=[settings.profile.email], stats=stats,
                     on_message=progress.step if progress else None):
        if isinstance(item, Found):
            ledger.add(item.where, item.finding)
        else:
            skipped.append(item)
            if not args.json:
                if progress:
                    progress.clear()
                ctx.warn(f"skipped {item.where}: {item.reason}")
    if progress:
        progress.clear()
    proposals = ledger.results()
    # Proposed before (open, accepted or dismissed): never proposed again, so not "new".
    fresh = [p.fingerprint() for p in proposals if not p.matched]
    known = _known(ctx.db, fresh) if fresh else {}
    mode = "dry-run" if args.dry_run else "add" if args.add else "suggest"
    outcomes: list[str] = []
    if mode != "dry-run":
        with ctx.db.session() as session:
            outcomes = record(session, proposals, mode=mode, today=ctx.today, now=ctx.now(),
                              source_label="capture")
    if args.json:
        ctx.print_json({
            "mode": mode, "messages": stats.messages, "read": stats.candidates,
            "skipped": [{"where": s.where, "reason": s.reason} for s in skipped],
            "proposals": [{**_proposal_json(p), "proposed_before": known.get(p.fingerprint())}
                          for p in proposals], "outcomes": outcomes,
        })
        return 0
    _print(ctx, proposals, stats, len(skipped), mode, outcomes, known)
    return 0


def _known(db: Any, fingerprints: list[str]) -> dict[str, dict[str, Any]]:
    """Fingerprint → {id, status} of the suggestions already made for these proposals.
    A plain connection, no SQLAlchemy (a dry run never imports it): sqlite3 or psycopg."""
    import sqlite3

    from nudger.store.scope import seeker_of

    found: dict[str, dict[str, Any]] = {}
    with db.read_connection() as connection:
        mark = "?" if isinstance(connection, sqlite3.Connection) else "%s"
        seeker = seeker_of(connection)
        cursor = connection.cursor()
        try:
            for start in range(0, len(fingerprints), 500):
                chunk = fingerprints[start:start + 500]
                cursor.execute("SELECT fingerprint, id, status FROM suggestion WHERE "
                               f"seeker_id = {mark} AND "
                               f"fingerprint IN ({','.join([mark] * len(chunk))})",
                               [seeker, *chunk])
                for fingerprint, number, status in cursor.fetchall():
                    found[fingerprint] = {"id": f"S{number}", "status": status}
        finally:
            cursor.close()
    return found


def _proposal_json(prop: Proposal) -> dict[str, Any]:
    return {
        "kind": prop.kind, "matched": prop.matched, "application_id": prop.application_id,
        "company": prop.company, "role": prop.role, "stage": prop.stage,
        "applied_on": prop.applied_on, "stage_on": prop.stage_on,
        "interview_at": prop.interview_at, "source": prop.source, "url": prop.url,
        "contact_name": prop.contact_name, "contact_email": prop.contact_email,
        "confidence": round(prop.confidence, 2), "why": prop.reasons, "found_in": prop.sources,
        "fingerprint": prop.fingerprint(),
    }


def _print(ctx: Context, proposals: list[Proposal], stats: Any, skipped: int, mode: str,
           outcomes: list[str], known: dict[str, dict[str, Any]]) -> None:
    new = [p for p in proposals if not p.matched and p.fingerprint() not in known]
    before = [p for p in proposals if not p.matched and p.fingerprint() in known]
    matched = [p for p in proposals if p.matched]
    statuses = [known[p.fingerprint()]["status"] for p in before]
    detail = ", ".join(f"{statuses.count(s)} {s}" for s in ("open", "accepted", "dismissed")
                       if statuses.count(s))
    ctx.print(f"read {stats.messages} messages ({stats.candidates} looked like job mail, "
              f"{skipped} skipped): {len(new)} to propose, "
              + (f"{len(before)} proposed before ({detail}), " if before else "")
              + f"{len(matched)} already tracked")
    for prop in new:
        sign = "~" if prop.kind == "stage" else "+"
        ctx.print(f"{sign} {prop.summary()}  [{prop.confidence:.2f}]")
        if prop.url:
            ctx.print(f"    job: {prop.url}")
        if prop.contact_name:
            email = f" <{prop.contact_email}>" if prop.contact_email else ""
            ctx.print(f"    contact: {prop.contact_name}{email}")
        ctx.print(f"    why: {prop.reasons[0]}")
        ctx.print(f"    in: {', '.join(prop.sources[:3])}"
                  + (f" (+{len(prop.sources) - 3})" if len(prop.sources) > 3 else ""))
    for prop in before:
        mark = known[prop.fingerprint()]
        ctx.print(f"· {mark['id']} {prop.summary()}: proposed before ({mark['status']})")
    for prop in matched:
        ctx.print(f"= #{prop.application_id} {prop.company} / {prop.role}: already tracked")
    for line in outcomes:
        ctx.print(line)
    if mode == "dry-run":
        ctx.print("dry run: nothing was changed")
    elif mode == "suggest" and new:
        ctx.print("review them with `nudger suggestions`; `nudger accept S…` or "
                  "`nudger dismiss S…`")


def _write_own(text: str) -> None:
    """The bar is nudger's own text (numbers and #): its carriage returns must reach the
    terminal as control, past the stderr filter that shows data's controls visibly."""
    getattr(sys.stderr, "write_own", sys.stderr.write)(text)


class _Progress:
    """A one-line progress bar on stderr (a terminal only), by bytes read."""

    def __init__(self, paths: list[Any]) -> None:
        import time

        self.total = sum(_size(p) for p in paths) or 1
        self.done = 0
        self.count = 0
        self.clock = time.monotonic
        self.shown = 0.0

    def step(self, size: int) -> None:
        self.done += size
        self.count += 1
        now = self.clock()
        if now - self.shown >= 0.2:
            self.shown = now
            share = min(self.done / self.total, 1.0)
            bar = "#" * int(share * 30)
            _write_own(f"\r[{bar:<30}] {share:4.0%}  {self.count:,} messages")
            sys.stderr.flush()

    def clear(self) -> None:
        if self.shown:
            _write_own("\r" + " " * 60 + "\r")
            sys.stderr.flush()


def _size(path: Any) -> int:
    import os

    try:
        if path.is_file():
            return int(path.stat().st_size)
        total = 0
        for root, _dirs, files in os.walk(path):
            for name in files:
                try:
                    total += os.path.getsize(os.path.join(root, name))
                except OSError:
                    continue
        return total
    except OSError:
        return 0


COMMANDS = (
    Command(
        "capture", "find applications, rejections and interview invitations in mail files",
        "nudger capture ~/Takeout/Mail/All\\ mail\\ Including\\ Spam\\ and\\ Trash.mbox\n"
        "nudger capture ~/Maildir --since 2026-09-01 --dry-run\n"
        "nudger capture message.eml --json\n"
        "nudger capture ~/.thunderbird/abcd.default/ImapMail/imap.example.com/INBOX --add",
        cmd_capture,
        description="Read mail files — an mbox (a Gmail Takeout, a Thunderbird folder), a "
        "Maildir, .eml files, or a folder holding them — and recognise application "
        "confirmations, rejections and interview invitations. Each becomes a suggestion "
        "(see `nudger suggestions`, `nudger accept`, `nudger dismiss`); an application "
        "already tracked is matched, not proposed again, and running capture again proposes "
        "nothing new. --dry-run only prints; --add accepts everything found. The mail is "
        "streamed, never loaded whole; messages that cannot be read are reported by position "
        "and skipped.",
        options=(
            Option("paths", nargs="+", metavar="PATH",
                   help="an mbox file, a Maildir, an .eml file or a folder of them"),
            Option("--since", metavar="DATE",
                   help="only mail from this local date on (2026-09-01, '12 weeks ago')"),
            OneOf(flag("--dry-run",
                       help="print what was found; change nothing"),
                  flag("--add",
                       help="add everything found to the tracker at once")),
            flag("--outreach",
                 help="also propose recruiters' cold outreach as wishlist entries"),
            JSON,
        ),
    ),
)
