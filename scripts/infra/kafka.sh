# Apache Kafka for integration tests (sourced by infra.sh).
#
# The jars of org.apache.kafka:kafka_2.13 (infra/kafka/pom.xml) run as one KRaft node that is both
# broker and controller, with its data under .infra/data/kafka (thrown away by `down`).

KAFKA_PORT="${EDDY_INFRA_KAFKA_PORT:-9092}"
KAFKA_CONTROLLER_PORT="${EDDY_INFRA_KAFKA_CONTROLLER_PORT:-9093}"
KAFKA_HEAP="${EDDY_INFRA_KAFKA_HEAP:-512m}"
KAFKA_POM="$INFRA_ROOT/infra/kafka/pom.xml"
KAFKA_VERSION="$(sed -n 's:.*<kafka.version>\(.*\)</kafka.version>.*:\1:p' "$KAFKA_POM")"
KAFKA_LIBS="$INFRA_CACHE/kafka-$KAFKA_VERSION/libs"

kafka_ready() { port_open "$KAFKA_PORT" && grep -q 'Kafka Server started' "$INFRA_LOGS/kafka.log" 2>/dev/null; }

kafka_write_config() {
  local dir="$1"
  cat >"$dir/server.properties" <<EOF
# Written by scripts/infra/kafka.sh: one KRaft node, broker and controller, on $INFRA_HOST only.
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@$INFRA_HOST:$KAFKA_CONTROLLER_PORT
listeners=PLAINTEXT://$INFRA_HOST:$KAFKA_PORT,CONTROLLER://$INFRA_HOST:$KAFKA_CONTROLLER_PORT
advertised.listeners=PLAINTEXT://$INFRA_HOST:$KAFKA_PORT
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT
log.dirs=$dir/logs
num.partitions=1
offsets.topic.replication.factor=1
offsets.topic.num.partitions=3
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
group.initial.rebalance.delay.ms=0
EOF
}

kafka_up() {
  local data java_cmd
  if pid_alive kafka && kafka_ready; then
    log "kafka: already up"
    mark_up kafka "$INFRA_HOST:$KAFKA_PORT"
    return
  fi
  stop_pid kafka 10
  java_cmd="$INFRA_JAVA17"
  if ! command -v "$java_cmd" >/dev/null 2>&1; then
    mark_unavailable kafka "no java on PATH (Kafka $KAFKA_VERSION needs Java 11+)"
    return
  fi
  for port in "$KAFKA_PORT" "$KAFKA_CONTROLLER_PORT"; do
    if port_open "$port"; then
      mark_unavailable kafka "port $port is taken by another process (set EDDY_INFRA_KAFKA_PORT / EDDY_INFRA_KAFKA_CONTROLLER_PORT)"
      return
    fi
  done
  local reason
  if ! reason="$(maven_fetch kafka "$KAFKA_POM" "$KAFKA_LIBS" -DincludeScope=runtime)"; then
    mark_unavailable kafka "Kafka $KAFKA_VERSION jars: $reason"
    return
  fi
  data="$INFRA_DATA/kafka"
  rm -rf "$data"
  mkdir -p "$data"
  kafka_write_config "$data"
  : >"$INFRA_LOGS/kafka.log"
  local cluster_id
  cluster_id="$("$java_cmd" -cp "$KAFKA_LIBS/*" kafka.tools.StorageTool random-uuid 2>>"$INFRA_LOGS/kafka.log" | tail -n 1)"
  if [[ -z "$cluster_id" ]] ||
    ! "$java_cmd" -cp "$KAFKA_LIBS/*" -Dlog4j.configuration="file:$INFRA_ROOT/infra/kafka/log4j.properties" \
      kafka.tools.StorageTool format -t "$cluster_id" -c "$data/server.properties" >>"$INFRA_LOGS/kafka.log" 2>&1; then
    mark_unavailable kafka "formatting the KRaft storage failed: $(last_log_lines kafka)"
    return
  fi
  kafka_start "$data"
}

# kafka_start DATA_DIR: runs the broker on the configuration and data in DATA_DIR and waits for it.
kafka_start() {
  local data="$1"
  log "kafka: starting $KAFKA_VERSION (KRaft) on $INFRA_HOST:$KAFKA_PORT"
  spawn kafka "$INFRA_JAVA17" -Xms128m -Xmx"$KAFKA_HEAP" -XX:+UseG1GC -Djava.awt.headless=true \
    -Dlog4j.configuration="file:$INFRA_ROOT/infra/kafka/log4j.properties" \
    -cp "$KAFKA_LIBS/*" kafka.Kafka "$data/server.properties"
  if ! wait_for kafka 120 kafka_ready; then
    mark_unavailable kafka "did not start within 120s: $(last_log_lines kafka)"
    stop_pid kafka 10
    return 1
  fi
  echo "EDDY_TEST_KAFKA_BROKERS=$INFRA_HOST:$KAFKA_PORT" >"$INFRA_RUN/kafka.env"
  mark_up kafka "$INFRA_HOST:$KAFKA_PORT"
}

# A restart of the running broker that keeps its data (topics, offsets, committed groups): stopped
# as an operator stops it (TERM, a controlled shutdown) and started again on the ports it had, which
# its configuration file holds (the EDDY_INFRA_KAFKA_* settings of this shell may differ).
kafka_restart() {
  local data="$INFRA_DATA/kafka"
  if ! pid_alive kafka || [[ ! -f "$data/server.properties" ]]; then
    log "kafka: not up, nothing to restart (run up first)"
    return 1
  fi
  KAFKA_PORT="$(sed -n 's|^listeners=PLAINTEXT://[^:]*:\([0-9]*\),.*|\1|p' "$data/server.properties")"
  stop_pid kafka 30
  kafka_start "$data"
}

kafka_down() {
  stop_pid kafka 30
  rm -rf "$INFRA_DATA/kafka"
  rm -f "$INFRA_RUN/kafka.env" "$INFRA_RUN/kafka.state"
}

kafka_status() {
  if pid_alive kafka && port_open "$KAFKA_PORT"; then
    echo "kafka     up    $INFRA_HOST:$KAFKA_PORT  (controller $KAFKA_CONTROLLER_PORT, Kafka $KAFKA_VERSION KRaft, pid $(cat "$INFRA_RUN/kafka.pid"))"
  else
    status_not_up kafka
  fi
}
