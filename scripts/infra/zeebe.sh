# Camunda 8 (Zeebe) for integration tests (sourced by infra.sh).
#
# The io.camunda:camunda-zeebe distribution (infra/zeebe/pom.xml) is resolved by Maven, unpacked
# under ~/.cache/eddy-infra and started as one broker with its embedded gateway (gRPC and REST v2),
# on a Java 21+ runtime, without authentication and without an exporter. Its data lives under
# .infra/data/zeebe and is thrown away by `down`.

ZEEBE_GRPC_PORT="${EDDY_INFRA_ZEEBE_GRPC_PORT:-26500}"
ZEEBE_REST_PORT="${EDDY_INFRA_ZEEBE_REST_PORT:-8080}"
ZEEBE_COMMAND_PORT="${EDDY_INFRA_ZEEBE_COMMAND_PORT:-26501}"
ZEEBE_INTERNAL_PORT="${EDDY_INFRA_ZEEBE_INTERNAL_PORT:-26502}"
ZEEBE_MANAGEMENT_PORT="${EDDY_INFRA_ZEEBE_MANAGEMENT_PORT:-9600}"
ZEEBE_HEAP="${EDDY_INFRA_ZEEBE_HEAP:-768m}"
ZEEBE_POM="$INFRA_ROOT/infra/zeebe/pom.xml"
ZEEBE_VERSION="$(sed -n 's:.*<zeebe.version>\(.*\)</zeebe.version>.*:\1:p' "$ZEEBE_POM")"
ZEEBE_HOME="$INFRA_CACHE/camunda-zeebe-$ZEEBE_VERSION"
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

zeebe_up() {
  local reason port
  if pid_alive zeebe && zeebe_ready; then
    log "zeebe: already up"
    zeebe_write_env
    mark_up zeebe "gRPC $INFRA_HOST:$ZEEBE_GRPC_PORT, REST http://$INFRA_HOST:$ZEEBE_REST_PORT"
    return
  fi
  stop_pid zeebe 10
  if [[ -z "$INFRA_JAVA_HOME_21" ]]; then
    mark_unavailable zeebe "Camunda $ZEEBE_VERSION needs Java 21+; none found in /usr/lib/jvm (set EDDY_INFRA_JAVA21_HOME)"
    return
  fi
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
  rm -rf "$INFRA_DATA/zeebe"
  mkdir -p "$INFRA_DATA/zeebe"
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
  mark_up zeebe "gRPC $INFRA_HOST:$ZEEBE_GRPC_PORT, REST http://$INFRA_HOST:$ZEEBE_REST_PORT (no search endpoints)"
}

zeebe_write_env() {
  {
    echo "EDDY_TEST_ZEEBE_GRPC_ADDRESS=$INFRA_HOST:$ZEEBE_GRPC_PORT"
    echo "EDDY_TEST_ZEEBE_REST_ADDRESS=http://$INFRA_HOST:$ZEEBE_REST_PORT"
    echo "EDDY_TEST_ZEEBE_VERSION=$ZEEBE_VERSION"
    echo "EDDY_TEST_ZEEBE_SEARCH_UNAVAILABLE=$(env_quote "$ZEEBE_SEARCH_GAP")"
  } >"$INFRA_RUN/zeebe.env"
}

zeebe_down() {
  stop_pid zeebe 30
  rm -rf "$INFRA_DATA/zeebe"
  rm -f "$INFRA_RUN/zeebe.env" "$INFRA_RUN/zeebe.state"
}

zeebe_status() {
  if pid_alive zeebe && port_open "$ZEEBE_REST_PORT"; then
    echo "zeebe     up    gRPC $INFRA_HOST:$ZEEBE_GRPC_PORT  REST http://$INFRA_HOST:$ZEEBE_REST_PORT  (Camunda $ZEEBE_VERSION broker, management $ZEEBE_MANAGEMENT_PORT, pid $(cat "$INFRA_RUN/zeebe.pid"))"
    echo "          note: $ZEEBE_SEARCH_GAP"
  elif [[ -f "$INFRA_RUN/zeebe.state" ]] && grep -q '^unavailable' "$INFRA_RUN/zeebe.state"; then
    echo "zeebe     UNAVAILABLE  $(cut -d' ' -f2- "$INFRA_RUN/zeebe.state")"
  else
    echo "zeebe     down"
  fi
}
