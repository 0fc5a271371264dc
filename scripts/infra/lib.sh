# Shared helpers for scripts/infra/*.sh (sourced, never run on its own).
#
# Layout inside the repository (git-ignored, the only place these scripts write in the tree):
#   .infra/logs/<server>.log   what each server prints
#   .infra/run/<server>.pid    the server's process id (only for servers these scripts started)
#   .infra/run/<server>.env    its connection settings, gathered into .infra/env by `up`
#   .infra/run/<server>.state  "up <summary>" or "unavailable <reason>"
#   .infra/data/<server>/      its data, thrown away by `down`
# Downloads are cached outside the repository: ~/.m2 (Maven) and ~/.cache/eddy-infra.

INFRA_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
INFRA_DIR="$INFRA_ROOT/.infra"
INFRA_LOGS="$INFRA_DIR/logs"
INFRA_RUN="$INFRA_DIR/run"
INFRA_DATA="$INFRA_DIR/data"
INFRA_CACHE="${EDDY_INFRA_CACHE:-$HOME/.cache/eddy-infra}"
INFRA_HOST=127.0.0.1

# Kafka and the MongoDB-compatible server run on the default java.
INFRA_JAVA17="${EDDY_INFRA_JAVA:-java}"

mkdir -p "$INFRA_LOGS" "$INFRA_RUN" "$INFRA_DATA"

log() { printf '[infra] %s\n' "$*" >&2; }

# port_open PORT: true when something accepts TCP connections on 127.0.0.1:PORT.
port_open() { (exec 3<>"/dev/tcp/$INFRA_HOST/$1") 2>/dev/null; }

# pid_alive NAME: true when .infra/run/NAME.pid names a running process.
pid_alive() {
  local file="$INFRA_RUN/$1.pid"
  [[ -f "$file" ]] && kill -0 "$(cat "$file")" 2>/dev/null
}

# stop_pid NAME [GRACE_SECONDS]: stops the process in .infra/run/NAME.pid (TERM, then KILL).
stop_pid() {
  local name="$1" grace="${2:-30}" file="$INFRA_RUN/$1.pid" pid i
  [[ -f "$file" ]] || return 0
  pid="$(cat "$file")"
  if kill -0 "$pid" 2>/dev/null; then
    log "$name: stopping pid $pid"
    kill -TERM "$pid" 2>/dev/null || true
    for ((i = 0; i < grace * 2; i++)); do
      kill -0 "$pid" 2>/dev/null || break
      sleep 0.5
    done
    if kill -0 "$pid" 2>/dev/null; then
      log "$name: pid $pid did not stop within ${grace}s, killing it"
      kill -KILL "$pid" 2>/dev/null || true
    fi
  fi
  rm -f "$file"
}

# spawn NAME COMMAND...: starts COMMAND detached (own session, so a Ctrl-C in the calling
# terminal does not reach it), output to .infra/logs/NAME.log, pid to .infra/run/NAME.pid.
spawn() {
  local name="$1"
  shift
  : >"$INFRA_LOGS/$name.log"
  setsid "$@" >>"$INFRA_LOGS/$name.log" 2>&1 </dev/null &
  echo $! >"$INFRA_RUN/$name.pid"
}

# wait_for NAME SECONDS CHECK...: runs CHECK every second until it succeeds; fails early when
# the server's process has died.
wait_for() {
  local name="$1" seconds="$2" i
  shift 2
  for ((i = 0; i < seconds; i++)); do
    if "$@"; then return 0; fi
    if [[ -f "$INFRA_RUN/$name.pid" ]] && ! pid_alive "$name"; then
      return 1
    fi
    sleep 1
  done
  return 1
}

# mark_up NAME SUMMARY / mark_unavailable NAME REASON: record the outcome of `up` for NAME.
mark_up() {
  local name="$1"
  shift
  echo "up $*" >"$INFRA_RUN/$name.state"
  log "$name: up ($*)"
}
mark_unavailable() {
  local name="$1" upper
  shift
  upper="$(echo "$name" | tr '[:lower:]' '[:upper:]')"
  echo "unavailable $*" >"$INFRA_RUN/$name.state"
  echo "EDDY_TEST_${upper}_UNAVAILABLE=$(env_quote "$*")" >"$INFRA_RUN/$name.env"
  log "$name: UNAVAILABLE: $*"
}

# The status line of a server that is not up: UNAVAILABLE with the reason mark_unavailable gave, or down.
status_not_up() {
  local name=$1
  if [[ -f "$INFRA_RUN/$name.state" ]] && grep -q '^unavailable' "$INFRA_RUN/$name.state"; then
    printf '%-10sUNAVAILABLE  %s\n' "$name" "$(cut -d' ' -f2- "$INFRA_RUN/$name.state")"
  else
    printf '%-10sdown\n' "$name"
  fi
}

# env_quote VALUE: a value safe to `source` from .infra/env.
env_quote() { printf "'%s'" "${1//\'/\'\\\'\'}"; }

# last_log_lines NAME: the end of a server's log, for error messages.
last_log_lines() { tail -n "${2:-5}" "$INFRA_LOGS/$1.log" 2>/dev/null | tr '\n' ' ' | cut -c1-400; }

# maven_fetch NAME POM DEST [EXTRA MAVEN ARGS]: copies the dependencies of POM into DEST, once
# per version of POM (a marker keeps its checksum). Maven caches the downloads in ~/.m2.
maven_fetch() {
  local name="$1" pom="$2" dest="$3" sum
  shift 3
  sum="$(sha256sum "$pom" | cut -c1-16)"
  if [[ -f "$dest/.eddy-fetched" && "$(cat "$dest/.eddy-fetched")" == "$sum" ]]; then
    return 0
  fi
  if ! command -v mvn >/dev/null 2>&1; then
    echo "mvn (Apache Maven) is not installed"
    return 1
  fi
  log "$name: fetching $(basename "$(dirname "$pom")")/pom.xml dependencies with Maven (first time only; cached in ~/.m2)"
  rm -rf "$dest"
  mkdir -p "$dest"
  if ! mvn -B -q -f "$pom" dependency:copy-dependencies -DoutputDirectory="$dest" "$@" >>"$INFRA_LOGS/$name.maven.log" 2>&1; then
    echo "Maven could not resolve $pom (see .infra/logs/$name.maven.log)"
    return 1
  fi
  echo "$sum" >"$dest/.eddy-fetched"
}
