"""Every row belongs to a seeker: `seeker_id` on each table that holds a seeker's data.

Which tables: all of them but `seeker` itself. Each one gets `seeker_id` NOT NULL, a
foreign key to seeker.id ON DELETE CASCADE (removing a seeker removes every row of theirs
and nothing else) and an index. Also the tables whose rows hang off another row of the
same seeker (contact, touch, stagechange, snooze hang off an application;
mailcommand_button off a mailcommand): scoping is one rule applied in one place
(nudger/store/scope.py), which can only add `seeker_id = ?` to a table that has the
column; a join through the parent would be a second rule each query must remember.

Keys that were unique in the whole database become unique per seeker, because two seekers
may meet the same value:
- `digest` (the outbox): (seeker_id, recipient, local_date). The daemon claims a seeker's
  day by that key; the recipient stays part of it, as before, so a seeker whose address
  changes during a day is still treated as today.
- `application.number` (new): the `#12` a seeker sees and types, unique per seeker, so a
  seeker's numbers do not jump because of others. The internal `id` stays the key every
  other table refers to. A database from before gets number = id, so nothing a single
  user sees changes.
- `mailmessage.key`, `mailcommand.message_key`, `maildraft.key`, `suggestion.fingerprint`,
  `mailcommand_button.use_key`: one message (a Message-ID) may reach two seekers (a
  recruiter writing to several candidates); each records it once for themselves.
- `mailfolder` (account, folder) and `mailsync.account`: per seeker, like the mailbox.
- `calendar_sync`: its primary key becomes (seeker_id, target): each seeker has a file
  push and a CalDAV push of their own.
- `calendar_event.uid` stays the primary key: a UID is made from the application's
  internal id, which is unique in the whole database, so it cannot clash between seekers.

Rows written by hand (sqlite3, around nudger, as README's troubleshooting suggests for
fixing a row) that name neither column keep working for a single user: `seeker_id`
defaults to 1 (the first seeker: a single user's) and, on SQLite, a trigger gives an
application inserted with no number its seeker's next one. nudger itself always names
both (nudger/store/scope.py stamps every row it writes).

A database holding any row gets the single user's seeker (email "": the profile of
config.toml), created unless it is there, and every row is given it. An empty database
gets no seeker: the first write makes it (nudger/store/scope.py).

On SQLite every table is rebuilt (batch mode) once, keeping every row; the column is first
added nullable, filled, then made NOT NULL with its keys in that rebuild.

Revision ID: 0009_seeker_rows
Revises: 0008_seekers
"""

from __future__ import annotations

import warnings
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

revision = "0009_seeker_rows"
down_revision = "0008_seekers"
branch_labels = None
depends_on = None

# Every table with a seeker's rows, parents before children.
TABLES = ("application", "contact", "touch", "stagechange", "snooze", "digest",
          "calendar_event", "calendar_sync", "mailmessage", "mailfolder", "mailsync",
          "suggestion", "mailcommand", "mailcommand_button", "maildraft")

# table -> (the column that was unique on its own, the new per-seeker key's columns).
UNIQUE_ALONE = {
    "mailmessage": ("key", ("seeker_id", "key")),
    "mailsync": ("account", ("seeker_id", "account")),
    "suggestion": ("fingerprint", ("seeker_id", "fingerprint")),
    "mailcommand": ("message_key", ("seeker_id", "message_key")),
    "mailcommand_button": ("use_key", ("seeker_id", "use_key")),
    "maildraft": ("key", ("seeker_id", "key")),
}
# table -> (the named key it had, its new columns).
UNIQUE_NAMED = {
    "digest": ("uq_digest_day", ("seeker_id", "recipient", "local_date")),
    "mailfolder": ("uq_mailfolder", ("seeker_id", "account", "folder")),
}
# The name SQLite's batch rebuild gives a reflected unnamed unique key (PostgreSQL names it
# <table>_<column>_key itself).
SQLITE_NAMES = {"uq": "uq_%(table_name)s_%(column_0_name)s"}


def _unique_name(table: str, column: str) -> str:
    if op.get_bind().dialect.name == "postgresql":
        return f"{table}_{column}_key"
    return f"uq_{table}_{column}"


def _has_rows(bind: sa.Connection) -> bool:
    return any(bind.execute(sa.text(f"SELECT 1 FROM {name} LIMIT 1")).first() is not None
               for name in TABLES)


def _single_user(bind: sa.Connection) -> int:
    """The id of the single user's seeker (email ""), created if missing."""
    found = bind.execute(sa.text("SELECT id FROM seeker WHERE email = ''")).scalar()
    if found is not None:
        return int(found)
    now = datetime.now(UTC).replace(tzinfo=None)
    seeker = sa.table("seeker", sa.column("id", sa.Integer), sa.column("email", sa.String),
                      sa.column("created_at", sa.DateTime),
                      sa.column("updated_at", sa.DateTime))
    # The next id by hand, not the sequence: rows copied in with their ids (as `db copy`
    # does) leave PostgreSQL's sequence behind; it is moved past the new row.
    new = int(bind.execute(sa.text("SELECT coalesce(max(id), 0) + 1 FROM seeker")).scalar_one())
    bind.execute(seeker.insert().values(id=new, email="", created_at=now, updated_at=now))
    if bind.dialect.name == "postgresql":
        bind.execute(sa.text("SELECT setval(pg_get_serial_sequence('seeker', 'id'), :n)"),
                     {"n": new})
    return new


def upgrade() -> None:
    bind = op.get_bind()
    for name in TABLES:
        with op.batch_alter_table(name) as batch:
            batch.add_column(sa.Column("seeker_id", sa.Integer, nullable=True))
    with op.batch_alter_table("application") as batch:
        batch.add_column(sa.Column("number", sa.Integer, nullable=True))
    if _has_rows(bind):
        seeker_id = _single_user(bind)
        for name in TABLES:
            bind.execute(sa.text(f"UPDATE {name} SET seeker_id = :sid"), {"sid": seeker_id})
        bind.execute(sa.text("UPDATE application SET number = id"))
    postgres = bind.dialect.name == "postgresql"
    for name in TABLES:
        with warnings.catch_warnings(), \
                op.batch_alter_table(name, naming_convention=SQLITE_NAMES) as batch:
            # SQLite's rebuild of calendar_sync replaces the primary key (target) by
            # (seeker_id, target), which SQLAlchemy notes as a warning: it is the intent.
            warnings.filterwarnings("ignore", "Table '_alembic_tmp_calendar_sync'")
            batch.alter_column("seeker_id", existing_type=sa.Integer, nullable=False,
                               server_default=sa.text("1"))
            batch.create_foreign_key(f"fk_{name}_seeker_id", "seeker", ["seeker_id"], ["id"],
                                     ondelete="CASCADE")
            batch.create_index(f"ix_{name}_seeker_id", ["seeker_id"])
            if name == "application":
                batch.alter_column("number", existing_type=sa.Integer, nullable=False,
                                   server_default=sa.text("0"))
                batch.create_unique_constraint("uq_application_number",
                                               ["seeker_id", "number"])
            if name in UNIQUE_ALONE:
                column, columns = UNIQUE_ALONE[name]
                batch.drop_constraint(_unique_name(name, column), type_="unique")
                batch.create_unique_constraint(f"uq_{name}_{column}", list(columns))
            if name in UNIQUE_NAMED:
                key, named = UNIQUE_NAMED[name]
                batch.drop_constraint(key, type_="unique")
                batch.create_unique_constraint(key, list(named))
            if name == "calendar_sync":
                if postgres:
                    batch.drop_constraint("calendar_sync_pkey", type_="primary")
                batch.create_primary_key("calendar_sync_pkey", ["seeker_id", "target"])
    if not postgres:
        # A row written by hand with sqlite3 (README: fixing a row) that names no number
        # gets its seeker's next one.
        op.execute("CREATE TRIGGER application_number AFTER INSERT ON application "
                   "WHEN NEW.number = 0 BEGIN UPDATE application SET number = (SELECT "
                   "max(number) + 1 FROM application WHERE seeker_id = NEW.seeker_id) "
                   "WHERE id = NEW.id; END")


def downgrade() -> None:
    raise NotImplementedError("a database with seekers cannot go back to one without them")
