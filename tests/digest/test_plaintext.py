"""The plain-text part reads in mutt at 80 columns: long links are numbered references at
the end of the part (the `ref` filter), and every one of them still works."""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import unquote

import jinja2
import pytest

from nudger.digest.render import Renderer
from nudger.track.demo import add_demo_applications
from tests.digest_helpers import DAY, NOW, compose, make_db, make_settings, parse, parts


def demo_digest(tmp_path: Path) -> tuple[str, str]:
    settings = make_settings(tmp_path)
    db = make_db(settings)
    with db.session() as session:
        add_demo_applications(session, DAY, NOW, settings)
    text, html = parts(parse(compose(settings, db)))
    db.dispose()
    return text, html


def test_links_are_references_at_the_end(tmp_path: Path) -> None:
    text, html = demo_digest(tmp_path)
    body, _, rest = text.partition("\nLINKS\n")
    assert rest, "no LINKS section"
    references, _, footer = rest.partition("\n-- \n")
    assert footer.startswith("Next digest:")
    # The body: no URL-encoded wall, every line fits 80 columns.
    assert "mailto:" not in body and "%20" not in body
    lines = body.splitlines()
    long = [line for n, line in enumerate(lines) if len(line) > 80
            # a social post stays one line, to paste as it is (its count follows it)
            and not re.fullmatch(r"    \(\d+ of \d+ characters\)", lines[n + 1])]
    assert long == []
    # Each reference: one line "[n] URL", its marker in the body, the same link the HTML
    # part's button opens (so it works exactly as the button does).
    found = dict(re.findall(r"(?m)^\[(\d+)\] (mailto:\S+)$", references))
    assert len(found) >= 3
    for n in found:
        assert f"link [{n}] below" in body
    hrefs = {unquote(h).replace("&amp;", "&") for h in re.findall(r'href="(mailto:[^"]+)"',
                                                                  html)}
    assert {unquote(u) for u in found.values()} == hrefs
    assert len(text) < 12_000


def test_the_ref_filter_numbers_each_url_once(tmp_path: Path) -> None:
    (tmp_path / "t.txt.j2").write_text(
        "{{ 'https://a.example/x'|ref }} {{ 'mailto:b@example.com'|ref }} "
        "{{ 'https://a.example/x'|ref }}\n{% for l in links.all() %}{{ l.marker }} {{ l.url }}\n"
        "{% endfor %}")
    renderer = Renderer.for_dir(tmp_path, fresh=True)
    out = renderer.render("t.txt.j2", {})
    assert out == "[1] [2] [1]\n[1] https://a.example/x\n[2] mailto:b@example.com\n"
    # Each render starts from [1] again.
    assert renderer.render("t.txt.j2", {}) == out


def test_ref_outside_a_render_is_a_clear_error(tmp_path: Path) -> None:
    renderer = Renderer.for_dir(tmp_path, fresh=True)
    with pytest.raises(jinja2.TemplateRuntimeError, match="needs the render's `links`"):
        renderer.env.from_string("{{ 'x'|ref }}").render()
