#!/bin/bash
# The container's entry point.
#   (no arguments) or options only  ->  wabbit run --host $WABBIT_HOST --port $WABBIT_PORT
#                                        --data-dir /var/lib/wabbit [options]
#   a command (simulate, config, ...) ->  wabbit COMMAND ...
set -euo pipefail
if [ "$#" -eq 0 ] || [ "${1#-}" != "$1" ]; then
  exec wabbit run --host "${WABBIT_HOST:-0.0.0.0}" --port "${WABBIT_PORT:-8080}" \
    --data-dir /var/lib/wabbit "$@"
fi
exec wabbit "$@"
