"""Finding the application: the ``APP`` argument of ``walnats run``, ``graph`` and friends.

APP is ``module:attribute`` naming a :class:`walnats.Services`. The first of these
wins: the argument, ``app = "..."`` under ``[tool.walnats]`` in ``./pyproject.toml``,
then the ``WALNATS_APP`` environment variable. The current directory goes on
``sys.path`` first, as ``python -m`` would do, so ``walnats run shop.app:services``
works from the project root without installing the project.
"""

from __future__ import annotations

import importlib
import os
import sys
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from walnats import Services, WalnatsError

__all__ = ["AppError", "AppSpec", "load_app", "resolve_app"]

ENV_VAR = "WALNATS_APP"
_EXAMPLE = "myapp.main:services"


class AppError(WalnatsError):
    """The APP could not be found, imported, or is not a ``walnats.Services``."""


@dataclass(frozen=True)
class AppSpec:
    """Where the app is, and where that was said (for error messages)."""

    module: str
    attribute: str
    source: str
    """``argument``, ``pyproject.toml [tool.walnats] app`` or ``WALNATS_APP``."""

    def __str__(self) -> str:
        return f"{self.module}:{self.attribute}"


def resolve_app(
    argument: str | None,
    *,
    cwd: Path | None = None,
    environ: Mapping[str, str] | None = None,
) -> AppSpec:
    """Which APP to load: the argument, else pyproject.toml, else ``WALNATS_APP``.

    Raises:
        AppError: none of them names an app, or the one that does is malformed.
    """
    cwd = Path.cwd() if cwd is None else cwd
    environ = os.environ if environ is None else environ
    if argument:
        return _parse(argument, "argument")
    configured = _from_pyproject(cwd / "pyproject.toml")
    if configured:
        return _parse(configured, "pyproject.toml [tool.walnats] app")
    if environ.get(ENV_VAR):
        return _parse(environ[ENV_VAR], ENV_VAR)
    raise AppError(
        f"no APP given: pass module:attribute (e.g. {_EXAMPLE}), set app = "
        f'"{_EXAMPLE}" under [tool.walnats] in pyproject.toml, or set {ENV_VAR}'
    )


def load_app(argument: str | None = None, *, cwd: Path | None = None) -> tuple[Services, AppSpec]:
    """Import the app's :class:`walnats.Services`; return it with where it came from.

    Raises:
        AppError: the APP is missing or malformed, its module cannot be imported or
            raises, the attribute does not exist, or it is not a ``Services``.
    """
    cwd = Path.cwd() if cwd is None else cwd
    spec = resolve_app(argument, cwd=cwd)
    if str(cwd) not in sys.path:
        sys.path.insert(0, str(cwd))
    module = _import(spec)
    value: object = module
    for name in spec.attribute.split("."):
        try:
            value = getattr(value, name)
        except AttributeError:
            raise AppError(
                f"module {spec.module!r} has no attribute {spec.attribute!r} (APP {str(spec)!r} "
                f"from {spec.source}); point APP at your walnats.Services object"
            ) from None
    if not isinstance(value, Services):
        raise AppError(
            f"APP {str(spec)!r} is a {type(value).__qualname__}, not a walnats.Services; "
            f"point APP at the registry built with walnats.Services()"
        )
    return value, spec


def _parse(text: str, source: str) -> AppSpec:
    module, colon, attribute = text.strip().partition(":")
    if not colon or not module or not attribute:
        raise AppError(f"APP {text!r} (from {source}) must be module:attribute, e.g. {_EXAMPLE!r}")
    return AppSpec(module, attribute, source)


def _from_pyproject(path: Path) -> str | None:
    if not path.is_file():
        return None
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise AppError(f"cannot read {path}: {exc}; fix it or pass APP explicitly") from None
    value = data.get("tool", {}).get("walnats", {}).get("app")
    if value is None:
        return None
    if not isinstance(value, str):
        raise AppError(f"{path}: [tool.walnats] app must be a string like {_EXAMPLE!r}")
    return value


def _import(spec: AppSpec) -> object:
    try:
        return importlib.import_module(spec.module)
    except ModuleNotFoundError as exc:
        missing = exc.name or ""
        if spec.module == missing or spec.module.startswith(missing + "."):
            raise AppError(
                f"cannot import module {spec.module!r} (APP {str(spec)!r} from {spec.source}): "
                f"no module named {missing!r}. Run walnats from your project's root "
                f"directory or add the module's folder to PYTHONPATH"
            ) from None
        raise _import_failed(spec, exc) from exc
    except Exception as exc:
        raise _import_failed(spec, exc) from exc


def _import_failed(spec: AppSpec, exc: Exception) -> AppError:
    return AppError(
        f"importing {spec.module!r} (APP {str(spec)!r}) raised {type(exc).__name__}: {exc}. "
        f"Fix the module; run with --debug for the traceback"
    )
