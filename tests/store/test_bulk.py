"""BulkInsert: rows go in through the model's table; a column added later with a constant
default (contact.bounce_detail) is filled with it, so an import does not break when the
schema grows."""

from __future__ import annotations

from datetime import UTC, date, datetime

from sqlmodel import select

from nudger.store.bulk import BulkInsert
from nudger.store.db import Database
from nudger.store.models import Application, Contact
from nudger.when.times import as_utc

NOW = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)


def test_a_column_with_a_constant_default_is_filled(engine_db: Database) -> None:
    db = engine_db  # SQLite and PostgreSQL
    with db.session() as session:
        connection = session.connection()
        apps = BulkInsert(connection, Application, (
            "id", "company", "role", "url", "location", "address", "source", "applied_on",
            "stage", "stage_since", "deadline", "notes", "created_at", "updated_at"))
        apps.add((1, "Acme", "Rep", "", "", "", "", date(2026, 11, 2), "applied",
                  date(2026, 11, 2), None, "", NOW, NOW))
        apps.flush()
        contacts = BulkInsert(connection, Contact, (
            "application_id", "name", "email", "phone", "social", "kind", "notes"))
        contacts.add((1, "Dana", "dana@acme.example", "", "", "hiring-manager", ""))
        contacts.flush()
    with db.read_session() as session:
        contact = session.exec(select(Contact)).one()
        assert contact.bounce_detail == "" and contact.email == "dana@acme.example"
        assert as_utc(session.exec(select(Application)).one().created_at) == NOW

