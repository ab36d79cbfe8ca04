"""Sample applications for `nudger init --demo`, dated relative to today so that the very
first digest has something in every section."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

from sqlmodel import Session

from nudger.config import Settings
from nudger.track import tracker
from nudger.when.business import Calendar


def add_demo_applications(session: Session, today: date, now: datetime,
                          settings: Settings) -> int:
    cal = Calendar.from_settings(settings)
    bd = cal.add_business_days
    spec = tracker.parse_contact

    def add(company: str, role: str, applied: date | None, stage: str = "applied",
            **extra: object) -> int:
        app = tracker.add_application(session, company=company, role=role, today=today,
                                      now=now, applied_on=applied, stage=stage, **extra)  # type: ignore[arg-type]
        assert app.id is not None
        return app.id

    def touch(app_id: int, action: str, on: date, note: str, step: int | None) -> None:
        tracker.log_touch(session, app_id, action, on, now=now, note=note, step=step)

    # Applied four business days ago, nobody contacted yet: the email is due.
    add("Northwind Traders", "Account Executive", bd(today, -4),
        url="https://careers.northwind.example/jobs/4411", location="Chicago, IL",
        address="200 W Adams St, Chicago, IL", source="LinkedIn",
        contacts=[spec("Dana Whitfield <dana.whitfield@northwind.example>",
                       phone="+1 312 555 0142")])
    # Emailed two business days ago: the call comes next.
    contoso = add("Contoso Ltd", "Inside Sales Representative", bd(today, -6),
                  url="https://contoso.example/careers/sales-112", location="Evanston, IL",
                  contacts=[spec("Marcus Reed <m.reed@contoso.example>", kind="recruiter",
                                 social="@marcusreed")])
    touch(contoso, "email", bd(today, -2), "asked when interviews are scheduled", 1)
    # Interviewed yesterday: the thank-you is due.
    yesterday = bd(today, -1)
    fabrikam = add("Fabrikam, Inc.", "Sales Development Rep", bd(today, -12),
                   location="Remote", contacts=[spec("Priya Nair <p.nair@fabrikam.example>")])
    touch(fabrikam, "email", bd(today, -9), "Priya replied: phone screen next week", 1)
    tracker.change_stage(session, fabrikam, "interviewing", yesterday, now=now,
                         interview_at=datetime.combine(yesterday, time(15, 0), tzinfo=UTC))
    # An interview coming up.
    add("Trey Research", "Sales Operations Analyst", bd(today, -10), stage="interviewing",
        interview_at=datetime.combine(bd(today, 2), time(14, 30), tzinfo=UTC),
        contacts=[spec("Jordan Park <jpark@treyresearch.example>")])
    # Seven weeks without an answer: going cold.
    tailspin = add("Tailspin Toys", "Regional Sales Manager", today - timedelta(days=50),
                   location="Dallas, TX")
    touch(tailspin, "email", today - timedelta(days=46), "no reply", 1)
    touch(tailspin, "call", today - timedelta(days=40), "left a voicemail", 2)
    # A saved posting whose deadline is close: apply.
    add("Coho Winery", "Wholesale Account Rep", None, stage="wishlist",
        deadline=today + timedelta(days=2), location="Napa, CA")
    # An offer to answer before Friday.
    add("Humongous Insurance", "Inside Sales Agent", today - timedelta(days=20), stage="offer",
        deadline=today + timedelta(days=2), contacts=[spec("Lee Chen <lchen@humongous.example>",
                                                           kind="hr")])
    # Applied today: nothing to do yet.
    add("Litware", "Sales Engineer", today, location="Remote", source="company site")
    # Closed: no nudges.
    proseware = add("Proseware", "Account Manager", today - timedelta(days=30))
    tracker.change_stage(session, proseware, "rejected", today - timedelta(days=5), now=now)
    return 9
