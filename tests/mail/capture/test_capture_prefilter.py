"""The recogniser skips a rule pattern whose literal start is not in the (case-folded) text
(rules.literal_prefix / fold_case). That pre-filter must never drop a match: the
folding is checked against the regex engine itself over every code point, and the findings
with and without it are compared over the corpus, the sample mbox and mutated copies."""

from __future__ import annotations

import random
import re
import sys
from dataclasses import replace
from email import policy
from email.message import Message
from email.parser import BytesParser
from zoneinfo import ZoneInfo

from nudger.mail.capture.files import RawMail, read_mbox
from nudger.mail.capture.prefilter import body_can_matter, peek
from nudger.mail.capture.recognise import recognise, recognise_bytes
from nudger.mail.capture.rules import Rules, default_rules, fold_case, literal_prefix
from nudger.mail.capture.view import single_part, view_headers, with_body
from tests.paths import FIXTURES, REPO

ZONE = ZoneInfo("Europe/Berlin")
CORPUS = FIXTURES / "mail"
SAMPLE = REPO / "nudger" / "mail" / "capture" / "sample.mbox"
EVERY_CHARACTER = "".join(chr(point) for point in range(sys.maxunicode + 1))


def without_prefilter(rules: Rules) -> Rules:
    phrases = {kind: tuple(replace(rule, prefix="", needs=()) for rule in found)
               for kind, found in rules.phrases.items()}
    return replace(rules, phrases=phrases, candidate_prefixes=None, company_prefixes=(),
                   role_prefixes=())


def all_prefixes(rules: Rules) -> list[str]:
    return [p for p in (*(rules.candidate_prefixes or ()), *rules.company_prefixes,
                        *rules.role_prefixes,
                        *(r.prefix for found in rules.phrases.values() for r in found)) if p]


def messages() -> list[bytes]:
    mails = [path.read_bytes() for path in sorted(CORPUS.glob("*.eml"))]
    mails += [item.data for item in read_mbox(SAMPLE) if isinstance(item, RawMail)]
    return mails


def test_the_rules_have_prefixes_to_skip_by() -> None:
    rules = default_rules()
    assert rules.candidate_prefixes is not None
    assert sum(1 for r in rules.phrases["rejection"] if r.prefix) > 10


def test_folding_agrees_with_the_regex_engine_for_every_code_point() -> None:
    """Whatever character re.IGNORECASE matches to a prefix's character folds to the same
    character, so a match always leaves its prefix in the folded text."""
    for char in sorted({c for prefix in all_prefixes(default_rules()) for c in prefix}):
        folded = fold_case(char)
        for other in re.findall(re.escape(char), EVERY_CHARACTER, re.IGNORECASE):
            assert fold_case(other) == folded, (char, other)
    # one character in, one out: slices of the folded text line up with the text's
    for point in range(sys.maxunicode + 1):
        assert len(fold_case(chr(point))) == 1, hex(point)
    assert fold_case("ΟΔΟΣ ΟΔΟΣ") == fold_case("οδοσ οδοσ") == fold_case("οδος οδος")
    assert fold_case("İnterview ſtelle K") == "interview stelle k"


def test_literal_prefix() -> None:
    assert literal_prefix("thank(s| you) for") == "thank"
    assert literal_prefix("Bewerbung (?:als)") == "bewerbung als"
    assert literal_prefix("Bewerbung (als)?") == "bewerbung "
    assert literal_prefix("(we|we.ve) received") == ""
    assert literal_prefix("no ") == "no "
    assert literal_prefix("ab") == ""            # too short to be worth a look-up
    assert literal_prefix("(?x) a b c d") == "abcd"
    assert literal_prefix("[") == ""             # not a pattern: nothing skipped


def test_prefilter_never_drops_a_finding_corpus_and_sample_mbox() -> None:
    rules = default_rules()
    plain = without_prefilter(rules)
    mails = messages()
    assert len(mails) > 100
    for raw in mails:
        assert peek(raw, rules) == peek(raw, plain)
        for outreach in (False, True):
            assert recognise_bytes(raw, zone=ZONE, rules=rules, outreach=outreach) == \
                recognise_bytes(raw, zone=ZONE, rules=plain, outreach=outreach)


def test_prefilter_never_drops_a_finding_mutated_mail() -> None:
    """Case changes, look-alike characters (ſ, K, İ, σ/ς) and cut words in the corpus."""
    rules = default_rules()
    plain = without_prefilter(rules)
    rng = random.Random(16)
    swaps = [("s", "ſ"), ("k", "\u212a"), ("i", "\u0130"), ("i", "\u0131"), ("a", "A"),
             ("e", "É"), ("ss", "ß"), (" ", "\u00a0"), ("o", "O"), ("u", "ü")]
    mails = messages()
    for _ in range(400):
        text = rng.choice(mails).decode("utf-8", "replace")
        for _ in range(rng.randint(1, 8)):
            old, new = rng.choice(swaps)
            at = text.find(old, rng.randrange(len(text)))
            if at >= 0:
                text = text[:at] + new + text[at + len(old):]
        if rng.random() < 0.5:
            text = text.upper() if rng.random() < 0.5 else text.swapcase()
        raw = text.encode("utf-8")
        assert peek(raw, rules) == peek(raw, plain)
        assert recognise_bytes(raw, zone=ZONE, rules=rules, outreach=True) == \
            recognise_bytes(raw, zone=ZONE, rules=plain, outreach=True)


def test_a_body_that_cannot_matter_is_never_a_finding() -> None:
    """Auto-replies and bulk mail not from an ATS are not parsed: the full recogniser
    finds nothing in any of them (nor in copies of every corpus mail made bulk or
    automatic), and the corpus holds both kinds."""
    rules = default_rules()
    mails = messages()
    mails += [b"List-Id: <jobs.example>\n" + m for m in mails] + \
        [b"Auto-Submitted: auto-replied\n" + m for m in mails] + \
        [b"Precedence: bulk\n" + m for m in mails]
    skipped = 0
    for raw in mails:
        view = view_headers(raw)
        if not body_can_matter(view, rules):
            skipped += 1
            for outreach in (False, True):
                assert recognise(with_body(view, raw), zone=ZONE, rules=rules,
                                 outreach=outreach) == []
    assert skipped > 100


def test_the_raw_peek_never_drops_what_the_recogniser_finds() -> None:
    """`peek` decides a person's mail from its raw bytes ([candidate] body words, soft
    line breaks joined): every message the full recogniser finds something in, in both
    corpora, passes it, also when its words are cut by quoted-printable soft breaks."""
    rules = default_rules()
    families = sorted((CORPUS / "families").glob("*.eml"))
    mails = messages() + [path.read_bytes() for path in families]
    found = 0
    for raw in mails:
        if recognise_bytes(raw, zone=ZONE, rules=rules):
            found += 1
            assert peek(raw, rules)[1]
    assert found > 250
    person = (b"From: Sam Porter <sam.porter@example.org>\nSubject: Oakhurst Media\n"
              b"Content-Type: text/plain; charset=utf-8\n"
              b"Content-Transfer-Encoding: quoted-printable\n\n"
              b"Hi Alex, Oakhurst Media decided to go with someone else for the Video Pro=\n"
              b"ducer jo=\nb. Sorry!\nSam\n")
    assert [f.kind for f in recognise_bytes(person, zone=ZONE)] == ["rejection"]
    assert peek(person, rules)[1]
    # No job word, but another person chosen: a refusal in a person's words (ownwords.py),
    # read further, and found by the recogniser too.
    gig = person.replace(b"jo=\nb", b"gig")
    assert peek(gig, rules)[1]
    assert [f.kind for f in recognise_bytes(gig, zone=ZONE)] == ["rejection"]
    chat = gig.replace(b"decided to go with someone else for", b"loved")
    assert not peek(chat, rules)[1]


def test_the_one_part_reader_reads_as_the_parser_does() -> None:
    """`single_part` (a one-part message's fields and payload without the email package's
    parser) gives `with_body` the same view as the parser, over both corpora, the sample
    mbox and copies changed where the two could part: CRLF, a folded, repeated or spaced
    field, a multipart type, base64 and quoted-printable bodies, a non-ASCII header, a
    first line that is no header, no blank line."""
    families = sorted((CORPUS / "families").glob("*.eml"))
    mails = messages() + [path.read_bytes() for path in families]
    rng = random.Random(22)
    changes = [
        lambda m: m.replace(b"\n", b"\r\n"),
        lambda m: m.replace(b"Content-Type: text/plain;", b"Content-Type: text/plain;\n\t", 1),
        lambda m: m.replace(b"Content-Type:", b"Content-Type: text/html\nContent-Type:", 1),
        lambda m: m.replace(b"Content-Type:", b"Content-Type :", 1),
        lambda m: m.replace(b"Content-Type: text/plain", b"Content-Type: multipart/mixed", 1),
        lambda m: m.replace(b"Content-Type: text/plain", b"Content-Type: message/rfc822", 1),
        lambda m: m.replace(b"Content-Type: text/plain", b"Content-type:TEXT/HTML  ", 1),
        lambda m: m.replace(b"charset=", b"charset*=utf-8''", 1),
        lambda m: m.replace(b"Subject:", b"Subject: caf\xc3\xa9", 1),
        lambda m: b"not a header line\n" + m,
        lambda m: b"From someone Sat Oct  3 10:00:00 2026\n" + m,
        lambda m: m.replace(b"\n\n", b"\n", 1),
        lambda m: m.replace(b"\n\n", b"\nContent-Transfer-Encoding: quoted-printable\n\n", 1),
        lambda m: m.replace(b"\n\n", b"\nContent-Transfer-Encoding:  Base64 \n\n", 1),
        lambda m: m.replace(b"\n\n", b"\nContent-Disposition: attachment\n\n", 1),
        lambda m: m.replace(b"\n\n", b"\nX-Note: a\x0cb\n\n", 1),
    ]
    read = 0
    for raw in mails + [rng.choice(changes)(rng.choice(mails)) for _ in range(600)]:
        view = view_headers(raw)
        fast = with_body(view, raw, zone=ZONE)
        parsed = with_body(view, _parse(raw), zone=ZONE)
        assert fast == parsed
        read += single_part(raw) is not None
    assert read > 100  # the one-part mail of the corpus is read without the parser


def _parse(raw: bytes) -> Message:
    return BytesParser(policy=policy.compat32).parsebytes(raw)
