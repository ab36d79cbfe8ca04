"""Files shipped with nudger: templates, config.example.toml, systemd units.

In a wheel they live inside the package (pyproject's force-include); in a source checkout
(an editable install, the tests) they are the top-level folders of the repository.
"""

from __future__ import annotations

from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent


def resource_path(name: str) -> Path:
    """`templates`, `config.example.toml` or `systemd`, wherever this install keeps them."""
    inside = _PACKAGE / name
    if inside.exists():
        return inside
    beside = _PACKAGE.parent / name
    if beside.exists():
        return beside
    raise FileNotFoundError(f"nudger's {name} is missing from this installation ({inside})")
