# Sourced by scripts/*: create .venv with Python >= 3.11 when missing, install the project.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

find_python() {
    for candidate in "${PYTHON:-}" python3.13 python3.12 python3.11 python3; do
        [ -n "$candidate" ] || continue
        if command -v "$candidate" >/dev/null 2>&1 &&
            "$candidate" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
            echo "$candidate"
            return 0
        fi
    done
    echo "error: walnats needs Python 3.11 or newer; set PYTHON=/path/to/python3.11" >&2
    return 1
}

if [ ! -x .venv/bin/python ]; then
    python=$(find_python)
    echo "creating .venv with $python" >&2
    "$python" -m venv .venv
    .venv/bin/python -m pip install --quiet --upgrade pip
fi
# Re-run the install only when the project metadata changed since the last one.
stamp=.venv/.walnats-installed
if [ ! -f "$stamp" ] || [ pyproject.toml -nt "$stamp" ]; then
    echo "installing walnats[${WALNATS_EXTRAS:-dev}] into .venv" >&2
    .venv/bin/python -m pip install --quiet -e ".[${WALNATS_EXTRAS:-dev}]"
    touch "$stamp"
fi
