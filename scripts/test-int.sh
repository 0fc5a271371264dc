#!/usr/bin/env bash
# Runs every `*.server.int.spec.ts` (jest project int-servers) against real servers:
# brings them up (scripts/infra/infra.sh), exports .infra/env, runs the specs, and brings the
# servers down again, also when the specs fail or the run is interrupted. Exits with the specs'
# status. Extra arguments go to jest (e.g. a path to run one spec).
set -uo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

down() {
  local status=$?
  trap - EXIT INT TERM
  echo "[test-int] bringing the servers down" >&2
  bash scripts/infra/infra.sh down >&2 || echo "[test-int] infra down reported a problem (see .infra/logs)" >&2
  exit "$status"
}
trap down EXIT
# A signal interrupts `wait` at once (it would wait for a foreground child); the child is stopped
# too, and the EXIT trap then brings the servers down.
tests_pid=''
on_signal() {
  if [[ -n "$tests_pid" ]]; then
    pkill -TERM -P "$tests_pid" 2>/dev/null # jest's workers
    kill -TERM "$tests_pid" 2>/dev/null
  fi
  exit "$1"
}
trap 'on_signal 130' INT
trap 'on_signal 143' TERM

bash scripts/infra/infra.sh up || exit $?

set -a
# shellcheck source=/dev/null
source .infra/env
set +a

# The jest binary itself (not npx, which would not pass a signal on), so that it can be stopped.
node_modules/.bin/jest --selectProjects int-servers "$@" &
tests_pid=$!
wait "$tests_pid"
