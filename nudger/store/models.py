"""The tables. Datetimes are aware UTC; dates are the user's local calendar dates.

Changing a table means a new migration in `nudger/store/migrations/versions/` and bumping
`nudger.store.db.SCHEMA_HEAD`. The words stored in `stage`, `action`, `kind` and `state`
columns are those of `nudger.vocab`. Timestamps (`created_at`, `updated_at`) have no
default: whoever writes a row passes its moment (only the CLI and the daemon read the
clock).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import Column, ForeignKey, Integer, Table, UniqueConstraint, text
from sqlmodel import Field, SQLModel

from nudger.store.scope import SeekerOwned


def _app_fk() -> Column[int]:
    return Column(Integer, ForeignKey("application.id", ondelete="CASCADE"), nullable=False,
                  index=True)


def _seeker_fk() -> Any:
    """The `seeker_id` of a seeker's row (migration 0009_seeker_rows): set by the session's
    scope when the row is flushed (nudger/store/scope.py), never by the caller."""
    return Field(default=None, sa_column=Column(
        Integer, ForeignKey("seeker.id", ondelete="CASCADE"), nullable=False, index=True,
        server_default=text("1")))


class Seeker(SQLModel, table=True):
    """A job seeker whose applications this database keeps.

    A single user's database has one seeker, whose empty fields mean "as in config.toml"
    (its `[profile]` and `[digest]`); a career centre adds one per person it serves. The
    organisation's config.toml gives the defaults (cadence, templates, delivery); a seeker's
    own name, address, phone, pitch, signature, time zone and digest time are the seeker's.
    """

    id: int | None = Field(default=None, primary_key=True)
    email: str = Field(unique=True)  # lower-cased; "" only for a single user's seeker
    name: str = ""
    phone: str = ""
    pitch: str = ""
    signature: str = ""
    social: str = ""
    timezone: str = ""  # an IANA zone; "" = config.toml's timezone (or the machine's)
    digest_at: str = ""  # "HH:MM"; "" = config.toml's [digest] time
    digest_days: str = ""  # "mon,tue,..."; "" = config.toml's [digest] days
    enabled: bool = True
    # The next moment (UTC) this seeker's digest is due: indexed so that finding the seekers
    # due now among many is an index range, not a scan. None until first computed.
    next_digest_at: datetime | None = Field(default=None, index=True)
    # The relay refused this seeker's address for their digest (UTC), and what it said;
    # cleared when the email changes or a digest to it is accepted (send/leased.py).
    bounced_at: datetime | None = None
    bounce_detail: str = ""
    created_at: datetime
    updated_at: datetime


class Application(SeekerOwned, SQLModel, table=True):
    __table_args__ = (UniqueConstraint("seeker_id", "number", name="uq_application_number"),)

    id: int | None = Field(default=None, primary_key=True)  # internal: other rows refer to it
    seeker_id: int | None = _seeker_fk()
    # The `#12` the seeker sees and types: unique per seeker, the next free one given by
    # the scope when the row is flushed (nudger/store/scope.py). number == id for every
    # application of a database from before seekers.
    number: int | None = Field(default=None, sa_column=Column(Integer, nullable=False,
                                                              server_default=text("0")))
    company: str
    role: str
    url: str = ""
    location: str = ""
    address: str = ""  # where to drop by, for visit plans
    source: str = ""  # where the posting was found
    applied_on: date | None = None  # None for a wishlist entry not applied to yet
    stage: str = Field(default="applied", index=True)
    stage_since: date  # the date the current stage was entered; its cadence counts from it
    deadline: date | None = None  # a posting's or an offer's deadline
    interview_at: datetime | None = None  # the next interview, UTC
    notes: str = ""
    created_at: datetime
    updated_at: datetime
    # A reply found in the mailbox pauses the nudges ([mailbox] replies = "pause") until a
    # stage change, a touch logged after it, or `nudger resume`.
    paused_since: datetime | None = None  # UTC, the reply's date
    paused_by: int | None = None  # mailmessage.id of the reply


class Contact(SeekerOwned, SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    seeker_id: int | None = _seeker_fk()
    application_id: int = Field(sa_column=_app_fk())
    name: str
    email: str = ""
    phone: str = ""
    social: str = ""  # a handle or profile URL
    kind: str = "hiring-manager"  # one of vocab.CONTACT_KINDS
    notes: str = ""
    # A delivery status report said mail to `email` failed: shown in show and the digest.
    bounced_at: datetime | None = None  # UTC
    bounce_detail: str = ""


class Touch(SeekerOwned, SQLModel, table=True):
    """A follow-up the user did (or, with skipped=True, a cadence step passed over)."""

    id: int | None = Field(default=None, primary_key=True)
    seeker_id: int | None = _seeker_fk()
    application_id: int = Field(sa_column=_app_fk())
    action: str
    touched_on: date = Field(index=True)
    note: str = ""
    stage: str  # the stage the application was in when this happened
    step: int | None = None  # the cadence step (1-based) this completed, if any
    skipped: bool = False
    created_at: datetime


class StageChange(SeekerOwned, SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    seeker_id: int | None = _seeker_fk()
    application_id: int = Field(sa_column=_app_fk())
    stage: str
    changed_on: date
    note: str = ""
    created_at: datetime


class Snooze(SeekerOwned, SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    seeker_id: int | None = _seeker_fk()
    application_id: int = Field(sa_column=_app_fk())
    until: date  # nudges are hidden on days before this date
    created_at: datetime


class DigestRecord(SeekerOwned, SQLModel, table=True):
    """The outbox: one row per recipient and local date, written before any network I/O."""

    __tablename__ = "digest"
    __table_args__ = (UniqueConstraint("seeker_id", "recipient", "local_date",
                                       name="uq_digest_day"),)

    id: int | None = Field(default=None, primary_key=True)
    seeker_id: int | None = _seeker_fk()
    recipient: str
    local_date: date
    message_id: str
    # One of vocab.OUTBOX_STATES; every write names it ("pending" only the workers' tick
    # writes, in the transaction that defers the row's send job: docs/outbox.md).
    state: str
    attempts: int = 0
    nudges: int = 0
    last_error: str = ""
    last_code: int | None = None
    uncertain: bool = False  # a reply was lost after DATA: it may have arrived already
    next_attempt_at: datetime | None = None
    created_at: datetime
    updated_at: datetime
    sent_at: datetime | None = None
    claimed_by: str = ""  # "host:pid" (a worker: "host:pid:random") that marked it 'sending'
    # A worker's claim holds the row until then; None for the daemon's claims (store/outbox.py)
    lease_until: datetime | None = None
    reported_in: date | None = None  # the digest (local date) that told the user it failed


class CalendarEvent(SeekerOwned, SQLModel, table=True):
    """One event nudger puts in the user's calendars (nudger/calsync.py): its stable UID,
    the version it is at, and where it was pushed. A row outlives its application, so
    the CalDAV copy of a deleted application's interview can still be removed."""

    __tablename__ = "calendar_event"

    uid: str = Field(primary_key=True)
    seeker_id: int | None = _seeker_fk()
    kind: str  # "interview" or "followup"
    application_id: int = Field(index=True)
    number: int  # the interview's ordinal for its application, or the follow-up's step
    stage: str = ""  # a follow-up's stage
    fingerprint: str  # a digest of the event's content: a change raises `sequence`
    starts_at: datetime  # UTC; a follow-up's local day at 00:00
    ends_at: datetime  # UTC
    sequence: int = 0
    stamp: datetime  # DTSTAMP and LAST-MODIFIED: when this version came to be
    created_at: datetime  # when nudger first exported it (CREATED)
    gone_at: datetime | None = None  # left the calendar (done, ended, removed)
    announced_sequence: int | None = None  # the interview version a digest announced
    caldav_href: str | None = None  # the server's URL of the copy nudger created
    caldav_sequence: int | None = None  # the version that copy is at
    caldav_etag: str | None = None  # its ETag after nudger's last write (If-Match)


class CalendarSync(SeekerOwned, SQLModel, table=True):
    """How the last push to a calendar target went ('file', 'caldav'), for `status`."""

    __tablename__ = "calendar_sync"

    seeker_id: int | None = Field(default=None, sa_column=Column(
        Integer, ForeignKey("seeker.id", ondelete="CASCADE"), primary_key=True, index=True))
    target: str = Field(primary_key=True)
    last_attempt_at: datetime | None = None
    last_ok_at: datetime | None = None
    error_kind: str = ""  # "" when the last attempt worked
    last_error: str = ""
    failures: int = 0  # attempts failed in a row
    detail: str = ""  # what the last successful attempt did
# --- the mailbox (docs/mailbox.md) ---------------------------------------------------------

MAIL_DIRECTIONS = ("in", "out")
# What nudger made of a mail message it recorded.
# "skipped": a message nudger could not handle, kept with the reason as its snippet so that
# no later pass tries it again (nudger.mail.imap.sync: the per-message error boundary).
MAIL_KINDS = ("reply", "possible-reply", "followup", "bounce", "command", "capture", "draft",
              "skipped")
SUGGESTION_KINDS = ("application", "stage", "contact", "reply")
SUGGESTION_STATES = ("open", "accepted", "dismissed")


class MailMessage(SeekerOwned, SQLModel, table=True):
    """One mail message nudger acted on, once: the key is its Message-ID (without angle
    brackets) or, without one, a stable hash of its headers. Never a body: a snippet of at
    most 200 characters."""

    __tablename__ = "mailmessage"
    __table_args__ = (UniqueConstraint("seeker_id", "key", name="uq_mailmessage_key"),)

    id: int | None = Field(default=None, primary_key=True)
    seeker_id: int | None = _seeker_fk()
    key: str
    message_id: str = Field(default="", index=True)
    direction: str  # one of MAIL_DIRECTIONS
    kind: str  # one of MAIL_KINDS
    folder: str = ""
    date: datetime  # UTC
    from_addr: str = ""
    from_name: str = ""
    to_addrs: str = ""  # comma-separated, lower-cased
    subject: str = ""
    snippet: str = ""  # at most 200 characters, one line
    application_id: int | None = Field(
        default=None, sa_column=Column(Integer, ForeignKey("application.id",
                                                           ondelete="SET NULL"),
                                       nullable=True, index=True))
    touch_id: int | None = Field(
        default=None, sa_column=Column(Integer, ForeignKey("touch.id", ondelete="SET NULL"),
                                       nullable=True))
    created_at: datetime
    # Its References, oldest first, without angle brackets: a draft answering it carries
    # the whole chain.
    thread_refs: str = ""


class MailFolder(SeekerOwned, SQLModel, table=True):
    """Sync state of one folder of one account: UIDVALIDITY and the highest UID whose
    message has been handled (committed together with what those messages caused)."""

    __tablename__ = "mailfolder"
    __table_args__ = (UniqueConstraint("seeker_id", "account", "folder", name="uq_mailfolder"),)

    id: int | None = Field(default=None, primary_key=True)
    seeker_id: int | None = _seeker_fk()
    account: str  # username@host:port
    folder: str
    uidvalidity: int
    highest_uid: int = 0
    synced_at: datetime


class MailSync(SeekerOwned, SQLModel, table=True):
    """The last pass over the mailbox: when it last worked, and why the last one failed."""

    __tablename__ = "mailsync"
    __table_args__ = (UniqueConstraint("seeker_id", "account", name="uq_mailsync_account"),)

    id: int | None = Field(default=None, primary_key=True)
    seeker_id: int | None = _seeker_fk()
    account: str
    last_ok_at: datetime | None = None
    last_attempt_at: datetime | None = None
    last_error: str = ""  # one line: server, reason, what to do ("" after a good pass)
    failures: int = 0  # consecutive failed passes


class Suggestion(SeekerOwned, SQLModel, table=True):
    """Something nudger found and proposes (docs/mailbox.md): shown as S<id>."""

    __table_args__ = (UniqueConstraint("seeker_id", "fingerprint",
                                       name="uq_suggestion_fingerprint"),)

    id: int | None = Field(default=None, primary_key=True)
    seeker_id: int | None = _seeker_fk()
    kind: str  # one of SUGGESTION_KINDS
    application_id: int | None = Field(
        default=None, sa_column=Column(Integer, ForeignKey("application.id",
                                                           ondelete="CASCADE"),
                                       nullable=True, index=True))
    summary: str
    reason: str = ""
    confidence: float = 0.5
    payload: str = "{}"  # JSON
    source: str = ""
    fingerprint: str
    status: str = Field(default="open", index=True)  # one of SUGGESTION_STATES
    created_at: datetime
    decided_at: datetime | None = None


# --- acting on mail: command messages carried out, buttons used, drafts nudger keeps in Drafts
# (mail/act/commandlog.py, mail/act/drafts.py)

class MailCommand(SeekerOwned, SQLModel, table=True):
    __tablename__ = "mailcommand"
    __table_args__ = (UniqueConstraint("seeker_id", "message_key",
                                       name="uq_mailcommand_message_key"),)

    id: int | None = Field(default=None, primary_key=True)
    seeker_id: int | None = _seeker_fk()
    message_key: str  # Message-ID, or listen's stable fallback hash
    message_id: str = ""  # the command message's own Message-ID (for threading the reply)
    subject: str = ""  # one line, control characters removed
    processed_at: datetime = Field(index=True)  # UTC, passed in (no clock here)
    done: str = "[]"  # JSON list: one line per command carried out (for the digest footer)
    outcome: str = "[]"  # JSON list of {line, ok, text, next}: the confirmation's content
    reply_state: str = "pending"  # one of commandlog.REPLY_STATES
    reply_attempts: int = 0
    reply_next_at: datetime | None = None
    reply_error: str = ""
    seen_marked: bool = False  # the message was flagged \\Seen in INBOX (after the pass)
    refusal: str = ""  # why a message from the owner was refused ("" when carried out)


class MailCommandButton(SeekerOwned, SQLModel, table=True):
    """A button carried out: the same button again answers "already done"."""

    __tablename__ = "mailcommand_button"
    __table_args__ = (UniqueConstraint("seeker_id", "use_key",
                                       name="uq_mailcommand_button_use_key"),)

    id: int | None = Field(default=None, primary_key=True)
    seeker_id: int | None = _seeker_fk()
    use_key: str  # tokens.Token.use_key: a hash, never the token
    mailcommand_id: int = Field(foreign_key="mailcommand.id", index=True)
    line: str = ""  # the command line it carried out
    used_at: datetime  # UTC


class MailDraft(SeekerOwned, SQLModel, table=True):
    __tablename__ = "maildraft"
    __table_args__ = (UniqueConstraint("seeker_id", "key", name="uq_maildraft_key"),)

    id: int | None = Field(default=None, primary_key=True)
    seeker_id: int | None = _seeker_fk()
    key: str  # "app:stage:stage_since:step"
    application_id: int | None = Field(default=None, index=True)
    label: str = ""
    message_id: str  # with angle brackets
    content_hash: str  # sha256 of the exact bytes APPENDed
    folder: str = ""
    uidvalidity: int = 0
    uid: int | None = None
    state: str = "appending"  # one of drafts.DRAFT_STATES
    created_at: datetime  # UTC, passed in
    updated_at: datetime
    render_hash: str = ""  # what it says (to, subject, body, threading): stale when it changes


def table_of(model: Any) -> Table:
    """The Core table of a model: for executemany inserts without an ORM object per row,
    and for statements that name the table without writing its name."""
    table: Table = model.metadata.tables[str(model.__tablename__)]
    return table
