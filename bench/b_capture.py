"""`nudger capture` over a generated mbox of 50,000 messages (1 in 20 job mail).

Targets (issue 16): >= 3,000 messages/s; at most 3x the time the standard library alone
takes to read the same mbox (`mailbox.mbox`, every message parsed); peak RSS <= 150 MB and
flat when the mbox doubles (the mbox is streamed, never loaded). Capture runs as
`nudger capture --dry-run --json` in a fresh process (start-up included); peak memory is
that process's own (getrusage(RUSAGE_CHILDREN) in a small parent, as b_import does).
"""

from __future__ import annotations

from pathlib import Path

from bench.core import PYTHON, Figure, measure, nudger_bin, run_command

MESSAGES = 50_000
JOB_EVERY = 20
TARGET_RATE = 3_000
TARGET_RATIO = 3.0
TARGET_MB = 150
CORPUS = Path(__file__).resolve().parent.parent / "tests" / "fixtures" / "mail"


# The baseline: the standard library reading every message of the mbox.
STDLIB = """
import mailbox, sys
count = 0
for message in mailbox.mbox(sys.argv[1], create=False):
    count += len(message.get("Subject") or "") >= 0
print(count)
"""


EVERYDAY = [
    ("Friend {n} <friend{n}@example.org>", "weekend plans {n}", "text/plain",
     "Are we still on for Saturday? " * 40),
    ("Nimbus Shop <orders@shopnimbus.example>", "Your order #{n} has shipped", "text/html",
     "<html><body><table><tr><td><h1>On its way</h1><p>Order {n}: 2 items, tracking "
     "<a href='https://track.example/{n}'>here</a></p></td></tr></table></body></html>" * 6),
    ("The Weekly <news@weekly.example>", "This week in tech #{n}", "text/html",
     "<html><body><p>Top stories this week.</p>" + "<p>A long article teaser.</p>" * 60
     + "</body></html>"),
    ("Contoso Bank <service@contosobank.example>", "Your statement is ready", "text/plain",
     "Your monthly statement is ready to view online. " * 10),
    ("GitHub <notifications@github.com>", "[org/repo] PR #{n}: fix the build", "text/plain",
     "A new comment on your pull request. " * 20),
    ("Mum <mum@example.net>", "Sunday lunch", "text/plain", "Bring the salad please! " * 8),
    ("Air Example <booking@air.example>", "Booking confirmation {n}", "text/html",
     "<html><body><p>Your flight is booked.</p>" + "<p>Seat 12A</p>" * 30 + "</body></html>"),
    ("Calendar <calendar@example.com>", "Reminder: dentist", "text/plain",
     "Reminder: dentist at 9am tomorrow.\n"),
]


def _everyday(n: int) -> bytes:
    frm, subject, ctype, body = EVERYDAY[n % len(EVERYDAY)]
    return (f"From: {frm.format(n=n)}\nTo: alex@example.com\nSubject: {subject.format(n=n)}"
            f"\nDate: Sat, 03 Oct 2026 10:{n % 60:02d}:00 +0200\nMessage-ID: <e{n}@example.org>"
            f"\nMIME-Version: 1.0\nContent-Type: {ctype}; charset=utf-8\n\n"
            f"{body.format(n=n)}\n").encode()


def write_mbox(path: Path, messages: int) -> None:
    """1 in 20 job mail (the corpus' confirmations, rejections, invitations); the rest is
    everyday mail, a tenth of it the corpus' look-alikes (job alerts, newsletters, …)."""
    files = sorted(CORPUS.glob("*.eml"))
    jobs = [f.read_bytes() for f in files if f.name.split("_")[0] in ("app", "rej", "int")]
    lookalikes = [f.read_bytes() for f in files if f.name.startswith(("neg_", "held_neg"))]
    with path.open("wb") as out:
        for i in range(messages):
            if i % JOB_EVERY == 0:
                raw = jobs[(i // JOB_EVERY) % len(jobs)]
            elif i % 10 == 1:
                raw = lookalikes[(i // 10) % len(lookalikes)]
            else:
                raw = _everyday(i)
            raw = raw.replace(b"Message-ID: <", f"Message-ID: <{i}.".encode(), 1)
            out.write(b"From MAILER-DAEMON Sat Oct  3 10:00:00 2026\n")
            out.write(raw.replace(b"\nFrom ", b"\n>From ").rstrip(b"\n") + b"\n\n")



def figures(work: Path) -> list[Figure]:
    config = work / "config.toml"
    env = {"NUDGER_CONFIG": str(config)}
    run_command([nudger_bin(), "init", "--database", "nudger.db"], env)
    single, double = work / "mail.mbox", work / "mail-double.mbox"
    write_mbox(single, MESSAGES)
    write_mbox(double, 2 * MESSAGES)

    stdlib = measure([PYTHON, "-c", STDLIB, str(single)], env)
    data = measure([nudger_bin(), "capture", str(single), "--dry-run", "--json"], env)
    twice = measure([nudger_bin(), "capture", str(double), "--dry-run", "--json"], env)
    rate = MESSAGES / data["wall"]
    stdlib_rate = MESSAGES / stdlib["wall"]
    ratio = data["wall"] / stdlib["wall"]
    peak, peak_double = data["maxrss_kb"] / 1024, twice["maxrss_kb"] / 1024
    growth = peak_double / peak
    return [
        Figure("capture 50k-message mbox", rate, "msg/s", f">= {TARGET_RATE} msg/s",
               rate >= TARGET_RATE, baseline=f"mailbox.mbox alone {stdlib_rate:,.0f} msg/s"),
        Figure("capture vs stdlib reading it", ratio, "x", f"<= {TARGET_RATIO:g}x",
               ratio <= TARGET_RATIO, baseline=f"mailbox.mbox {stdlib['wall']:.1f} s, "
               f"capture {data['wall']:.1f} s", ratio=ratio),
        Figure("capture 50k peak RSS", peak, "MB", f"<= {TARGET_MB} MB", peak <= TARGET_MB,
               baseline=f"mailbox.mbox peak {stdlib['maxrss_kb'] / 1024:.0f} MB"),
        Figure("capture peak RSS, mbox doubled", peak_double, "MB",
               "flat (<= 1.15x the 50k run)", growth <= 1.15,
               baseline=f"50k run {peak:.0f} MB", ratio=growth),
    ]
