#!/usr/bin/env bash
# Set up a virtualenv and run Chainsight's main job: `chainsight demo` (collector, dashboard
# and a support bot's traffic on the embedded DuckDB; docs/demo.md). Arguments go to the
# demo, e.g. `scripts/run.sh --duration 60 --exit`. Needs only Python 3.11+ on a fresh machine.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3.11}
command -v "$PY" >/dev/null 2>&1 || PY=python3
if ! "$PY" -c 'import sys; sys.exit(sys.version_info < (3, 11))'; then
  echo "Chainsight needs Python 3.11 or newer ($PY is $("$PY" -V 2>&1)); set PYTHON=..." >&2
  exit 1
fi
if [ ! -x .venv/bin/python ]; then
  "$PY" -m venv .venv
fi
.venv/bin/python -m pip install -q --upgrade pip
.venv/bin/python -m pip install -q -e ".[server,demo]"
exec .venv/bin/chainsight demo "$@"
