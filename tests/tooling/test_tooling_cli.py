"""The ``walnats`` console script, commands that need no server: help, errors, graph,
asyncapi, lint, and the event-sourcing commands' argument checks."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import textwrap
import uuid
from pathlib import Path

import pytest
import yaml
from tooling_helpers import APP, ES_APP, SCHEMA, environment
from tooling_helpers import walnats as run

import walnats


def single_error(done: subprocess.CompletedProcess[str]) -> str:
    """The one ``error: ...`` line a failed command prints (and nothing else)."""
    assert done.returncode != 0, done
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert lines[0].startswith("error: "), done.stderr
    return lines[0]


def test_version() -> None:
    """--version names walnats, nats-py and Python; ``python -m tooling`` works too."""
    done = run("--version")
    assert done.returncode == 0
    assert done.stdout.startswith(f"walnats {walnats.__version__} (nats-py ")
    module = subprocess.run(
        [sys.executable, "-m", "tooling", "--version"],
        capture_output=True,
        text=True,
        check=False,
        env=environment(),
    )
    assert module.stdout == done.stdout


@pytest.mark.parametrize(
    "command",
    [
        "run",
        "graph",
        "asyncapi",
        "replay",
        "lint",
        "db upgrade",
        "status",
        "dlq list",
        "dlq show",
        "dlq retry",
        "dlq purge",
        "snapshot",
        "server",
    ],
)
def test_help(command: str) -> None:
    """Every command has --help, with --debug among its options."""
    done = run(*command.split(), "--help")
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith(f"usage: walnats {command}")
    assert "--debug" in done.stdout


def test_usage_errors_are_one_line() -> None:
    """argparse errors follow the same ``error: ...`` form, exit 2."""
    done = run("graph", "--nope")
    assert done.returncode == 2
    assert done.stderr == ("error: unrecognized arguments: --nope; see `walnats graph --help`\n")
    assert run().returncode == 2  # no command: the help, on stderr


def test_graph() -> None:
    """DOT on stdout, ready for ``dot``; --service and --direction apply."""
    done = run("graph", APP, "--direction", "TB", "--service", "shipping")
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("digraph walnats {")
    assert "rankdir=TB" in done.stdout
    assert "cluster_orders" not in done.stdout


def test_graph__unknown_service() -> None:
    """The exact error line, listing the services."""
    done = run("graph", APP, "--service", "billing")
    assert single_error(done) == (
        "error: the app has no service named 'billing'; its services are: orders, shipping"
    )


def test_graph__app_from_pyproject() -> None:
    """Without APP, ``[tool.walnats] app`` of ./pyproject.toml is used (the shop)."""
    done = run("graph")
    assert done.returncode == 0, done.stderr
    assert '"event.order-placed"' in done.stdout


def test_asyncapi_json_yaml_and_file(tmp_path: Path) -> None:
    """JSON by default, YAML on request, or into a file."""
    as_json = json.loads(run("asyncapi", APP).stdout)
    assert as_json["asyncapi"] == "3.0.0"
    as_yaml = yaml.safe_load(run("asyncapi", APP, "--format", "yaml").stdout)
    assert as_yaml == as_json
    target = tmp_path / "orders.json"
    done = run("asyncapi", APP, "--service", "orders", "-o", str(target))
    assert (done.returncode, done.stdout) == (0, "")
    assert json.loads(target.read_text())["info"]["title"] == "orders"


@pytest.mark.parametrize("app", [ES_APP, None])
def test_asyncapi_check(app: str | None) -> None:
    """--check with the official schema validates instead of printing (the fixture app,
    and the example shop named in pyproject.toml)."""
    done = run("asyncapi", *([app] if app else []), "--check", "--schema", str(SCHEMA))
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("ok: AsyncAPI 3.0.0 document of walnats services is valid")


def test_asyncapi_check__bad_schema_file(tmp_path: Path) -> None:
    """A schema file that is not JSON is a one-line error."""
    bad = tmp_path / "schema.json"
    bad.write_text("{", encoding="utf-8")
    assert single_error(run("asyncapi", APP, "--check", "--schema", str(bad))).startswith(
        f"error: cannot read the JSON Schema '{bad}': "
    )


def test_lint(tmp_path: Path) -> None:
    """Violations as ``path:line:col CODE message``; exit 1 on errors, 0 when clean."""
    clean = tmp_path / "clean.py"
    clean.write_text("x = 1\n", encoding="utf-8")
    done = run("lint", str(clean))
    assert (done.returncode, done.stdout) == (0, "")
    bad = tmp_path / "bad.py"
    bad.write_text(
        textwrap.dedent(
            """\
            from walnats import Event
            E = Event("OrderPlaced", bytes)
            """
        ),
        encoding="utf-8",
    )
    done = run("lint", str(bad))
    assert done.returncode == 1
    assert run("lint", cwd=tmp_path).returncode == 1  # the default: the current directory
    assert re.search(rf"^{re.escape(str(bad))}:2:11 WNS004 event name ", done.stdout, re.M)
    assert "error(s)" in done.stderr


# --- a bad APP: every command that takes one reports it the same way ------------------


def app_module(folder: Path, source: str) -> str:
    """A module in *folder*, with a unique name."""
    name = f"cli_app_{uuid.uuid4().hex[:8]}"
    (folder / f"{name}.py").write_text(source, encoding="utf-8")
    return name


def test_bad_app__not_given(tmp_path: Path) -> None:
    """No APP, no pyproject.toml, no WALNATS_APP."""
    done = run("graph", cwd=tmp_path)
    assert single_error(done) == (
        "error: no APP given: pass module:attribute (e.g. myapp.main:services), set app = "
        '"myapp.main:services" under [tool.walnats] in pyproject.toml, or set WALNATS_APP'
    )


def test_bad_app__missing_module(tmp_path: Path) -> None:
    """A module that does not exist, for each command that loads the app."""
    for command in ("graph", "asyncapi", "status", "run", "replay", "snapshot"):
        extra = ["agg"] if command == "snapshot" else []
        done = run(command, "nowhere_xyz:services", *extra, cwd=tmp_path)
        assert single_error(done) == (
            "error: cannot import module 'nowhere_xyz' (APP 'nowhere_xyz:services' from "
            "argument): no module named 'nowhere_xyz'. Run walnats from your project's root "
            "directory or add the module's folder to PYTHONPATH"
        ), command


def test_bad_app__wrong_attribute_and_type() -> None:
    """An attribute that is missing, or not a Services."""
    done = run("graph", "tests.tooling.app_fixture:nope")
    assert single_error(done) == (
        "error: module 'tests.tooling.app_fixture' has no attribute 'nope' (APP "
        "'tests.tooling.app_fixture:nope' from argument); point APP at your walnats.Services "
        "object"
    )
    done = run("graph", "tests.tooling.app_fixture:not_services")
    assert single_error(done) == (
        "error: APP 'tests.tooling.app_fixture:not_services' is a Events, not a "
        "walnats.Services; point APP at the registry built with walnats.Services()"
    )


def test_bad_app__import_raises_and_debug(tmp_path: Path) -> None:
    """A module that raises: one line, and the traceback only with --debug."""
    name = app_module(tmp_path, "raise RuntimeError('boom')\n")
    done = run("graph", f"{name}:services", cwd=tmp_path)
    assert single_error(done) == (
        f"error: importing '{name}' (APP '{name}:services') raised RuntimeError: boom. "
        "Fix the module; run with --debug for the traceback"
    )
    debug = run("graph", f"{name}:services", "--debug", cwd=tmp_path)
    assert "Traceback (most recent call last)" in debug.stderr
    assert debug.stderr.rstrip().splitlines()[-1].startswith("error: importing")


def test_app_from_environment_and_pyproject(tmp_path: Path) -> None:
    """WALNATS_APP is used when there is no pyproject.toml entry; pyproject.toml wins."""
    empty = app_module(tmp_path, "import walnats\nservices = walnats.Services()\n")
    env = environment(WALNATS_APP=f"{empty}:services")
    assert run("graph", cwd=tmp_path, env=env).stdout.startswith("digraph walnats {")
    (tmp_path / "pyproject.toml").write_text(
        '[tool.walnats]\napp = "nowhere_else:services"\n', encoding="utf-8"
    )
    done = run("graph", cwd=tmp_path, env=env)
    assert "(APP 'nowhere_else:services' from pyproject.toml [tool.walnats] app)" in done.stderr


# --- event-sourcing commands: names are checked now, missing APIs said clearly ---------


def test_replay__unknown_projection() -> None:
    """An unknown projection name is the exact error line."""
    done = run("replay", APP, "order-totals")
    assert single_error(done) == (
        "error: the app has no projection named 'order-totals'; its projections are: none"
    )


def test_db_upgrade(tmp_path: Path) -> None:
    """db upgrade applies the toolkit migrations to a fresh database."""
    url = f"sqlite+aiosqlite:///{tmp_path / 'toolkit.db'}"
    done = run("db", "upgrade", "--db", url, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stdout == f"the toolkit tables in {url} are at revision head\n"
    assert (tmp_path / "toolkit.db").is_file()


def test_snapshot__unknown_aggregate() -> None:
    """An unknown aggregate type is the exact error line, listing the known ones."""
    done = run("snapshot", ES_APP, "orders")
    assert single_error(done) == (
        "error: the app has no aggregate named 'orders'; its aggregates are: counter-local"
    )
