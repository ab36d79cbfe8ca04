"""The Jinja environment: sandbox, strictness, autoescape, the output cap, overrides, and
errors reported as file:line."""

from __future__ import annotations

import re
import unicodedata
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import pytest

from nudger.config import Settings
from nudger.digest.check import check_templates, install_templates
from nudger.digest.render import (
    MAX_OUTPUT,
    SOCIAL_LIMIT,
    Renderer,
    fit_social,
    mailto,
    safe_url,
)
from nudger.errors import ConfigError
from nudger.store.db import Database
from nudger.text import clean_header
from tests.digest_helpers import DAY, add_app, compose, make_db, make_settings, parse, parts


def _renderer(tmp_path: Path, files: dict[str, str]) -> Renderer:
    for name, body in files.items():
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(body, encoding="utf-8")
    return Renderer.for_dir(tmp_path, fresh=True)


def test_html_templates_autoescape_and_text_ones_do_not(tmp_path: Path) -> None:
    r = _renderer(tmp_path, {"x.html.j2": "{{ v }}", "x.txt.j2": "{{ v }}"})
    assert r.render("x.html.j2", {"v": "<script>alert(1)</script>"}) == \
        "&lt;script&gt;alert(1)&lt;/script&gt;"
    assert r.render("x.txt.j2", {"v": "<b>"}) == "<b>"


def test_sandbox_refuses_internals(tmp_path: Path) -> None:
    r = _renderer(tmp_path, {"evil.txt.j2": "line one\n{{ ''.__class__.__mro__ }}"})
    with pytest.raises(ConfigError) as info:
        r.render("evil.txt.j2", {})
    assert str(info.value).startswith(f"{tmp_path / 'evil.txt.j2'}:2: ")


def test_immutable_sandbox_refuses_mutation(tmp_path: Path) -> None:
    r = _renderer(tmp_path, {"m.txt.j2": "{{ items.append(1) }}"})
    with pytest.raises(ConfigError, match=r"not allowed|unsafe"):
        r.render("m.txt.j2", {"items": []})


def test_output_is_capped(tmp_path: Path) -> None:
    r = _renderer(tmp_path, {"big.txt.j2": "{% for i in range(100) %}{{ 'x' * 100000 }}"
                                            "{% endfor %}"})
    with pytest.raises(ConfigError, match=f"longer than {MAX_OUTPUT:,}"):
        r.render("big.txt.j2", {})


@pytest.mark.parametrize("expression", ["'x' * 10**8", "[1] * 10**8", "9 ** 100000000",
                                        "((10 ** 60) ** 60) ** 60 ** 60"])
def test_memory_bombs_refused_before_they_allocate(tmp_path: Path, expression: str) -> None:
    r = _renderer(tmp_path, {"bomb.txt.j2": "ok\n{{ " + expression + " }}"})
    with pytest.raises(ConfigError) as info:
        r.render("bomb.txt.j2", {})
    assert str(info.value).startswith(f"{tmp_path / 'bomb.txt.j2'}:2: not allowed")


def test_arithmetic_still_works(tmp_path: Path) -> None:
    r = _renderer(tmp_path, {"ok.txt.j2": "{{ '-' * 3 }}{{ 2 ** 3 }}{{ 4 * 5 }}"})
    assert r.render("ok.txt.j2", {}) == "---820"


def test_undefined_variable_names_file_and_line(tmp_path: Path) -> None:
    r = _renderer(tmp_path, {"u.txt.j2": "one\ntwo\n{{ app.compnay }}\n"})
    with pytest.raises(ConfigError) as info:
        r.render("u.txt.j2", {"app": {"company": "Acme"}})
    message = str(info.value)
    assert message.startswith(f"{tmp_path / 'u.txt.j2'}:3: undefined variable")
    assert "compnay" in message


def test_syntax_error_names_file_and_line(tmp_path: Path) -> None:
    r = _renderer(tmp_path, {"s.txt.j2": "fine\n{% if x %}\nno end\n"})
    with pytest.raises(ConfigError) as info:
        r.render("s.txt.j2", {"x": 1})
    assert str(info.value).startswith(f"{tmp_path / 's.txt.j2'}:")
    assert "endif" in str(info.value) or "end of template" in str(info.value)


def test_mailto_is_rfc6068() -> None:
    url = mailto("dana@acme.example", "Hi & bye?", "Line 1\nLine 2 100%\r\nend #3")
    assert url.startswith("mailto:dana@acme.example?subject=Hi%20%26%20bye%3F&body=")
    assert "%0D%0A" in url and "\n" not in url and " " not in url and "#" not in url
    body = unquote(url.split("&body=", 1)[1])
    assert body == "Line 1\r\nLine 2 100%\r\nend #3"


@pytest.mark.parametrize("url,ok", [
    ("https://acme.example/jobs/1", True), ("http://x.example", True),
    ("javascript:alert(1)", False), ("JaVaScRiPt:alert(1)", False),
    ("data:text/html,<b>", False), ("https://x.example/\njavascript:", False), ("", False),
])
def test_safe_url(url: str, ok: bool) -> None:
    assert safe_url(url) == (url if ok else "")


def test_fit_social_keeps_short_posts() -> None:
    assert fit_social("@acme  hello\n  there") == "@acme hello\nthere"


def test_fit_social_truncates_at_a_word_keeping_the_handle() -> None:
    post = fit_social("@acme " + "word " * 100, keep="@acme")
    assert len(post) <= SOCIAL_LIMIT and post.startswith("@acme ") and post.endswith("word…")
    # The handle at the end would be cut off: it moves to the front instead.
    post = fit_social("word " * 100 + "@acme", keep="@acme")
    assert len(post) <= SOCIAL_LIMIT and post.startswith("@acme ")


def test_fit_social_never_splits_combining_marks() -> None:
    text = "e\u0301" * 400  # decomposed é: NFC makes it one character each
    post = fit_social(text)
    assert len(post) <= SOCIAL_LIMIT
    decomposed = ("x" + "e\u0301\u0302" * 300)  # no NFC form: base + two marks each
    post = fit_social(decomposed)
    assert len(post) <= SOCIAL_LIMIT
    kept = post[:-1]
    whole = unicodedata.normalize("NFC", decomposed)
    assert whole.startswith(kept)
    assert not unicodedata.combining(whole[len(kept)])  # no mark left behind by the cut


def test_clean_header_strips_controls_and_caps() -> None:
    assert clean_header("a\r\nBcc: x@y\x00z\tq") == "a Bcc: x@y z q"
    long = clean_header("word " * 100)
    assert len(long) <= 200 and long.endswith("…")


def test_user_override_is_picked_up(tmp_path: Path) -> None:
    settings = make_settings(tmp_path)
    (tmp_path / "templates/drafts").mkdir(parents=True)
    (tmp_path / "templates/drafts/email.txt.j2").write_text(
        "Custom hello to {{ contact.name if contact else 'you' }} at {{ app.company }}.\n",
        encoding="utf-8")
    db = make_db(settings)
    add_app(db, "Acme", contacts=["Dana Lee <dana@acme.example>"])
    text, html = parts(parse(compose(settings, db)))
    assert "Custom hello to Dana Lee at Acme." in text and "Custom hello to Dana Lee" in html
    assert "when are interviews" in text  # the packaged subject is still used
    assert check_templates(settings) == []


def test_cadence_step_names_its_own_template(tmp_path: Path) -> None:
    settings = make_settings(tmp_path, extra="""
[[cadence]]
stage = "applied"
steps = [{ wait = "1 day", action = "email", template = "coffee" }]
""")
    db = make_db(settings)
    add_app(db, "Acme")
    with pytest.raises(ConfigError, match=r"template = 'coffee'.*drafts/coffee\.txt\.j2"):
        compose(settings, db)
    assert any("coffee" in p for p in check_templates(settings))
    (tmp_path / "templates/drafts").mkdir(parents=True)
    (tmp_path / "templates/drafts/coffee.txt.j2").write_text(
        "Coffee with {{ app.company }}?\n", encoding="utf-8")
    (tmp_path / "templates/drafts/coffee.subject.j2").write_text("Coffee?", encoding="utf-8")
    assert install_templates(settings) == []  # checked, so installed for this process
    text, _ = parts(parse(compose(settings, db)))
    assert "Coffee with Acme?" in text and "Subject: Coffee?" in text


def with_email_draft(tmp_path: Path) -> tuple[Settings, Database, Path]:
    """Settings whose email draft is a user template saying "Version one", and a database
    with one application."""
    settings = make_settings(tmp_path)
    drafts = tmp_path / "templates/drafts"
    drafts.mkdir(parents=True)
    body = drafts / "email.txt.j2"
    body.write_text("Version one for {{ app.company }}.\n", encoding="utf-8")
    db = make_db(settings)
    add_app(db, "Acme")
    return settings, db, body


def test_a_broken_edit_keeps_the_checked_templates_in_use(tmp_path: Path) -> None:
    """What a daemon sees: it renders the snapshot that last passed install_templates."""
    settings, db, body = with_email_draft(tmp_path)
    assert install_templates(settings) == []
    body.write_text("Broken {{ app.compnay }}\n", encoding="utf-8")
    assert compose(settings, db).text.count("Version one for Acme.") == 1
    problems = install_templates(settings)
    assert problems and problems[0].startswith(f"{body}:1:")
    assert "Version one for Acme." in compose(settings, db).text  # the old one stays
    body.write_text("Version two for {{ app.company }}.\n", encoding="utf-8")
    assert install_templates(settings) == []
    assert "Version two for Acme." in compose(settings, db).text


def test_a_check_changes_nothing(tmp_path: Path) -> None:
    """`nudger check` (check_templates) reads the files but never puts them in use."""
    settings, db, body = with_email_draft(tmp_path)
    assert install_templates(settings) == []
    body.write_text("Version two for {{ app.company }}.\n", encoding="utf-8")
    assert check_templates(settings) == []
    assert "Version one for Acme." in compose(settings, db).text


def test_non_utf8_template_is_reported(tmp_path: Path) -> None:
    settings = make_settings(tmp_path)
    (tmp_path / "templates").mkdir()
    (tmp_path / "templates/digest.txt.j2").write_bytes(b"caf\xe9 {{ date }}\n")
    (problem,) = check_templates(settings)
    assert problem.startswith(f"{tmp_path / 'templates/digest.txt.j2'}: not UTF-8")


def test_broken_user_template_reported_never_half_rendered(tmp_path: Path) -> None:
    settings = make_settings(tmp_path)
    user = tmp_path / "templates/drafts"
    user.mkdir(parents=True)
    (user / "call.txt.j2").write_text("Call {{ contact.name }}\n{{ app.compnay }}\n",
                                      encoding="utf-8")
    (user / "visit.txt.j2").write_text("Go to\n\n{% for x in app %}\n", encoding="utf-8")
    problems = check_templates(settings)
    assert any(p.startswith(f"{user / 'visit.txt.j2'}:") for p in problems), problems
    db = make_db(settings)
    add_app(db, "Acme", applied=DAY - timedelta(days=10),
            touches=[("email", DAY - timedelta(days=3), "sent", 1)])
    with pytest.raises(ConfigError) as info:
        compose(settings, db)
    assert str(info.value).startswith(f"{user / 'call.txt.j2'}:")


def test_check_templates_reports_undefined_with_line(tmp_path: Path) -> None:
    settings = make_settings(tmp_path)
    user = tmp_path / "templates"
    user.mkdir()
    (user / "digest.txt.j2").write_text("Hello\n{{ me.name }}\n{{ footer.nope }}\n",
                                        encoding="utf-8")
    problems = check_templates(settings)
    assert problems and problems[0].startswith(f"{user / 'digest.txt.j2'}:3: ")
    assert "nope" in problems[0]


def test_packaged_templates_pass_check(tmp_path: Path) -> None:
    assert check_templates(make_settings(tmp_path)) == []


# --- issue 13, class 6: any construct of a user template is bounded in time and memory ---

DOUBLING = "{% set s = 'x' %}\n" + "{% set s = s ~ s %}\n" * 40 + "{{ s|length }}\n"
HOSTILE = {
    "center": ("{{ 'x'|center(10000000000) }}\n", "memory"),
    "format": ("{{ '%10000000000s'|format(1) }}\n", "memory"),
    "str.format": ("{{ '{:>10000000000}'.format(1) }}\n", "memory"),
    "tilde doubling": (DOUBLING, "memory"),
    "nested ranges": ("{% for i in range(100000) %}{% for j in range(100000) %}"
                      "{% endfor %}{% endfor %}done\n", "took longer"),
}


@pytest.fixture
def short_budget(monkeypatch: pytest.MonkeyPatch) -> None:
    from nudger.digest import bounded

    monkeypatch.setattr(bounded, "SECONDS", 4.0)


@pytest.mark.parametrize("construct", sorted(HOSTILE))
@pytest.mark.xdist_group("clock")  # a wall-clock budget: one at a time
def test_hostile_template_is_stopped_and_named(tmp_path: Path, construct: str,
                                               short_budget: None) -> None:
    import time

    body, why = HOSTILE[construct]
    settings = make_settings(tmp_path)
    (tmp_path / "templates/drafts").mkdir(parents=True)
    path = tmp_path / "templates/drafts/email.txt.j2"
    path.write_text(body, encoding="utf-8")
    started = time.monotonic()
    problems = check_templates(settings)
    assert time.monotonic() - started < 30  # a guard against a hang, not a timing claim
    assert len(problems) == 1 and problems[0].startswith(f"{path}"), problems
    # On a loaded machine a memory bomb may hit the clock before the memory limit: either
    # limit stops it, and the message says which.
    stopped = r"rendering (needs more than 512 MB|took longer than|used more than)"
    assert re.search(stopped if why == "memory" else why, problems[0]), problems
    # The same template, had it been installed, never takes the digest down with it.
    db = make_db(settings)
    add_app(db, "Acme", contacts=["Dana Lee <dana@acme.example>"])
    Renderer.for_dir(settings.templates_dir, fresh=True).install(settings.templates_dir)
    with pytest.raises(ConfigError, match=stopped if why == "memory" else why):
        compose(settings, db)


def test_a_stop_just_after_the_fork_still_ends_the_render_at_once(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """A stop signal between the fork and the child being known to `abort_all` (the e2e
    runaway-template test met it once it waited for the child instead of sleeping) used
    to wait out the whole render budget."""
    import os
    import signal
    import time

    from nudger.digest import bounded

    real_fork = os.fork

    def fork_then_signal() -> int:
        pid = real_fork()
        if pid != 0:
            os.kill(os.getpid(), signal.SIGUSR1)  # the stop, at the worst moment
        return pid

    previous = signal.getsignal(signal.SIGUSR1)
    bounded.abort_on_signal(signal.SIGUSR1)
    monkeypatch.setattr(os, "fork", fork_then_signal)
    try:
        started = time.monotonic()
        with pytest.raises(ConfigError, match="rendering was stopped: nudger is stopping"):
            bounded.run(lambda: time.sleep(60), "the templates", seconds=30)
        assert time.monotonic() - started < 5
    finally:
        signal.signal(signal.SIGUSR1, previous)


def test_a_fifo_in_the_templates_folder_is_reported_not_read(tmp_path: Path) -> None:
    import os

    settings = make_settings(tmp_path)
    (tmp_path / "templates").mkdir()
    fifo = tmp_path / "templates/digest.txt.j2"
    os.mkfifo(fifo)
    (problem,) = check_templates(settings)
    assert problem == (f"{fifo}: not a regular file (a FIFO); a template is a text file: "
                       "rename or remove it")


def test_shipped_templates_render_in_process(tmp_path: Path,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    """The fast path: no override, no child process; an override: one child per digest."""
    from nudger.digest import bounded

    settings = make_settings(tmp_path)
    db = make_db(settings)
    add_app(db, "Acme")
    assert not Renderer.for_dir(settings.templates_dir, fresh=True).untrusted
    calls: list[str] = []
    real = bounded.run

    def counting(fn: Any, what: str, **kw: Any) -> Any:
        calls.append(what)
        return real(fn, what, **kw)

    monkeypatch.setattr(bounded, "run", counting)
    assert "Acme" in compose(settings, db).text
    assert calls == []
    (tmp_path / "templates/drafts").mkdir(parents=True)
    (tmp_path / "templates/drafts/email.txt.j2").write_text("Mine: {{ app.company }}\n",
                                                            encoding="utf-8")
    assert install_templates(settings) == []
    assert "Mine: Acme" in compose(settings, db).text
    assert len(calls) == 2  # one for the check, one for the whole digest


def test_a_template_added_or_removed_on_reload_is_found(tmp_path: Path) -> None:
    """A renderer remembers where each name resolves (its loaders are snapshots); a
    reload installs a new renderer, which looks again: an override added since is used,
    one removed since is not."""
    settings, db, body = with_email_draft(tmp_path)
    assert install_templates(settings) == []
    first = compose(settings, db).text
    assert "Version one for Acme." in first and "Subject: Custom" not in first
    subject = body.parent / "email.subject.j2"
    subject.write_text("Custom {{ app.company }}", encoding="utf-8")
    assert "Subject: Custom" not in compose(settings, db).text  # not installed yet
    assert install_templates(settings) == []
    assert "Subject: Custom Acme" in compose(settings, db).text
    assert Renderer.for_dir(settings.templates_dir).where(
        "drafts/email.subject.j2") == str(subject)
    body.unlink()
    subject.unlink()
    assert install_templates(settings) == []
    text = compose(settings, db).text
    assert "Version one" not in text and "Subject: Custom" not in text
    assert "when are interviews" in text  # the packaged draft again
    assert Renderer.for_dir(settings.templates_dir).where(
        "drafts/email.txt.j2") != str(body)


def test_two_configs_in_one_process_keep_their_own_templates(tmp_path: Path) -> None:
    mine, db, body = with_email_draft(tmp_path / "mine")
    theirs = make_settings(tmp_path / "theirs")
    other_db = make_db(theirs)
    add_app(other_db, "Acme")
    for _ in range(2):  # each renderer asked in turn, twice
        assert "Version one for Acme." in compose(mine, db).text
        assert "Version one" not in compose(theirs, other_db).text
    assert Renderer.for_dir(mine.templates_dir).where("drafts/email.txt.j2") == str(body)
    assert Renderer.for_dir(theirs.templates_dir).where("drafts/email.txt.j2") != str(body)
    assert not Renderer.for_dir(theirs.templates_dir).exists("drafts/coffee.txt.j2")


def test_dict_values_read_as_the_stock_sandbox_reads_them(tmp_path: Path) -> None:
    """The sandbox's shortcut for plain dicts (a key that is no dict attribute) gives
    what Jinja's own sandbox gives, methods and all, and still refuses internals."""
    from jinja2.sandbox import ImmutableSandboxedEnvironment, SecurityError

    source = ("{{ d.name }} {{ d.keys is callable }} {{ d.get('x') }} {{ d.items() | list "
              "| length }} {{ d.missing is defined }} {{ e.name }} {{ d['keys'] }}")
    values = {"d": {"name": "N", "keys": "K", "x": 1}, "e": {"name": {"deep": 2}}}
    ours = _renderer(tmp_path, {"t.txt.j2": source}).env.from_string(source).render(values)
    stock = ImmutableSandboxedEnvironment().from_string(source).render(values)
    assert ours == stock == "N True 1 3 False {'deep': 2} K"
    with pytest.raises(SecurityError, match="unsafe"):
        _renderer(tmp_path, {}).env.from_string(
            "{{ d.__class__.__subclasses__() }}").render(d={})


def test_wordwrap_is_jinjas() -> None:
    """The environment's `wordwrap` (a line that fits is kept without textwrap) gives
    what Jinja's own filter gives, for every width and flag the templates might use."""
    import random

    import jinja2
    from jinja2.filters import do_wordwrap

    from nudger.digest.filters import wordwrap

    env = jinja2.Environment()
    rng = random.Random(11)
    pieces = ["word", " ", "  ", "\t", "\n", "\r\n", "long-hyphenated-word", "x" * 90,
              "é", "\u00a0", "\u3000", "\x0b", "\x1c", "\u2028", " \n", ""]
    texts = ["", "a", " lead", "trail ", "\t", "exact" * 15 + "a",
             *("".join(rng.choice(pieces) for _ in range(rng.randrange(1, 40)))
               for _ in range(3000))]
    for text in texts:
        for width in (1, 5, 20, 76, 79):
            for flags in ((True, True), (False, False), (True, False)):
                assert wordwrap(env, text, width, *flags[:1], None, flags[1]) == \
                    do_wordwrap(env, text, width, flags[0], None, flags[1]), (text, width)
        assert wordwrap(env, text, 10, wrapstring="|") == \
            do_wordwrap(env, text, 10, wrapstring="|")
    with pytest.raises(ValueError):
        wordwrap(env, "x", 0)


def test_percent_encoding_is_urllibs() -> None:
    import random
    from urllib.parse import quote

    from nudger.digest.filters import percent_encoded

    rng = random.Random(3)
    alphabet = "aZ09_.-~ @/?&=#%+\r\n\té€😀\x00\x7f"
    for _ in range(3000):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randrange(60)))
        for safe in ("", "@", "/"):
            assert percent_encoded(text, safe) == quote(text, safe=safe), (text, safe)
    with pytest.raises(UnicodeEncodeError):
        percent_encoded("\ud800")
