#!/usr/bin/env bash
# Real servers for Eddy's `*.server.int.spec.ts` tests, on 127.0.0.1, without Docker.
#
#   bash scripts/infra/infra.sh up     [server...]   start (or keep) the servers, write .infra/env
#   bash scripts/infra/infra.sh down   [server...]   stop what `up` started, drop the test database
#   bash scripts/infra/infra.sh status               what runs where, and why a server is missing
#   bash scripts/infra/infra.sh restart kafka        stop the broker and start it again on its data
#
# Servers: postgres, kafka, mongo (all by default). A server that cannot be had is
# reported with the reason (here, in .infra/status and as EDDY_TEST_<NAME>_UNAVAILABLE in
# .infra/env) and the others still start; `up` exits 0 so that the tests run and fail loudly
# with that reason. Ports and the like: docs/real-servers.md.
set -uo pipefail

SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=lib.sh
source "$SCRIPT_DIR/lib.sh"
# shellcheck source=postgres.sh
source "$SCRIPT_DIR/postgres.sh"
# shellcheck source=kafka.sh
source "$SCRIPT_DIR/kafka.sh"
# shellcheck source=mongo.sh
source "$SCRIPT_DIR/mongo.sh"

ALL_SERVERS=(postgres kafka mongo)

selected_servers() {
  local name known
  if (($# == 0)); then
    echo "${ALL_SERVERS[@]}"
    return
  fi
  for name in "$@"; do
    known=0
    for s in "${ALL_SERVERS[@]}"; do [[ "$s" == "$name" ]] && known=1; done
    if ((known == 0)); then
      log "unknown server '$name' (known: ${ALL_SERVERS[*]})"
      exit 2
    fi
  done
  echo "$@"
}

# One env file and one status file for all servers, rebuilt from the per-server records.
write_env_and_status() {
  local name
  {
    echo "# Written by scripts/infra/infra.sh up at $(date -u +%Y-%m-%dT%H:%M:%SZ); source it before the server tests."
    for name in "${ALL_SERVERS[@]}"; do
      if [[ -f "$INFRA_RUN/$name.env" ]]; then
        cat "$INFRA_RUN/$name.env"
      else
        echo "EDDY_TEST_$(echo "$name" | tr '[:lower:]' '[:upper:]')_UNAVAILABLE=$(env_quote "not started: run npm run infra:up")"
      fi
    done
  } >"$INFRA_DIR/env"
  status >"$INFRA_DIR/status"
}

status() {
  local name
  for name in "${ALL_SERVERS[@]}"; do "${name}_status"; done
}

cmd="${1:-status}"
shift || true
case "$cmd" in
  up)
    for name in $(selected_servers "$@"); do "${name}_up"; done
    write_env_and_status
    echo
    cat "$INFRA_DIR/status"
    echo
    echo "Connection settings: $INFRA_DIR/env   Logs: $INFRA_LOGS/"
    ;;
  down)
    for name in $(selected_servers "$@"); do "${name}_down"; done
    write_env_and_status
    cat "$INFRA_DIR/status"
    ;;
  status)
    status
    ;;
  restart)
    # Only the broker can be restarted with its data: the MongoDB-compatible server keeps its in
    # memory, and PostgreSQL may be the machine's own.
    if [[ "$*" != "kafka" ]]; then
      echo "usage: $0 restart kafka" >&2
      exit 2
    fi
    kafka_restart || exit 1
    write_env_and_status
    ;;
  *)
    echo "usage: $0 up|down|status|restart [postgres|kafka|mongo ...]" >&2
    exit 2
    ;;
esac
