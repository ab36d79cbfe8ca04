"""Every --json output keeps one key order from run to run: users' scripts diff and cache it.

Each command runs twice as the installed program, under two different hash seeds (an order
that comes from a set or from the order SQLAlchemy fills a row would differ), and the two
outputs must be identical byte for byte; the application keys come in the model's order.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from nudger.store.models import Application, Contact
from tests.conftest import run_installed

pytestmark = pytest.mark.slow  # twenty runs of the installed program


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("json")
    config = folder / "config.toml"
    done = run_installed("--config", str(config), "init", "--demo", "--database", "nudger.db",
                         "--name", "Alex Rivera", "--email", "alex@example.com")
    assert done.returncode == 0, done.stderr
    run_installed("--config", str(config), "log", "1", "email", "--note", "sent")
    (folder / "in.csv").write_text("company,role,applied\nAcme,Rep,2026-11-02\n")
    return config


COMMANDS = [
    ["list", "--json"],
    ["list", "--stage", "applied", "--json"],
    ["show", "1", "--json"],
    ["show", "3", "--json"],
    ["due", "--json"],
    ["due", "--days", "14", "--json"],
    ["stats", "--json"],
    ["status", "--json"],
    ["import", "{dir}/in.csv", "--dry-run", "--json"],
    ["export", "--format", "json"],
]


@pytest.mark.parametrize("command", COMMANDS, ids=lambda c: " ".join(c))
def test_two_runs_print_the_same_bytes(demo: Path, command: list[str]) -> None:
    args = [part.replace("{dir}", str(demo.parent)) for part in command]
    outputs = []
    for seed in ("1", "2"):
        done = run_installed("--config", str(demo), *args, env={"PYTHONHASHSEED": seed})
        assert done.returncode == 0, done.stderr
        json.loads(done.stdout)
        outputs.append(done.stdout)
    # The clock's own fields differ between two runs; everything else must not (the keys
    # keep their order through loads and dumps).
    clock = {"now", "exported_at"}
    outputs = [json.dumps({k: (None if k in clock else v) for k, v in json.loads(o).items()},
                          indent=2) if o.lstrip().startswith("{") else o for o in outputs]
    assert outputs[0] == outputs[1]


def test_application_keys_in_the_model_order(demo: Path) -> None:
    shown = json.loads(run_installed("--config", str(demo), "show", "1", "--json",
                                     env={"PYTHONHASHSEED": "3"}).stdout)
    model_keys = list(Application.model_fields)
    assert list(shown)[: len(model_keys)] == model_keys
    assert list(shown)[len(model_keys):] == ["contacts", "timeline", "snoozed_until",
                                             "next_step", "mail"]
    contact_keys = [k for k in Contact.model_fields if k != "application_id"]
    assert [list(c) for c in shown["contacts"]] == [contact_keys]
