#!/usr/bin/env bash
# Apache Kafka (KRaft: broker + controller in one JVM per node) on 127.0.0.1, from the jars on
# Maven Central — no Docker needed. Secured by default: clients log in with SCRAM-SHA-512 over
# TLS; nothing listens in plaintext. See docs/security.md.
#
#   deploy/local/kafka.sh start [--brokers 1|3]   start (idempotent; 1 node by default)
#   deploy/local/kafka.sh stop                    stop every node, by PID
#   deploy/local/kafka.sh status                  exit 0 when every node answers an admin login
#   deploy/local/kafka.sh env [--export]          what a client needs, as environment lines
#   deploy/local/kafka.sh tool NAME [ARGS...]     Kafka's own tools (topics, consumer-groups,
#                                                 acls, configs, ...) logged in as admin
#   deploy/local/kafka.sh kill NODE               SIGKILL one node (fault tests)
#   deploy/local/kafka.sh start-node NODE         start one node again; waits until it rejoined
#   deploy/local/kafka.sh restart-node NODE       stop and start one node; waits until every
#                                                 partition is fully in sync (rolling restarts)
#   deploy/local/kafka.sh logs [-f] [NODE]        the node's server.log (node 1 by default)
#   deploy/local/kafka.sh restart
#
# Environment (all optional):
#   KAFKA_HOME                    use this Kafka installation's libs/ instead of Maven
#   WIJKHUB_KAFKA_PORT            client port of node 1 (default 9092); node n uses port+2(n-1)
#   WIJKHUB_KAFKA_CONTROLLER_PORT controller port of node 1 (default 9093); node n: +2(n-1)
#   WIJKHUB_KAFKA_BROKERS         number of nodes when `start` is not given --brokers (1)
#   WIJKHUB_KAFKA_RUN_DIR         data, logs, certificates, secrets (default deploy/local/.run)
#   WIJKHUB_KAFKA_CACHE           jar cache (default deploy/local/.cache)
#   WIJKHUB_KAFKA_HEAP            JVM heap per node (default 1g; 512m with 3 nodes)
#   WIJKHUB_KAFKA_START_TIMEOUT   seconds to wait for a node (default 90)
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
kafka_version=$(sed -n 's:.*<kafka.version>\(.*\)</kafka.version>.*:\1:p' "$here/pom.xml")
port=${WIJKHUB_KAFKA_PORT:-9092}
cport=${WIJKHUB_KAFKA_CONTROLLER_PORT:-9093}
run_dir=${WIJKHUB_KAFKA_RUN_DIR:-$here/.run}
cache=${WIJKHUB_KAFKA_CACHE:-$here/.cache}
timeout=${WIJKHUB_KAFKA_START_TIMEOUT:-90}

# Certificates and secrets: created on first start, kept in the run dir (git-ignored).
tls_dir=$run_dir/tls                      # public: the CA certificate for clients
ca_pem=$tls_dir/ca.pem
secrets=$run_dir/secrets                  # 0700; every file 0600
store_pass_file=$secrets/store.password   # the PKCS12 stores' password
ca_store=$secrets/ca.p12                  # the local CA's key (signs the node certificate)
keystore=$secrets/node.p12                # every node's key and certificate (SAN 127.0.0.1)
truststore=$secrets/truststore.p12        # the CA, for the nodes
admin_pw_file=$secrets/admin.password     # SCRAM password of the `admin` super user
broker_pw_file=$secrets/broker.password   # SCRAM password the nodes use between themselves
admin_props=$secrets/admin.properties     # client.properties for Kafka's tools
node_dn="CN=wijkhub-local-kafka"          # the nodes' TLS principal on the controller listener
mechanism=SCRAM-SHA-512

say() { echo "kafka.sh: $*"; }
die() { echo "kafka.sh: error: $*" >&2; exit 1; }

# --- nodes -------------------------------------------------------------------------------
# A cluster of N nodes lives in $run_dir/kraft-N/node-<n>/ (data, logs, server.properties,
# kafka.pid); the 1-node and the 3-node cluster keep their data apart.

cluster_dir() { echo "$run_dir/kraft-$1"; }
node_dir() { echo "$(cluster_dir "$1")/node-$2"; }
client_port() { echo $((port + 2 * ($1 - 1))); }
controller_port() { echo $((cport + 2 * ($1 - 1))); }
bootstrap_of() {  # bootstrap_of SIZE
  local n out=""
  for n in $(seq 1 "$1"); do out="${out:+$out,}127.0.0.1:$(client_port "$n")"; done
  echo "$out"
}

# PID of node n of a cluster of SIZE if it is alive, else nothing (a stale pid file goes).
node_pid() {  # node_pid SIZE N
  local dir pid
  dir=$(node_dir "$1" "$2")
  [ -f "$dir/kafka.pid" ] || return 0
  pid=$(cat "$dir/kafka.pid")
  if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null \
     && tr '\0' ' ' < "/proc/$pid/cmdline" 2>/dev/null | grep -q "kafka.Kafka $dir/server.properties"; then
    echo "$pid"
  else
    rm -f "$dir/kafka.pid"
  fi
}

running_nodes() {  # running_nodes SIZE: the node numbers that are alive
  local n
  for n in $(seq 1 "$1"); do [ -z "$(node_pid "$1" "$n")" ] || echo "$n"; done
}

# The size of the cluster that runs, else the one started last, else 1.
current_size() {
  local size
  for size in 3 1; do
    if [ -n "$(running_nodes "$size")" ]; then echo "$size"; return; fi
  done
  if [ -f "$run_dir/current" ]; then cat "$run_dir/current"; else echo "${WIJKHUB_KAFKA_BROKERS:-1}"; fi
}

# A broker started by the older, unsecured kafka.sh from this run dir (one JVM, broker.pid).
legacy_pid() {
  local pid
  [ -f "$run_dir/broker.pid" ] || return 0
  pid=$(cat "$run_dir/broker.pid")
  if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null \
     && tr '\0' ' ' < "/proc/$pid/cmdline" 2>/dev/null | grep -q "kafka.Kafka $run_dir/server.properties"; then
    echo "$pid"
  else
    rm -f "$run_dir/broker.pid"
  fi
}

port_in_use() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# --- prerequisites and jars --------------------------------------------------------------

need_java() {
  command -v java >/dev/null 2>&1 \
    || die "Java 17 or newer is needed to run Kafka. Install it (Debian: apt-get install openjdk-17-jre-headless) or set KAFKA_BOOTSTRAP_SERVERS to an existing cluster."
  local v
  v=$(java -version 2>&1 | sed -n 's/.*version "\([0-9]*\).*/\1/p' | head -n1)
  [ -n "$v" ] && [ "$v" -ge 17 ] \
    || die "Java 17 or newer is needed to run Kafka $kafka_version, found ${v:-unknown}. Install a newer JDK or set JAVA_HOME."
  command -v python3 >/dev/null 2>&1 || die "python3 is needed (readiness probe). Install Python 3.11+."
}

# The classpath: $KAFKA_HOME/libs, or the jar cache filled from Maven Central. The cache key
# is the Kafka version and a checksum of pom.xml: a changed pom.xml fetches a fresh set.
classpath() {
  if [ -n "${KAFKA_HOME:-}" ]; then
    [ -d "$KAFKA_HOME/libs" ] || die "KAFKA_HOME=$KAFKA_HOME has no libs/ folder; unset it to use the Maven jars."
    echo "$KAFKA_HOME/libs/*"
    return
  fi
  local key libs
  key=$(cksum < "$here/pom.xml" | cut -d' ' -f1)
  libs=$cache/kafka-$kafka_version-$key/libs
  if [ ! -f "$libs/.complete" ]; then
    command -v mvn >/dev/null 2>&1 \
      || die "Maven is needed to fetch the Kafka $kafka_version jars (Debian: apt-get install maven), or set KAFKA_HOME to a Kafka installation."
    say "fetching Kafka $kafka_version jars (broker and tools) from Maven Central into $libs ..." >&2
    local tmp=$libs.tmp.$$
    rm -rf "$tmp"
    mkdir -p "$cache"
    # A Maven repository of our own inside the cache: an empty cache really is empty.
    if ! mvn -B -Dmaven.repo.local="$cache/m2" -f "$here/pom.xml" dependency:copy-dependencies \
        -DincludeScope=runtime -DoutputDirectory="$tmp" > "$cache/mvn.log" 2>&1; then
      tail -n 40 "$cache/mvn.log" >&2
      rm -rf "$tmp"
      die "Maven could not resolve the jars of $here/pom.xml (log above, full log in $cache/mvn.log); check the network to Maven Central or set KAFKA_HOME."
    fi
    rm -rf "$libs"
    mkdir -p "$(dirname "$libs")"
    mv "$tmp" "$libs"
    touch "$libs/.complete"
  fi
  echo "$libs/*"
}

# --- certificates and secrets ------------------------------------------------------------

keytool_() {  # the JDK's keytool; a bare JRE still has its class in java.base
  if command -v keytool >/dev/null 2>&1; then keytool "$@"
  else java -m java.base/sun.security.tools.keytool.Main "$@"; fi
}

random_secret() { python3 -c 'import secrets; print(secrets.token_hex(24))'; }

# A local CA and one node certificate (SAN 127.0.0.1 and localhost, server and client use),
# as PKCS12 stores for the nodes and a PEM of the CA for clients. Created once.
ensure_tls() {
  [ -f "$keystore" ] && [ -f "$truststore" ] && [ -f "$ca_pem" ] && [ -f "$store_pass_file" ] && return 0
  say "creating a local CA and the broker certificate in $run_dir (first start)"
  mkdir -p "$tls_dir" "$secrets"
  chmod 700 "$secrets"
  local tmp pw
  tmp=$(mktemp -d "$secrets/tls.XXXXXX")
  pw=$(random_secret)
  (
    umask 077
    set -e
    cd "$tmp"
    printf '%s\n' "$pw" > store.password
    keytool_ -genkeypair -alias ca -keyalg EC -groupname secp256r1 -dname "CN=wijkhub local CA" \
      -ext bc:c -ext KeyUsage:c=keyCertSign,cRLSign -validity 3650 \
      -keystore ca.p12 -storetype PKCS12 -storepass "$pw"
    keytool_ -exportcert -rfc -alias ca -keystore ca.p12 -storepass "$pw" -file ca.pem
    keytool_ -genkeypair -alias node -keyalg EC -groupname secp256r1 -dname "$node_dn" \
      -validity 3650 -keystore node.p12 -storetype PKCS12 -storepass "$pw"
    keytool_ -certreq -alias node -keystore node.p12 -storepass "$pw" -file node.csr
    keytool_ -gencert -alias ca -keystore ca.p12 -storepass "$pw" -infile node.csr \
      -outfile node.crt -rfc -validity 3650 -ext SAN=IP:127.0.0.1,DNS:localhost \
      -ext KeyUsage:c=digitalSignature,keyAgreement -ext ExtendedKeyUsage=serverAuth,clientAuth
    keytool_ -importcert -noprompt -alias ca -file ca.pem -keystore node.p12 -storepass "$pw"
    keytool_ -importcert -noprompt -alias node -file node.crt -keystore node.p12 -storepass "$pw"
    keytool_ -importcert -noprompt -alias ca -file ca.pem -keystore truststore.p12 \
      -storetype PKCS12 -storepass "$pw"
  ) > "$tmp/keytool.log" 2>&1 || { cat "$tmp/keytool.log" >&2; rm -rf "$tmp"; die "keytool could not create the local CA and broker certificate (log above)."; }
  mv "$tmp/ca.p12" "$ca_store"
  mv "$tmp/node.p12" "$keystore"
  mv "$tmp/truststore.p12" "$truststore"
  install -m 644 "$tmp/ca.pem" "$ca_pem"
  mv "$tmp/store.password" "$store_pass_file"  # last: its presence means "all done"
  rm -rf "$tmp"
}

ensure_passwords() {
  mkdir -p "$secrets"
  chmod 700 "$secrets"
  local f
  for f in "$admin_pw_file" "$broker_pw_file"; do
    [ -s "$f" ] || (umask 077; random_secret > "$f.tmp" && mv "$f.tmp" "$f")
  done
  (
    umask 077
    cat > "$admin_props.tmp" <<PROPS
# Kafka's tools as the local admin (kafka.sh tool ...). Contains the admin password: keep 0600.
security.protocol=SASL_SSL
sasl.mechanism=$mechanism
sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required username="admin" password="$(cat "$admin_pw_file")";
ssl.truststore.type=PEM
ssl.truststore.location=$ca_pem
PROPS
    mv "$admin_props.tmp" "$admin_props"
  )
}

# Which credentials a data dir was formatted with: a digest of both SCRAM passwords.
secrets_digest() { cat "$admin_pw_file" "$broker_pw_file" | sha256sum | cut -c1-16; }

# --- configuration and format ------------------------------------------------------------

write_props() {  # write_props SIZE N
  local size=$1 n=$2 dir voters="" i rf=1 min_isr=1
  dir=$(node_dir "$size" "$n")
  for i in $(seq 1 "$size"); do voters="${voters:+$voters,}$i@127.0.0.1:$(controller_port "$i")"; done
  if [ "$size" -ge 3 ]; then rf=3; min_isr=2; fi
  mkdir -p "$dir/data" "$dir/logs"
  chmod 700 "$(cluster_dir "$size")"  # the topics' data and the nodes' configuration: ours only
  (
    umask 077  # holds the nodes' own SCRAM password and the store password
    cat > "$dir/server.properties" <<PROPS
process.roles=broker,controller
node.id=$n
controller.quorum.voters=$voters
# Clients: SASL_SSL with SCRAM-SHA-512 only. Nodes: mutual TLS on the controller listener,
# SCRAM as user "broker" between brokers. Nothing in plaintext, nothing beyond 127.0.0.1.
listeners=CLIENT://127.0.0.1:$(client_port "$n"),CONTROLLER://127.0.0.1:$(controller_port "$n")
advertised.listeners=CLIENT://127.0.0.1:$(client_port "$n")
listener.security.protocol.map=CLIENT:SASL_SSL,CONTROLLER:SSL
inter.broker.listener.name=CLIENT
controller.listener.names=CONTROLLER
sasl.enabled.mechanisms=$mechanism
sasl.mechanism.inter.broker.protocol=$mechanism
listener.name.client.scram-sha-512.sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required username="broker" password="$(cat "$broker_pw_file")";
listener.name.controller.ssl.client.auth=required
ssl.keystore.type=PKCS12
ssl.keystore.location=$keystore
ssl.keystore.password=$(cat "$store_pass_file")
ssl.truststore.type=PKCS12
ssl.truststore.location=$truststore
ssl.truststore.password=$(cat "$store_pass_file")
ssl.endpoint.identification.algorithm=https
# Default deny: only the super users may do anything until ACLs say otherwise.
authorizer.class.name=org.apache.kafka.metadata.authorizer.StandardAuthorizer
allow.everyone.if.no.acl.found=false
super.users=User:admin;User:broker;User:$node_dn
log.dirs=$dir/data
num.partitions=1
auto.create.topics.enable=false
default.replication.factor=$rf
min.insync.replicas=$min_isr
offsets.topic.replication.factor=$rf
offsets.topic.num.partitions=4
transaction.state.log.replication.factor=$rf
transaction.state.log.min.isr=$min_isr
share.coordinator.state.topic.replication.factor=$rf
share.coordinator.state.topic.min.isr=$min_isr
group.initial.rebalance.delay.ms=0
log.retention.check.interval.ms=60000
PROPS
  )
}

# Format every node's storage once, with the admin and broker SCRAM credentials. Data from
# an older unsecured broker, or formatted with other credentials, is local throwaway data:
# it is removed, with a line that says so.
prepare_storage() {  # prepare_storage SIZE CLASSPATH
  local size=$1 cp=$2 cdir marker digest n dir cluster_id
  cdir=$(cluster_dir "$size")
  marker=$cdir/formatted
  digest=$(secrets_digest)
  if [ -d "$run_dir/data" ]; then
    say "removing $run_dir/data: it holds an older local broker's data without users or TLS (throwaway local data; the secured broker starts empty)"
    rm -rf "$run_dir/data" "$run_dir/logs" "$run_dir/server.properties"
  fi
  if [ -f "$marker" ] && grep -qx "secrets=$digest" "$marker"; then return 0; fi
  if [ -d "$cdir" ] && ls "$cdir"/node-*/data/meta.properties >/dev/null 2>&1; then
    say "re-formatting $cdir: its data was formatted with other credentials than $secrets holds (throwaway local data)"
  fi
  for n in $(seq 1 "$size"); do rm -rf "$(node_dir "$size" "$n")/data"; done
  # --cluster-id=ID: a base64 id may start with '-', which would read as an option
  cluster_id=$(python3 -c 'import base64,uuid;print(base64.urlsafe_b64encode(uuid.uuid4().bytes).decode().rstrip("="))')
  local pids=()
  for n in $(seq 1 "$size"); do  # the nodes in parallel: one JVM start each
    dir=$(node_dir "$size" "$n")
    write_props "$size" "$n"
    # The SCRAM credentials go into the cluster's bootstrap metadata (KIP-900).
    java -cp "$cp" kafka.tools.StorageTool format --ignore-formatted --cluster-id="$cluster_id" \
      -c "$dir/server.properties" \
      --add-scram "$mechanism=[name=admin,password=$(cat "$admin_pw_file")]" \
      --add-scram "$mechanism=[name=broker,password=$(cat "$broker_pw_file")]" \
      > "$dir/logs/format.log" 2>&1 &
    pids+=("$!")
  done
  for n in $(seq 1 "$size"); do
    dir=$(node_dir "$size" "$n")
    wait "${pids[$((n - 1))]}" \
      || { cat "$dir/logs/format.log" >&2; die "formatting KRaft storage in $dir/data failed."; }
  done
  printf 'cluster.id=%s\nsecrets=%s\n' "$cluster_id" "$digest" > "$marker"
}

# --- readiness -----------------------------------------------------------------------------

# probe N: log in as admin on node N; prints "brokers=B partitions=P under_replicated=U".
probe() {
  local n=$1
  shift
  python3 "$here/probe.py" "127.0.0.1:$(client_port "$n")" 3 --cafile "$ca_pem" \
    --user admin --password-file "$admin_pw_file" "$@" 2>/dev/null
}

field() { sed -n "s/.*$1=\([0-9]*\).*/\1/p"; }

# Wait until node N answers an admin login and sees SIZE brokers; with --in-sync also until
# no partition is under-replicated.
wait_node() {  # wait_node SIZE N [--in-sync]
  local size=$1 n=$2 in_sync=${3:-} deadline out pid brokers urp
  deadline=$((SECONDS + timeout))
  [ -z "$in_sync" ] || deadline=$((SECONDS + 2 * timeout))
  while [ $SECONDS -lt "$deadline" ]; do
    pid=$(node_pid "$size" "$n")
    if [ -z "$pid" ]; then
      local logs
      logs=$(node_dir "$size" "$n")/logs
      echo "--- last lines of $logs/server.log:" >&2
      tail -n 30 "$logs/server.log" "$logs/stdout.log" 2>/dev/null >&2 || true
      die "node $n exited during start-up (see above)."
    fi
    if out=$(probe "$n"); then
      brokers=$(echo "$out" | field brokers)
      urp=$(echo "$out" | field under_replicated)
      if [ "${brokers:-0}" -ge "$size" ] && { [ -z "$in_sync" ] || [ "${urp:-1}" = 0 ]; }; then
        return 0
      fi
    fi
    sleep 0.3
  done
  if [ -n "$in_sync" ]; then
    die "node $n is up but partitions are still under-replicated after $((2 * timeout))s (kafka.sh tool topics --describe --under-replicated-partitions)."
  fi
  die "node $n did not answer an admin login on 127.0.0.1:$(client_port "$n") with $size brokers within ${timeout}s; see $(node_dir "$size" "$n")/logs/server.log."
}

# --- commands ----------------------------------------------------------------------------

launch() {  # launch SIZE N CLASSPATH: start one node's JVM in the background
  local size=$1 n=$2 cp=$3 dir heap pid
  dir=$(node_dir "$size" "$n")
  heap=${WIJKHUB_KAFKA_HEAP:-$([ "$size" -ge 3 ] && echo 512m || echo 1g)}
  if port_in_use "$(client_port "$n")" || port_in_use "$(controller_port "$n")"; then
    die "port $(client_port "$n") or $(controller_port "$n") (node $n) is taken by another process; stop it, or choose other ports with WIJKHUB_KAFKA_PORT and WIJKHUB_KAFKA_CONTROLLER_PORT."
  fi
  write_props "$size" "$n"
  # setsid: the node outlives this shell; it is stopped only by kafka.sh, by its PID.
  setsid java -Xms256m -Xmx"$heap" -XX:+UseG1GC -Djava.awt.headless=true \
    -Dkafka.logs.dir="$dir/logs" -Dlog4j2.configurationFile="$here/log4j2.properties" \
    -cp "$cp" kafka.Kafka "$dir/server.properties" > "$dir/logs/stdout.log" 2>&1 < /dev/null &
  pid=$!
  echo "$pid" > "$dir/kafka.pid"
}

parse_size() {  # parse_size VALUE
  case "$1" in
    1|3) echo "$1" ;;
    *) die "--brokers takes 1 or 3 (an odd number of KRaft voters), not '$1'." ;;
  esac
}

check_ports() {  # check_ports SIZE: the nodes' ports must be distinct
  local size=$1 n all=""
  for n in $(seq 1 "$size"); do all="$all $(client_port "$n") $(controller_port "$n")"; done
  [ "$(echo "$all" | tr ' ' '\n' | sed '/^$/d' | sort | uniq -d)" = "" ] \
    || die "with WIJKHUB_KAFKA_PORT=$port and WIJKHUB_KAFKA_CONTROLLER_PORT=$cport the ports of $size nodes overlap (node n uses port+2(n-1) and controller port+2(n-1)); use the controller port = port + 1."
}

start() {
  local size=${WIJKHUB_KAFKA_BROKERS:-1}
  while [ $# -gt 0 ]; do
    case "$1" in
      --brokers) [ $# -ge 2 ] || die "--brokers needs a value (1 or 3)"; size=$2; shift 2 ;;
      --brokers=*) size=${1#--brokers=}; shift ;;
      *) die "unknown option '$1' (kafka.sh start [--brokers 1|3])" ;;
    esac
  done
  size=$(parse_size "$size")
  check_ports "$size"
  need_java
  local pid other
  pid=$(legacy_pid)
  [ -z "$pid" ] || die "an older, unsecured broker from $run_dir is still running (pid $pid); stop it with: $0 stop"
  for other in 1 3; do
    if [ "$other" != "$size" ] && [ -n "$(running_nodes "$other")" ]; then
      die "a $other-node cluster is running; stop it first ($0 stop) to start $size node(s)."
    fi
  done
  local up n t0 cp
  up=$(running_nodes "$size" | wc -l)
  if [ "$up" -eq "$size" ]; then
    for n in $(seq 1 "$size"); do wait_node "$size" "$n"; done
    say "already running ($size node(s)) at $(bootstrap_of "$size")"
    return 0
  fi
  t0=$(date +%s.%N)
  cp=$(classpath)
  ensure_tls
  ensure_passwords
  if [ "$up" -eq 0 ]; then prepare_storage "$size" "$cp"; fi
  echo "$size" > "$run_dir/current"
  for n in $(seq 1 "$size"); do
    [ -n "$(node_pid "$size" "$n")" ] || launch "$size" "$n" "$cp"
  done
  for n in $(seq 1 "$size"); do wait_node "$size" "$n"; done
  say "started $size node(s) at $(bootstrap_of "$size") in $(python3 -c "print(f'{$(date +%s.%N) - $t0:.1f}')")s; Kafka $kafka_version, SASL_SSL/$mechanism, data in $(cluster_dir "$size")"
}

# Stop the given PIDs: SIGTERM (a controlled shutdown), SIGKILL after 30 s.
terminate() {  # terminate LABEL PID
  local label=$1 pid=$2 deadline
  kill -TERM "$pid" 2>/dev/null || true
  deadline=$((SECONDS + 30))
  while kill -0 "$pid" 2>/dev/null && [ $SECONDS -lt $deadline ]; do sleep 0.2; done
  if kill -0 "$pid" 2>/dev/null; then
    say "$label (pid $pid) did not stop within 30s; sending SIGKILL"
    kill -KILL "$pid" 2>/dev/null || true
    while kill -0 "$pid" 2>/dev/null; do sleep 0.1; done
  fi
  say "stopped $label (pid $pid)"
}

stop() {
  local size n pid any=0 pids=()
  pid=$(legacy_pid)
  if [ -n "$pid" ]; then terminate "the older unsecured broker" "$pid"; rm -f "$run_dir/broker.pid"; any=1; fi
  for size in 3 1; do
    for n in $(running_nodes "$size"); do
      pid=$(node_pid "$size" "$n")
      [ -z "$pid" ] || { pids+=("$size:$n:$pid"); kill -TERM "$pid" 2>/dev/null || true; }
    done
  done
  # All nodes get SIGTERM at once (above), so the quorum is there while each shuts down.
  local entry
  for entry in "${pids[@]}"; do
    IFS=: read -r size n pid <<< "$entry"
    terminate "node $n" "$pid"
    rm -f "$(node_dir "$size" "$n")/kafka.pid"
    any=1
  done
  [ "$any" = 1 ] || say "not running"
}

status() {
  local size n pid out up=0 ok=0 pid_legacy
  pid_legacy=$(legacy_pid)
  if [ -n "$pid_legacy" ]; then
    say "an older, unsecured broker from $run_dir is running (pid $pid_legacy); '$0 stop' stops it"
    return 4
  fi
  size=$(current_size)
  for n in $(seq 1 "$size"); do
    pid=$(node_pid "$size" "$n")
    if [ -z "$pid" ]; then say "node $n: not running"; continue; fi
    up=$((up + 1))
    if out=$(probe "$n"); then
      ok=$((ok + 1))
      say "node $n (pid $pid) at 127.0.0.1:$(client_port "$n"): $out"
    else
      say "node $n (pid $pid) is up but does not answer an admin login on 127.0.0.1:$(client_port "$n") (starting, or stuck: see logs)"
    fi
  done
  if [ "$up" -eq 0 ]; then say "not running"; return 3; fi
  [ "$ok" -eq "$size" ] || return 4
}

node_arg() {  # node_arg SIZE VALUE
  case "$2" in
    ''|*[!0-9]*) die "name a node by its number, 1 to $1" ;;
  esac
  [ "$2" -ge 1 ] && [ "$2" -le "$1" ] || die "node $2 does not exist; this cluster has $1 node(s)"
  echo "$2"
}

kill_node() {
  local size n pid
  size=$(current_size)
  n=$(node_arg "$size" "${1:-}")
  pid=$(node_pid "$size" "$n")
  [ -n "$pid" ] || { say "node $n is not running"; return 0; }
  kill -KILL "$pid"
  while kill -0 "$pid" 2>/dev/null; do sleep 0.05; done
  rm -f "$(node_dir "$size" "$n")/kafka.pid"
  say "killed node $n (pid $pid, SIGKILL)"
}

start_node() {  # start_node NODE [--in-sync]
  local size n cp out t0
  need_java
  size=$(current_size)
  n=$(node_arg "$size" "${1:-}")
  [ -f "$(cluster_dir "$size")/formatted" ] || die "the $size-node cluster was never started; run: $0 start --brokers $size"
  t0=$SECONDS
  if [ -z "$(node_pid "$size" "$n")" ]; then
    cp=$(classpath)
    launch "$size" "$n" "$cp"
  fi
  wait_node "$size" "$n" "${2:-}"
  out=$(probe "$n" || true)
  say "node $n (pid $(node_pid "$size" "$n")) is back after $((SECONDS - t0))s: $out"
}

restart_node() {
  local size n pid
  size=$(current_size)
  n=$(node_arg "$size" "${1:-}")
  pid=$(node_pid "$size" "$n")
  if [ -n "$pid" ]; then terminate "node $n" "$pid"; rm -f "$(node_dir "$size" "$n")/kafka.pid"; fi
  start_node "$n" --in-sync
}

env_lines() {
  local size
  size=$(current_size)
  if [ "${1:-}" = "--export" ]; then
    local line
    env_lines | while IFS= read -r line; do printf 'export %s=%q\n' "${line%%=*}" "${line#*=}"; done
    return
  fi
  cat <<ENV
KAFKA_BOOTSTRAP_SERVERS=$(bootstrap_of "$size")
WIJKHUB_KAFKA_SECURITY_PROTOCOL=SASL_SSL
WIJKHUB_KAFKA_SASL_MECHANISM=$mechanism
WIJKHUB_KAFKA_SASL_USERNAME=admin
WIJKHUB_KAFKA_SASL_PASSWORD_FILE=$admin_pw_file
WIJKHUB_KAFKA_SSL_CAFILE=$ca_pem
ENV
}

# Kafka's command-line tools, run from the jar cache with the admin's client.properties.
tool() {
  [ $# -ge 1 ] || die "usage: $0 tool topics|consumer-groups|acls|configs|features|metadata-quorum|get-offsets|log-dirs|delete-records|reassign-partitions|leader-election|console-producer|console-consumer [ARGS...]"
  local name=$1 main flag=--command-config size cp
  shift
  case "$name" in
    topics) main=org.apache.kafka.tools.TopicCommand ;;
    consumer-groups) main=org.apache.kafka.tools.consumer.group.ConsumerGroupCommand ;;
    acls) main=org.apache.kafka.tools.AclCommand ;;
    configs) main=kafka.admin.ConfigCommand ;;
    features) main=org.apache.kafka.tools.FeatureCommand ;;
    metadata-quorum) main=org.apache.kafka.tools.MetadataQuorumCommand ;;
    get-offsets) main=org.apache.kafka.tools.GetOffsetShell ;;
    log-dirs) main=org.apache.kafka.tools.LogDirsCommand ;;
    delete-records) main=org.apache.kafka.tools.DeleteRecordsCommand ;;
    reassign-partitions) main=org.apache.kafka.tools.reassign.ReassignPartitionsCommand ;;
    leader-election) main=org.apache.kafka.tools.LeaderElectionCommand; flag=--admin.config ;;
    console-producer) main=org.apache.kafka.tools.ConsoleProducer; flag=--producer.config ;;
    console-consumer) main=org.apache.kafka.tools.consumer.ConsoleConsumer; flag=--consumer.config ;;
    *) die "unknown tool '$name'; one of: topics consumer-groups acls configs features metadata-quorum get-offsets log-dirs delete-records reassign-partitions leader-election console-producer console-consumer" ;;
  esac
  need_java
  [ -f "$admin_pw_file" ] && [ -f "$ca_pem" ] || die "no admin credentials in $secrets yet; start the broker first: $0 start"
  ensure_passwords
  size=$(current_size)
  cp=$(classpath)
  local live="" n
  for n in $(running_nodes "$size"); do live="${live:+$live,}127.0.0.1:$(client_port "$n")"; done
  exec java -Xmx256m -Dlog4j2.configurationFile="$here/log4j2-tools.properties" -cp "$cp" "$main" \
    --bootstrap-server "${live:-$(bootstrap_of "$size")}" "$flag" "$admin_props" "$@"
}

case "${1:-}" in
  start) shift; start "$@" ;;
  stop) stop ;;
  restart) size=$(current_size); stop; start --brokers "$size" ;;
  status) status ;;
  logs)
    shift
    follow=()
    if [ "${1:-}" = "-f" ]; then follow=(-f); shift; fi
    size=$(current_size)
    n=$(node_arg "$size" "${1:-1}")
    tail -n 200 "${follow[@]}" "$(node_dir "$size" "$n")/logs/server.log" ;;
  env) shift; env_lines "$@" ;;
  kill) shift; kill_node "$@" ;;
  start-node) shift; start_node "${1:-}" ;;
  restart-node) shift; restart_node "$@" ;;
  tool) shift; tool "$@" ;;
  *) echo "usage: $0 start [--brokers 1|3]|stop|restart|status|env [--export]|tool NAME [ARGS]|kill NODE|start-node NODE|restart-node NODE|logs [-f] [NODE]" >&2; exit 2 ;;
esac
