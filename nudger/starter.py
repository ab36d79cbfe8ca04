"""The config `nudger init` writes: config.example.toml with the user's details filled in."""

from __future__ import annotations

import json
import re

from nudger.resources import resource_path
from nudger.tracker import check_text


def _toml_string(value: str) -> str:
    return json.dumps(value, ensure_ascii=False)  # a JSON string is a valid TOML basic string


def starter_config(name: str = "", email: str = "", database: str | None = None) -> str:
    text = resource_path("config.example.toml").read_text(encoding="utf-8")
    if name:
        check_text("--name", name, one_line=True)
        text = re.sub(r'(?m)^name = "Alex Rivera"', f"name = {_toml_string(name)}", text)
        text = text.replace('signature = "Alex Rivera\\n+1 312 555 0100"',
                            f"signature = {_toml_string(name)}")
    if email:
        check_text("--email", email, one_line=True)
        text = re.sub(r'(?m)^email = "alex@example.com"', f"email = {_toml_string(email)}",
                      text)
        sender = f"nudger <{email}>"
        text = text.replace('from = "nudger <alex@example.com>"',
                            f"from = {_toml_string(sender)}")
    if database:
        check_text("--database", database, one_line=True)
        text = text.replace('# database = "nudger.db"', f"database = {_toml_string(database)}")
    return text
