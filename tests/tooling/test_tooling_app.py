"""Finding the APP: argument, then ``[tool.walnats] app``, then ``WALNATS_APP``."""

from __future__ import annotations

import sys
import uuid
from pathlib import Path

import pytest

import walnats
from tooling._app import AppError, AppSpec, load_app, resolve_app


def pyproject(folder: Path, app: str) -> Path:
    """Write a pyproject.toml with ``[tool.walnats] app`` into *folder*."""
    (folder / "pyproject.toml").write_text(f'[tool.walnats]\napp = "{app}"\n', encoding="utf-8")
    return folder


def test_resolve__argument_first(tmp_path: Path) -> None:
    """The argument wins over pyproject.toml and the environment."""
    spec = resolve_app("a.b:c", cwd=pyproject(tmp_path, "x:y"), environ={"WALNATS_APP": "e:f"})
    assert spec == AppSpec("a.b", "c", "argument")


def test_resolve__pyproject_then_environment(tmp_path: Path) -> None:
    """Without an argument pyproject.toml is read; without that, WALNATS_APP."""
    environ = {"WALNATS_APP": "env.mod:services"}
    assert str(resolve_app(None, cwd=tmp_path, environ=environ)) == "env.mod:services"
    pyproject(tmp_path, "conf.mod:services")
    spec = resolve_app(None, cwd=tmp_path, environ=environ)
    assert (str(spec), spec.source) == ("conf.mod:services", "pyproject.toml [tool.walnats] app")


def test_resolve__nothing_configured(tmp_path: Path) -> None:
    """No APP anywhere: the error names all three ways to give one."""
    with pytest.raises(AppError) as caught:
        resolve_app(None, cwd=tmp_path, environ={})
    assert str(caught.value) == (
        "no APP given: pass module:attribute (e.g. myapp.main:services), set app = "
        '"myapp.main:services" under [tool.walnats] in pyproject.toml, or set WALNATS_APP'
    )


@pytest.mark.parametrize("text", ["services", "mod:", ":services"])
def test_resolve__malformed(text: str, tmp_path: Path) -> None:
    """module:attribute, both parts required."""
    with pytest.raises(AppError, match=r"must be module:attribute, e\.g\. 'myapp\.main:services'"):
        resolve_app(text, cwd=tmp_path, environ={})


def test_resolve__broken_pyproject(tmp_path: Path) -> None:
    """An unreadable pyproject.toml is reported, not ignored."""
    (tmp_path / "pyproject.toml").write_text("[tool.walnats\n", encoding="utf-8")
    with pytest.raises(AppError, match=r"^cannot read .*pyproject\.toml: .*pass APP explicitly$"):
        resolve_app(None, cwd=tmp_path, environ={})


def module(folder: Path, source: str) -> str:
    """Write a uniquely named module into *folder*; return its name."""
    name = f"tooling_app_{uuid.uuid4().hex[:8]}"
    (folder / f"{name}.py").write_text(source, encoding="utf-8")
    return name


def test_load__current_directory_is_importable(tmp_path: Path) -> None:
    """The app module is found in the current directory, and a dotted attribute works."""
    name = module(
        tmp_path,
        "import walnats\nclass Holder:\n    services = walnats.Services()\n",
    )
    try:
        services, spec = load_app(f"{name}:Holder.services", cwd=tmp_path)
    finally:
        sys.modules.pop(name, None)
    assert isinstance(services, walnats.Services)
    assert spec.attribute == "Holder.services"


def test_load__errors(tmp_path: Path) -> None:
    """Missing module, missing attribute, wrong type, and a module that raises."""
    with pytest.raises(AppError) as caught:
        load_app("no_such_module_xyz:services", cwd=tmp_path)
    assert str(caught.value) == (
        "cannot import module 'no_such_module_xyz' (APP 'no_such_module_xyz:services' from "
        "argument): no module named 'no_such_module_xyz'. Run walnats from your project's "
        "root directory or add the module's folder to PYTHONPATH"
    )
    name = module(tmp_path, "import walnats\nevents = walnats.Events()\nraise_me = 1\n")
    try:
        with pytest.raises(AppError, match=rf"^module '{name}' has no attribute 'nope'"):
            load_app(f"{name}:nope", cwd=tmp_path)
        with pytest.raises(AppError, match=r"is a Events, not a walnats\.Services"):
            load_app(f"{name}:events", cwd=tmp_path)
    finally:
        sys.modules.pop(name, None)
    failing = module(tmp_path, "import missing_dependency_xyz\n")
    with pytest.raises(AppError) as caught:
        load_app(f"{failing}:services", cwd=tmp_path)
    assert str(caught.value) == (
        f"importing '{failing}' (APP '{failing}:services') raised ModuleNotFoundError: "
        "No module named 'missing_dependency_xyz'. Fix the module; run with --debug for "
        "the traceback"
    )
