# A MongoDB-compatible server for integration tests (sourced by infra.sh).
#
# mongo-java-server (infra/mongo/pom.xml) with its in-memory backend and oplog, started by
# infra/mongo/MongoCompatibleServer.java (java single-file source launch). Its data lives in
# memory and is gone after `down`. What it does not do that MongoDB does: docs/real-servers.md.

MONGO_PORT="${EDDY_INFRA_MONGO_PORT:-27017}"
MONGO_HEAP="${EDDY_INFRA_MONGO_HEAP:-1g}"
MONGO_POM="$INFRA_ROOT/infra/mongo/pom.xml"
MONGO_VERSION="$(sed -n 's:.*<mongo-java-server.version>\(.*\)</mongo-java-server.version>.*:\1:p' "$MONGO_POM")"
MONGO_LIBS="$INFRA_CACHE/mongo-java-server-$MONGO_VERSION/libs"

mongo_ready() { port_open "$MONGO_PORT" && grep -q 'MONGO-READY' "$INFRA_LOGS/mongo.log" 2>/dev/null; }

mongo_up() {
  local reason
  if pid_alive mongo && mongo_ready; then
    log "mongo: already up"
    mark_up mongo "$INFRA_HOST:$MONGO_PORT"
    return
  fi
  stop_pid mongo 10
  if ! command -v "$INFRA_JAVA17" >/dev/null 2>&1; then
    mark_unavailable mongo "no java on PATH (mongo-java-server needs Java 17+)"
    return
  fi
  if port_open "$MONGO_PORT"; then
    mark_unavailable mongo "port $MONGO_PORT is taken by another process (set EDDY_INFRA_MONGO_PORT)"
    return
  fi
  if ! reason="$(maven_fetch mongo "$MONGO_POM" "$MONGO_LIBS" -DincludeScope=runtime)"; then
    mark_unavailable mongo "mongo-java-server $MONGO_VERSION jars: $reason"
    return
  fi
  log "mongo: starting mongo-java-server $MONGO_VERSION on $INFRA_HOST:$MONGO_PORT"
  spawn mongo "$INFRA_JAVA17" -Xms64m -Xmx"$MONGO_HEAP" -cp "$MONGO_LIBS/*" \
    "$INFRA_ROOT/infra/mongo/MongoCompatibleServer.java" "$INFRA_HOST" "$MONGO_PORT"
  if ! wait_for mongo 90 mongo_ready; then
    mark_unavailable mongo "did not start within 90s: $(last_log_lines mongo)"
    stop_pid mongo 10
    return
  fi
  echo "EDDY_TEST_MONGO_URL=mongodb://$INFRA_HOST:$MONGO_PORT" >"$INFRA_RUN/mongo.env"
  mark_up mongo "$INFRA_HOST:$MONGO_PORT"
}

mongo_down() {
  stop_pid mongo 15
  rm -f "$INFRA_RUN/mongo.env" "$INFRA_RUN/mongo.state"
}

mongo_status() {
  if pid_alive mongo && port_open "$MONGO_PORT"; then
    echo "mongo     up    $INFRA_HOST:$MONGO_PORT  (mongo-java-server $MONGO_VERSION, in memory, oplog on, pid $(cat "$INFRA_RUN/mongo.pid"))"
  else
    status_not_up mongo
  fi
}
