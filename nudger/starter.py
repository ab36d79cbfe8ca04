"""The config `nudger init` writes: config.example.toml with the user's details filled in.

A starter config holds only what the user told nudger (`--name`, `--email`,
`--database`): every other [profile] key (phone, pitch, signature, social) stays in the
file as a commented example, so that no draft ever carries the sample person's phone
number or pitch. `init --demo` keeps the whole sample person: that is the demo.
"""

from __future__ import annotations

import json
import re

from nudger.resources import resource_path
from nudger.track.tracker import check_text

# [profile] keys whose example value is someone else's: commented out unless the user gave
# a value (name and email can be given on the command line; the rest are edited in).
PROFILE_KEYS = ("name", "email", "phone", "pitch", "signature", "social")


def _toml_string(value: str) -> str:
    return json.dumps(value, ensure_ascii=False)  # a JSON string is a valid TOML basic string


def example_text() -> str:
    return resource_path("config.example.toml").read_text(encoding="utf-8")


def example_profile() -> dict[str, str]:
    """The sample person's [profile] values as config.example.toml ships them."""
    import tomllib

    profile = tomllib.loads(example_text()).get("profile", {})
    return {key: str(value) for key, value in profile.items() if isinstance(value, str)}


def starter_config(name: str = "", email: str = "", database: str | None = None,
                   *, demo: bool = False) -> str:
    """config.example.toml with `name`, `email` and `database` filled in. Without `demo`,
    the [profile] keys the user did not give, and `delivery.from` without an email, are
    commented out (their example stays visible as documentation)."""
    given = {"name": name, "email": email}
    for key, value in given.items():
        if value:
            check_text(f"--{key}", value, one_line=True)
    lines = example_text().splitlines(keepends=True)
    out: list[str] = []
    table = ""
    for line in lines:
        header = re.match(r"^\s*\[+([^\]]+)\]+", line)
        if header:
            table = header.group(1).strip()
        assignment = re.match(r"^(\w+) = ", line)
        if table == "profile" and assignment and assignment.group(1) in PROFILE_KEYS:
            field = assignment.group(1)
            value = given.get(field, "")
            if value:
                line = _replace_value(line, field, value)
            elif not demo:
                line = "# " + line
        elif table == "delivery" and line.startswith("from = "):
            if email:
                line = _replace_value(line, "from", f"nudger <{email}>")
            elif not demo:
                line = "# " + line
        out.append(line)
    text = "".join(out)
    if demo and name:
        # The demo's signature signs with the demo user's name.
        sample = example_profile()
        signature = sample.get("signature", "").replace(sample.get("name", ""), name)
        text = re.sub(r'(?m)^signature = ".*"', lambda _m: f"signature = "
                      f"{_toml_string(signature)}", text)
    if database:
        check_text("--database", database, one_line=True)
        text = text.replace('# database = "nudger.db"', f"database = {_toml_string(database)}")
    return text


def _replace_value(line: str, key: str, value: str) -> str:
    """`key = "old"   # comment` with the new value, the comment kept in its column."""
    found = re.match(rf'^{key} = ("(?:[^"\\]|\\.)*")(\s*)(#.*)?$', line.rstrip("\n"))
    new = f"{key} = {_toml_string(value)}"
    if found and found.group(3):
        width = len(found.group(0)) - len(found.group(3))
        new = new.ljust(width - 1) + " " + found.group(3)
    return new + "\n"


def leftover_examples(profile: dict[str, str], source: object | None) -> list[str]:
    """Warnings for [profile] values that are still the shipped example and that nobody
    could have as their own (the sample's 555-01xx phone, its address at example.com, its
    pitch, a signature with that phone): a draft would send someone else's details. The
    sample's name alone is no warning: it is a real name someone may have.
    `source` is the config file (its lines are named when it can be read)."""
    from pathlib import Path

    sample = example_profile()
    phone = sample.get("phone", "")
    lines: list[str] = []
    if isinstance(source, Path):
        try:
            lines = source.read_text(encoding="utf-8").splitlines()
        except (OSError, UnicodeDecodeError):
            lines = []
    where = str(source) if source is not None else "config.toml"
    found: list[str] = []
    for key in PROFILE_KEYS:
        if key == "name":
            continue  # a real person may be called that; the rest nobody has as their own
        value = str(profile.get(key) or "").strip()
        example = sample.get(key, "").strip()
        if not value or not example:
            continue
        if value == example or (key != "phone" and phone and phone in value):
            line = next((n for n, text in enumerate(lines, start=1)
                         if re.match(rf"^\s*{key}\s*=", text)), None)
            what = "the shipped example" if value == example else \
                "the shipped example phone number"
            found.append(
                f"{where}{f':{line}' if line else ''}: profile.{key} is still {what} "
                f"({_short(example if value == example else phone)}); write your own or "
                "remove the line, or drafts carry the sample person's details")
    return found


def _short(text: str) -> str:
    one = text.replace("\n", "\\n")
    return json.dumps(one[:40] + ("…" if len(one) > 40 else ""), ensure_ascii=False)
