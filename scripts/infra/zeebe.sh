# Camunda 8 (Zeebe) for integration tests (sourced by infra.sh).
#
# The io.camunda:camunda-zeebe distribution (infra/zeebe/pom.xml) is resolved by Maven, unpacked
# under ~/.cache/eddy-infra and started as one broker with its embedded gateway (gRPC and REST v2),
# on a Java 21+ runtime, without authentication. Eddy's exporter (infra/zeebe/exporter, built here with
# Maven) appends the user-task and process-instance events to .infra/data/zeebe-export/records.jsonl
# (EDDY_TEST_ZEEBE_EXPORT_FILE), which is how tests observe user tasks without Elasticsearch. Its data
# lives under .infra/data/zeebe and .infra/data/zeebe-export and is thrown away by `down`.

ZEEBE_GRPC_PORT="${EDDY_INFRA_ZEEBE_GRPC_PORT:-26500}"
ZEEBE_REST_PORT="${EDDY_INFRA_ZEEBE_REST_PORT:-8080}"
ZEEBE_COMMAND_PORT="${EDDY_INFRA_ZEEBE_COMMAND_PORT:-26501}"
ZEEBE_INTERNAL_PORT="${EDDY_INFRA_ZEEBE_INTERNAL_PORT:-26502}"
ZEEBE_MANAGEMENT_PORT="${EDDY_INFRA_ZEEBE_MANAGEMENT_PORT:-9600}"
ZEEBE_HEAP="${EDDY_INFRA_ZEEBE_HEAP:-768m}"
ZEEBE_POM="$INFRA_ROOT/infra/zeebe/pom.xml"
ZEEBE_VERSION="$(sed -n 's:.*<zeebe.version>\(.*\)</zeebe.version>.*:\1:p' "$ZEEBE_POM")"
ZEEBE_HOME="$INFRA_CACHE/camunda-zeebe-$ZEEBE_VERSION"
ZEEBE_EXPORTER_SRC="$INFRA_ROOT/infra/zeebe/exporter"
ZEEBE_EXPORT_FILE="$INFRA_DATA/zeebe-export/records.jsonl"
# The distributions of 8.7 and later are not on Maven Central; 8.6's standalone broker serves the
# REST v2 commands (deploy, create instance, complete user task) but no search endpoints, which
# need Elasticsearch/OpenSearch (8.6-8.8) or the RDBMS secondary storage (8.9+).
ZEEBE_SEARCH_GAP="Camunda $ZEEBE_VERSION (the newest io.camunda:camunda-zeebe distribution on Maven Central) serves no REST v2 search endpoints such as POST /v2/user-tasks/search without Elasticsearch/OpenSearch; the H2/RDBMS secondary storage needs 8.9, whose distribution Maven Central does not hold"

zeebe_ready() {
  curl -fsS --max-time 5 "http://$INFRA_HOST:$ZEEBE_REST_PORT/v2/topology" 2>/dev/null |
    grep -q '"role":"leader","health":"healthy"'
}

zeebe_install() {
  local download="$INFRA_CACHE/camunda-zeebe-$ZEEBE_VERSION-download" reason
  [[ -x "$ZEEBE_HOME/bin/broker" && -d "$ZEEBE_HOME/lib" ]] && return 0
  if ! reason="$(maven_fetch zeebe "$ZEEBE_POM" "$download")"; then
    echo "$reason"
    return 1
  fi
  log "zeebe: unpacking camunda-zeebe-$ZEEBE_VERSION.tar.gz into $INFRA_CACHE"
  rm -rf "$ZEEBE_HOME.tmp"
  mkdir -p "$ZEEBE_HOME.tmp"
  if ! tar -xzf "$download/camunda-zeebe-$ZEEBE_VERSION.tar.gz" -C "$ZEEBE_HOME.tmp" --strip-components=1; then
    echo "could not unpack $download/camunda-zeebe-$ZEEBE_VERSION.tar.gz"
    return 1
  fi
  rm -rf "$ZEEBE_HOME"
  mv "$ZEEBE_HOME.tmp" "$ZEEBE_HOME"
  # The unpacked distribution is all we keep; Maven keeps the archive in ~/.m2.
  rm -rf "$download"
}

# zeebe_exporter_jar: builds infra/zeebe/exporter with Maven (release 21, on the Java 21+ JDK) into
# ~/.cache/eddy-infra/zeebe-exporter-<checksum of its sources>, once per change; prints the jar's path,
# or the reason it could not be built.
zeebe_exporter_jar() {
  local sum dir jar
  sum="$(cd "$ZEEBE_EXPORTER_SRC" && find pom.xml src -type f -print0 | sort -z | xargs -0 sha256sum | sha256sum | cut -c1-16)"
  dir="$INFRA_CACHE/zeebe-exporter-$sum"
  jar="$dir/eddy-zeebe-exporter.jar"
  if [[ -f "$jar" ]]; then
    echo "$jar"
    return 0
  fi
  if ! command -v mvn >/dev/null 2>&1; then
    echo "mvn (Apache Maven) is not installed, so the exporter (infra/zeebe/exporter) cannot be built"
    return 1
  fi
  log "zeebe: building the exporter infra/zeebe/exporter with Maven (once per change; cached in $dir)"
  rm -rf "$dir.tmp"
  if ! JAVA_HOME="$INFRA_JAVA_HOME_21" mvn -B -q -f "$ZEEBE_EXPORTER_SRC/pom.xml" package \
    -Deddy.buildDirectory="$dir.tmp" >>"$INFRA_LOGS/zeebe.maven.log" 2>&1 ||
    [[ ! -f "$dir.tmp/eddy-zeebe-exporter.jar" ]]; then
    echo "Maven could not build the exporter infra/zeebe/exporter (see .infra/logs/zeebe.maven.log)"
    return 1
  fi
  rm -rf "$dir"
  mv "$dir.tmp" "$dir"
  echo "$jar"
}

# zeebe_runs_exporter JAR: true when the running broker loaded this exporter jar (a broker started
# by an older script, or before the exporter changed, is restarted instead of reused).
zeebe_runs_exporter() {
  [[ -f "$INFRA_RUN/zeebe.exporter" && "$(cat "$INFRA_RUN/zeebe.exporter")" == "$1" ]] &&
    grep -q 'EDDY-EXPORTER-003' "$INFRA_LOGS/zeebe.log" 2>/dev/null
}

zeebe_up() {
  local reason port jar
  if [[ -z "$INFRA_JAVA_HOME_21" ]]; then
    mark_unavailable zeebe "Camunda $ZEEBE_VERSION needs Java 21+; none found in /usr/lib/jvm (set EDDY_INFRA_JAVA21_HOME)"
    return
  fi
  if ! jar="$(zeebe_exporter_jar)"; then
    mark_unavailable zeebe "$jar"
    return
  fi
  if pid_alive zeebe && zeebe_ready && zeebe_runs_exporter "$jar"; then
    log "zeebe: already up"
    zeebe_write_env
    mark_up zeebe "$(zeebe_summary)"
    return
  fi
  if pid_alive zeebe; then
    log "zeebe: the running broker does not run the current exporter (or is unhealthy): restarting it"
  fi
  stop_pid zeebe 30
  for port in "$ZEEBE_GRPC_PORT" "$ZEEBE_REST_PORT" "$ZEEBE_COMMAND_PORT" "$ZEEBE_INTERNAL_PORT" "$ZEEBE_MANAGEMENT_PORT"; do
    if port_open "$port"; then
      mark_unavailable zeebe "port $port is taken by another process (set EDDY_INFRA_ZEEBE_*_PORT)"
      return
    fi
  done
  if ! reason="$(zeebe_install)"; then
    mark_unavailable zeebe "camunda-zeebe $ZEEBE_VERSION: $reason"
    return
  fi
  rm -rf "$INFRA_DATA/zeebe" "$INFRA_DATA/zeebe-export"
  mkdir -p "$INFRA_DATA/zeebe" "$INFRA_DATA/zeebe-export"
  echo "$jar" >"$INFRA_RUN/zeebe.exporter"
  log "zeebe: starting Camunda $ZEEBE_VERSION broker (gRPC $ZEEBE_GRPC_PORT, REST $ZEEBE_REST_PORT) with $INFRA_JAVA_HOME_21"
  spawn zeebe env \
    ZEEBE_BROKER_DATA_DIRECTORY="$INFRA_DATA/zeebe" \
    ZEEBE_BROKER_NETWORK_HOST="$INFRA_HOST" \
    ZEEBE_BROKER_NETWORK_ADVERTISEDHOST="$INFRA_HOST" \
    ZEEBE_BROKER_NETWORK_COMMANDAPI_PORT="$ZEEBE_COMMAND_PORT" \
    ZEEBE_BROKER_NETWORK_INTERNALAPI_PORT="$ZEEBE_INTERNAL_PORT" \
    ZEEBE_BROKER_GATEWAY_NETWORK_HOST="$INFRA_HOST" \
    ZEEBE_BROKER_GATEWAY_NETWORK_PORT="$ZEEBE_GRPC_PORT" \
    SERVER_ADDRESS="$INFRA_HOST" \
    SERVER_PORT="$ZEEBE_REST_PORT" \
    MANAGEMENT_SERVER_ADDRESS="$INFRA_HOST" \
    MANAGEMENT_SERVER_PORT="$ZEEBE_MANAGEMENT_PORT" \
    EDDY_ZEEBE_EXPORTER_JAR="$jar" \
    EDDY_ZEEBE_EXPORT_FILE="$ZEEBE_EXPORT_FILE" \
    "$INFRA_JAVA_HOME_21/bin/java" -Xms256m -Xmx"$ZEEBE_HEAP" -XX:MaxDirectMemorySize=256m \
    -XX:+ExitOnOutOfMemoryError -Dfile.encoding=UTF-8 --enable-native-access=ALL-UNNAMED \
    -Dspring.config.additional-location="file:$INFRA_ROOT/infra/zeebe/application.yaml" \
    -Dapp.name=broker -Dapp.home="$ZEEBE_HOME" -Dapp.repo="$ZEEBE_HOME/lib" \
    -cp "$ZEEBE_HOME/config:$ZEEBE_HOME/lib/*" io.camunda.application.StandaloneBroker
  if ! wait_for zeebe 300 zeebe_ready; then
    mark_unavailable zeebe "did not report a healthy partition on http://$INFRA_HOST:$ZEEBE_REST_PORT/v2/topology within 300s: $(last_log_lines zeebe)"
    stop_pid zeebe 15
    return
  fi
  zeebe_write_env
  mark_up zeebe "$(zeebe_summary)"
}

zeebe_summary() {
  echo "gRPC $INFRA_HOST:$ZEEBE_GRPC_PORT, REST http://$INFRA_HOST:$ZEEBE_REST_PORT, export $ZEEBE_EXPORT_FILE (no search endpoints)"
}

zeebe_write_env() {
  {
    echo "EDDY_TEST_ZEEBE_GRPC_ADDRESS=$INFRA_HOST:$ZEEBE_GRPC_PORT"
    echo "EDDY_TEST_ZEEBE_REST_ADDRESS=http://$INFRA_HOST:$ZEEBE_REST_PORT"
    echo "EDDY_TEST_ZEEBE_VERSION=$ZEEBE_VERSION"
    echo "EDDY_TEST_ZEEBE_EXPORT_FILE=$ZEEBE_EXPORT_FILE"
    echo "EDDY_TEST_ZEEBE_SEARCH_UNAVAILABLE=$(env_quote "$ZEEBE_SEARCH_GAP")"
  } >"$INFRA_RUN/zeebe.env"
}

zeebe_down() {
  stop_pid zeebe 30
  rm -rf "$INFRA_DATA/zeebe" "$INFRA_DATA/zeebe-export"
  rm -f "$INFRA_RUN/zeebe.env" "$INFRA_RUN/zeebe.state" "$INFRA_RUN/zeebe.exporter"
}

zeebe_status() {
  if pid_alive zeebe && port_open "$ZEEBE_REST_PORT"; then
    echo "zeebe     up    gRPC $INFRA_HOST:$ZEEBE_GRPC_PORT  REST http://$INFRA_HOST:$ZEEBE_REST_PORT  (Camunda $ZEEBE_VERSION broker, management $ZEEBE_MANAGEMENT_PORT, pid $(cat "$INFRA_RUN/zeebe.pid"))"
    echo "          user tasks and process instances: exported to $ZEEBE_EXPORT_FILE"
    echo "          note: $ZEEBE_SEARCH_GAP"
  else
    status_not_up zeebe
  fi
}
