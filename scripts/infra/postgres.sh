# PostgreSQL for integration tests (sourced by infra.sh).
#
# Uses the machine's server when one answers on 127.0.0.1:$EDDY_INFRA_POSTGRES_PORT (default 5432);
# otherwise starts a private cluster from Debian's binaries (/usr/lib/postgresql/*/bin) in a
# temporary folder. Either way `up` creates a fresh database eddy_test_<timestamp> and `down`
# drops it (and stops the private cluster).

PG_PORT="${EDDY_INFRA_POSTGRES_PORT:-5432}"
PG_USER="${EDDY_INFRA_POSTGRES_USER:-postgres}"

pg_bin_dir() {
  local dir
  dir="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)"
  [[ -n "$dir" && -x "$dir/initdb" && -x "$dir/pg_ctl" ]] && echo "$dir"
}

pg_ready() { pg_isready -q -h "$INFRA_HOST" -p "$PG_PORT" -U "$PG_USER" >/dev/null 2>&1; }

pg_psql() { psql -X -q -v ON_ERROR_STOP=1 -h "$INFRA_HOST" -p "$PG_PORT" -U "$PG_USER" -d postgres "$@"; }

# Postgres refuses to run as root: the private cluster then runs as the `postgres` user.
pg_as_owner() {
  if [[ "$(id -u)" == 0 ]]; then
    runuser -u postgres -- "$@"
  else
    "$@"
  fi
}

pg_start_private() {
  local bin datadir
  bin="$(pg_bin_dir)" || {
    echo "no server answers on $INFRA_HOST:$PG_PORT and no PostgreSQL binaries in /usr/lib/postgresql/*/bin (apt-get install postgresql)"
    return 1
  }
  if port_open "$PG_PORT"; then
    echo "port $PG_PORT is taken by a process that does not answer as PostgreSQL (set EDDY_INFRA_POSTGRES_PORT)"
    return 1
  fi
  datadir="$(mktemp -d /tmp/eddy-infra-postgres.XXXXXX)"
  [[ "$(id -u)" == 0 ]] && chown postgres: "$datadir"
  echo "$datadir" >"$INFRA_RUN/postgres.datadir"
  log "postgres: no server on $INFRA_HOST:$PG_PORT, starting a private cluster in $datadir"
  if ! pg_as_owner "$bin/initdb" -D "$datadir/data" -U "$PG_USER" -A trust -E UTF8 >>"$INFRA_LOGS/postgres.log" 2>&1; then
    echo "initdb failed: $(last_log_lines postgres)"
    return 1
  fi
  if ! pg_as_owner "$bin/pg_ctl" -D "$datadir/data" -l "$datadir/server.log" -w -t 60 \
    -o "-h $INFRA_HOST -p $PG_PORT -k $datadir" start >>"$INFRA_LOGS/postgres.log" 2>&1; then
    echo "pg_ctl start failed: $(tail -n 5 "$datadir/server.log" 2>/dev/null | tr '\n' ' ')"
    return 1
  fi
  # The postmaster's pid is the first line of postmaster.pid.
  head -n 1 "$datadir/data/postmaster.pid" >"$INFRA_RUN/postgres.pid"
}

postgres_up() {
  local db reason
  if ! command -v psql >/dev/null 2>&1 || ! command -v pg_isready >/dev/null 2>&1; then
    mark_unavailable postgres "the PostgreSQL client tools (psql, pg_isready) are not installed (apt-get install postgresql-client)"
    return
  fi
  if [[ -f "$INFRA_RUN/postgres.db" ]] && pg_ready; then
    db="$(cat "$INFRA_RUN/postgres.db")"
    if pg_psql -tAc "SELECT 1 FROM pg_database WHERE datname = '$db'" | grep -q 1; then
      log "postgres: already up, database $db"
      mark_up postgres "$INFRA_HOST:$PG_PORT database $db"
      return
    fi
  fi
  if ! pg_ready; then
    if ! reason="$(pg_start_private)"; then
      mark_unavailable postgres "$reason"
      return
    fi
  fi
  if ! wait_for postgres 60 pg_ready; then
    mark_unavailable postgres "no answer on $INFRA_HOST:$PG_PORT within 60s"
    return
  fi
  db="eddy_test_$(date +%Y%m%d%H%M%S)_$$"
  if ! pg_psql -c "CREATE DATABASE $db" >>"$INFRA_LOGS/postgres.log" 2>&1; then
    mark_unavailable postgres "CREATE DATABASE $db failed as user $PG_USER: $(last_log_lines postgres 2)"
    return
  fi
  echo "$db" >"$INFRA_RUN/postgres.db"
  echo "EDDY_TEST_POSTGRES_URL=postgres://$PG_USER@$INFRA_HOST:$PG_PORT/$db" >"$INFRA_RUN/postgres.env"
  mark_up postgres "$INFRA_HOST:$PG_PORT database $db$([[ -f "$INFRA_RUN/postgres.pid" ]] && echo ' (private cluster)')"
}

postgres_down() {
  local db datadir bin
  if [[ -f "$INFRA_RUN/postgres.db" ]]; then
    db="$(cat "$INFRA_RUN/postgres.db")"
    if pg_ready; then
      log "postgres: dropping database $db"
      pg_psql -c "DROP DATABASE IF EXISTS $db WITH (FORCE)" >>"$INFRA_LOGS/postgres.log" 2>&1 ||
        log "postgres: could not drop $db (see .infra/logs/postgres.log)"
    fi
    rm -f "$INFRA_RUN/postgres.db"
  fi
  if [[ -f "$INFRA_RUN/postgres.datadir" ]]; then
    datadir="$(cat "$INFRA_RUN/postgres.datadir")"
    bin="$(pg_bin_dir)"
    if [[ -n "$bin" && -f "$datadir/data/postmaster.pid" ]]; then
      log "postgres: stopping the private cluster in $datadir"
      pg_as_owner "$bin/pg_ctl" -D "$datadir/data" -m fast -w stop >>"$INFRA_LOGS/postgres.log" 2>&1 || true
    fi
    stop_pid postgres 10
    case "$datadir" in /tmp/eddy-infra-postgres.*) rm -rf "$datadir" ;; esac
    rm -f "$INFRA_RUN/postgres.datadir"
  fi
  rm -f "$INFRA_RUN/postgres.pid" "$INFRA_RUN/postgres.env" "$INFRA_RUN/postgres.state"
}

postgres_status() {
  if [[ -f "$INFRA_RUN/postgres.db" ]] && pg_ready; then
    echo "postgres  up    $INFRA_HOST:$PG_PORT  database $(cat "$INFRA_RUN/postgres.db")$([[ -f "$INFRA_RUN/postgres.datadir" ]] && echo "  private cluster $(cat "$INFRA_RUN/postgres.datadir")")"
  else
    status_not_up postgres
  fi
}
