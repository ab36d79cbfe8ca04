"""The starter config `nudger init` writes holds only what the user told nudger; drafts read
whole without a phone or a pitch; `check` warns about the sample person's details."""

from __future__ import annotations

import re
import tomllib
from functools import partial
from pathlib import Path

import pytest

from nudger.config import parse_settings
from nudger.digest.check import sample_gathered
from nudger.digest.compose import digest_context
from nudger.digest.render import Renderer
from nudger.digest.values import render_draft
from nudger.starter import example_profile, starter_config
from tests.clock import DAY, NOW
from tests.conftest import Home


def live_lines(text: str) -> str:
    """The config without its comments: what nudger actually reads."""
    return "\n".join(line.split("#", 1)[0] for line in text.splitlines()
                     if not line.lstrip().startswith("#"))


def sample_bits() -> list[str]:
    sample = example_profile()
    return [sample["phone"], sample["pitch"][:30], sample["name"], sample["email"]]


def test_starter_holds_only_what_the_user_gave() -> None:
    text = starter_config(name="Sam Doe", email="sam@real.example")
    data = tomllib.loads(text)
    assert data["profile"] == {"name": "Sam Doe", "email": "sam@real.example"}
    assert data["delivery"]["from"] == "nudger <sam@real.example>"
    live = live_lines(text)
    for bit in sample_bits():
        assert bit not in live, bit
    # The rest stays in the file as a commented example.
    for key in ("phone", "pitch", "signature", "social"):
        assert re.search(rf"(?m)^# {key} = ", text), key
    # Nothing given: no profile at all, no sample From.
    bare = tomllib.loads(starter_config())
    assert bare.get("profile", {}) == {} and "from" not in bare["delivery"]


def test_demo_keeps_the_sample_person() -> None:
    data = tomllib.loads(starter_config(name="Alex Rivera", email="alex@example.com",
                                        demo=True))
    assert data["profile"] == example_profile()


def test_init_then_check_as_a_new_user(home: Home) -> None:
    home.config.unlink()
    out = home.ok("init", "--name", "Sam Doe", "--email", "sam@real.example",
                  "--database", "nudger.db")
    assert "phone, pitch and signature" in out
    text = home.config.read_text()
    for bit in sample_bits():
        assert bit not in live_lines(text)
    result = home.run("check")
    assert result.code == 0 and result.err == "", result.err
    assert "all checks passed" in result.out

    # The user uncomments the phone line without changing it: check says so, with the line.
    home.config.write_text(text.replace('# phone = "', 'phone = "'))
    result = home.run("check")
    assert result.code == 0
    line = next(n for n, t in enumerate(home.config.read_text().splitlines(), 1)
                if t.startswith("phone ="))
    assert f"config.toml:{line}: profile.phone is still the shipped example" in result.err
    assert "with 1 warning(s) above" in result.out


def test_system_install_writes_a_starter_without_the_sample_person() -> None:
    import nudger.daemon.service as service

    if (service.SYSTEM_CONFIG_DIR / "config.toml").exists():
        pytest.skip("this machine has /etc/nudger/config.toml: the plan keeps it")
    plan = service.plan_install("system", {}, executable=Path("/usr/local/bin/nudger"))
    (config,) = [f for f in plan.files if f.path.name == "config.toml"]
    live = live_lines(config.content)
    for bit in sample_bits():
        assert bit not in live, bit


@pytest.mark.parametrize("full", [True, False])
def test_drafts_without_phone_or_pitch_read_whole(tmp_path: Path, full: bool) -> None:
    """Every draft (each action in each open stage), for a user who gave only a name and
    email: no sample person, no empty "reach me at", no placeholder, no sentence that
    leans on a pitch that is not there."""
    path = tmp_path / "config.toml"
    path.write_text(starter_config(name="Sam Doe", email="sam@real.example"))
    settings = parse_settings(path.read_text(), path)
    renderer = Renderer.for_dir(None, fresh=True)
    g = sample_gathered(settings, DAY, NOW, full=full)
    context = digest_context(partial(render_draft, renderer), settings, g, DAY, NOW, (), None)
    items = context["due_today"] + context["overdue"]
    assert len(items) > 20
    for item in items:
        body = item["draft"]["body"]
        where = f"{item['draft']['name']} in {item['app']['stage']}"
        for bit in sample_bits():
            assert bit not in body, (where, bit)
        assert not re.search(r"(reach me (at|is)|my number is)\s*[.,]?\s*$", body,
                             re.IGNORECASE | re.MULTILINE), where
        assert "[your name]" not in body, where
        assert "do that for" not in body, where  # "that" would be a missing pitch
        assert not re.search(r"[^\n ]  +[^ ]", body), (where, body)
        assert body.rstrip().endswith("Sam Doe") or item["draft"]["subject"] is None, where


def test_a_real_name_equal_to_the_example_is_no_warning(home: Home) -> None:
    """The `--help` example's name is a name a real person has: only placeholders nobody
    could type as their own are warned about (issue 21, item 13)."""
    home.ok("init", "--name", "Alex Rivera", "--email", "alex.rivera@gmail.com", "--force")
    result = home.run("check")
    assert result.code == 0 and "shipped example" not in result.err, result.err
    text = home.config.read_text()
    home.config.write_text(text.replace('email = "alex.rivera@gmail.com"',
                                        'email = "alex@example.com"'))
    assert "profile.email is still the shipped example" in home.run("check").err
