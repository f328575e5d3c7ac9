#!/usr/bin/env bash
# Run a command with a Kafka broker: KAFKA_BOOTSTRAP_SERVERS when set, otherwise the local
# single-node broker, started here if it is not running and then stopped again when the
# command ends — also on failure or Ctrl-C.
#
#   deploy/local/with-kafka.sh COMMAND [ARGS...]
set -uo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

if [ -n "${KAFKA_BOOTSTRAP_SERVERS:-}" ]; then
  echo "with-kafka: using the existing cluster at $KAFKA_BOOTSTRAP_SERVERS"
  exec "$@"
fi

started=0
cleanup() {
  local code=$?
  trap - EXIT INT TERM
  if [ "$started" = 1 ]; then "$here/kafka.sh" stop; fi
  exit "$code"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

if ! "$here/kafka.sh" status >/dev/null 2>&1; then
  "$here/kafka.sh" start || exit 1
  started=1
else
  echo "with-kafka: reusing the local broker that was already running (it stays up)"
fi
export KAFKA_BOOTSTRAP_SERVERS
KAFKA_BOOTSTRAP_SERVERS=$("$here/kafka.sh" env | cut -d= -f2)
"$@"
