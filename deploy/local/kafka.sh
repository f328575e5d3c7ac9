#!/usr/bin/env bash
# A single-node Apache Kafka (KRaft: broker + controller in one JVM) on 127.0.0.1, from the
# jars on Maven Central — no Docker needed.
#
#   deploy/local/kafka.sh start|stop|status|logs [-f]|env
#
# Environment (all optional):
#   KAFKA_HOME                   use this Kafka installation's libs/ instead of Maven
#   WIJKHUB_KAFKA_PORT           client port (default 9092)
#   WIJKHUB_KAFKA_CONTROLLER_PORT controller port (default 9093)
#   WIJKHUB_KAFKA_RUN_DIR        data, logs and pid file (default deploy/local/.run)
#   WIJKHUB_KAFKA_CACHE          jar cache (default deploy/local/.cache)
#   WIJKHUB_KAFKA_HEAP           JVM heap (default 1g)
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
kafka_version=$(sed -n 's:.*<kafka.version>\(.*\)</kafka.version>.*:\1:p' "$here/pom.xml")
port=${WIJKHUB_KAFKA_PORT:-9092}
cport=${WIJKHUB_KAFKA_CONTROLLER_PORT:-9093}
run_dir=${WIJKHUB_KAFKA_RUN_DIR:-$here/.run}
cache=${WIJKHUB_KAFKA_CACHE:-$here/.cache}
heap=${WIJKHUB_KAFKA_HEAP:-1g}
pid_file=$run_dir/broker.pid
data_dir=$run_dir/data
log_dir=$run_dir/logs
props=$run_dir/server.properties
bootstrap=127.0.0.1:$port

say() { echo "kafka.sh: $*"; }
die() { echo "kafka.sh: error: $*" >&2; exit 1; }

need_java() {
  command -v java >/dev/null 2>&1 \
    || die "Java 17 or newer is needed to run Kafka. Install it (Debian: apt-get install openjdk-17-jre-headless) or set KAFKA_BOOTSTRAP_SERVERS to an existing cluster."
  local v
  v=$(java -version 2>&1 | sed -n 's/.*version "\([0-9]*\).*/\1/p' | head -n1)
  [ -n "$v" ] && [ "$v" -ge 17 ] \
    || die "Java 17 or newer is needed to run Kafka $kafka_version, found ${v:-unknown}. Install a newer JDK or set JAVA_HOME."
  command -v python3 >/dev/null 2>&1 || die "python3 is needed (readiness probe). Install Python 3.11+."
}

# The classpath: $KAFKA_HOME/libs, or the jar cache filled from Maven Central.
classpath() {
  if [ -n "${KAFKA_HOME:-}" ]; then
    [ -d "$KAFKA_HOME/libs" ] || die "KAFKA_HOME=$KAFKA_HOME has no libs/ folder; unset it to use the Maven jars."
    echo "$KAFKA_HOME/libs/*"
    return
  fi
  local libs=$cache/kafka-$kafka_version/libs
  if [ ! -f "$libs/.complete" ]; then
    command -v mvn >/dev/null 2>&1 \
      || die "Maven is needed to fetch the Kafka $kafka_version jars (Debian: apt-get install maven), or set KAFKA_HOME to a Kafka installation."
    say "fetching Kafka $kafka_version jars from Maven Central into $libs ..." >&2
    local tmp=$libs.tmp.$$
    rm -rf "$tmp"
    mkdir -p "$cache"
    # A Maven repository of our own inside the cache: an empty cache really is empty.
    if ! mvn -B -Dmaven.repo.local="$cache/m2" -f "$here/pom.xml" dependency:copy-dependencies \
        -DincludeScope=runtime -DoutputDirectory="$tmp" > "$cache/mvn.log" 2>&1; then
      tail -n 40 "$cache/mvn.log" >&2
      rm -rf "$tmp"
      die "Maven could not resolve org.apache.kafka:kafka_2.13:$kafka_version (log above, full log in $cache/mvn.log); check the network to Maven Central or set KAFKA_HOME."
    fi
    rm -rf "$libs"
    mkdir -p "$(dirname "$libs")"
    mv "$tmp" "$libs"
    touch "$libs/.complete"
  fi
  echo "$libs/*"
}

# PID of our broker if it is alive, else nothing (a stale pid file is removed).
running_pid() {
  [ -f "$pid_file" ] || return 0
  local pid
  pid=$(cat "$pid_file")
  if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null \
     && tr '\0' ' ' < "/proc/$pid/cmdline" 2>/dev/null | grep -q "kafka.Kafka $props"; then
    echo "$pid"
  else
    rm -f "$pid_file"
  fi
}

answers() { python3 "$here/probe.py" "$bootstrap" 2 >/dev/null; }

write_props() {
  mkdir -p "$data_dir" "$log_dir"
  cat > "$props" <<PROPS
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@127.0.0.1:$cport
listeners=PLAINTEXT://127.0.0.1:$port,CONTROLLER://127.0.0.1:$cport
advertised.listeners=PLAINTEXT://127.0.0.1:$port
controller.listener.names=CONTROLLER
listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT
inter.broker.listener.name=PLAINTEXT
log.dirs=$data_dir
num.partitions=1
auto.create.topics.enable=false
offsets.topic.replication.factor=1
offsets.topic.num.partitions=4
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1
group.initial.rebalance.delay.ms=0
log.retention.check.interval.ms=60000
PROPS
}

wait_ready() {
  local pid=$1 deadline=$((SECONDS + ${WIJKHUB_KAFKA_START_TIMEOUT:-90}))
  while [ $SECONDS -lt $deadline ]; do
    if answers >/dev/null; then return 0; fi
    if ! kill -0 "$pid" 2>/dev/null; then
      echo "--- last lines of $log_dir/server.log:" >&2
      tail -n 30 "$log_dir/server.log" "$log_dir/stdout.log" 2>/dev/null >&2 || true
      die "the broker exited during start-up (see above)."
    fi
    sleep 0.2
  done
  die "the broker did not answer a metadata request on $bootstrap within ${WIJKHUB_KAFKA_START_TIMEOUT:-90}s; see $log_dir/server.log."
}

start() {
  need_java
  local pid
  pid=$(running_pid)
  if [ -n "$pid" ]; then
    wait_ready "$pid"
    say "already running (pid $pid) at $bootstrap"
    return 0
  fi
  if answers >/dev/null; then
    die "something else already answers on $bootstrap; stop it, or choose another port with WIJKHUB_KAFKA_PORT, or use it with KAFKA_BOOTSTRAP_SERVERS=$bootstrap."
  fi
  local cp t0
  cp=$(classpath)
  write_props
  if [ ! -f "$data_dir/meta.properties" ]; then
    local cluster_id
    # --cluster-id=ID: a base64 id may start with '-', which would read as an option
    cluster_id=$(python3 -c 'import base64,uuid;print(base64.urlsafe_b64encode(uuid.uuid4().bytes).decode().rstrip("="))')
    java -cp "$cp" kafka.tools.StorageTool format --ignore-formatted --cluster-id="$cluster_id" -c "$props" \
      > "$log_dir/format.log" 2>&1 || { cat "$log_dir/format.log" >&2; die "formatting KRaft storage in $data_dir failed."; }
  fi
  t0=$(date +%s.%N)
  # setsid: the broker outlives this shell; it is stopped only by `kafka.sh stop`, by its PID.
  setsid java -Xms256m -Xmx"$heap" -XX:+UseG1GC -Djava.awt.headless=true \
    -Dkafka.logs.dir="$log_dir" -Dlog4j2.configurationFile="$here/log4j2.properties" \
    -cp "$cp" kafka.Kafka "$props" > "$log_dir/stdout.log" 2>&1 < /dev/null &
  pid=$!
  echo "$pid" > "$pid_file"
  wait_ready "$pid"
  say "started (pid $pid) at $bootstrap in $(python3 -c "print(f'{$(date +%s.%N) - $t0:.1f}')")s; Kafka $kafka_version, data in $data_dir"
}

stop() {
  local pid
  pid=$(running_pid)
  if [ -z "$pid" ]; then
    say "not running"
    return 0
  fi
  kill -TERM "$pid" 2>/dev/null || true
  local deadline=$((SECONDS + 30))
  while kill -0 "$pid" 2>/dev/null && [ $SECONDS -lt $deadline ]; do sleep 0.2; done
  if kill -0 "$pid" 2>/dev/null; then
    say "broker (pid $pid) did not stop within 30s; sending SIGKILL"
    kill -KILL "$pid" 2>/dev/null || true
    while kill -0 "$pid" 2>/dev/null; do sleep 0.1; done
  fi
  rm -f "$pid_file"
  say "stopped (pid $pid)"
}

status() {
  local pid
  pid=$(running_pid)
  if [ -z "$pid" ]; then say "not running"; return 3; fi
  if answers >/dev/null; then say "running (pid $pid) at $bootstrap"; return 0; fi
  say "process $pid is up but does not answer on $bootstrap (starting, or stuck: see logs)"
  return 4
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  restart) stop; start ;;
  status) status ;;
  logs) shift; tail -n 200 "$@" "$log_dir/server.log" ;;
  env) echo "KAFKA_BOOTSTRAP_SERVERS=$bootstrap" ;;
  *) echo "usage: $0 start|stop|restart|status|logs [-f]|env" >&2; exit 2 ;;
esac
