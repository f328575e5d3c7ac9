#!/usr/bin/env bash
# Run a command with a Kafka broker: KAFKA_BOOTSTRAP_SERVERS when set (with the
# WIJKHUB_KAFKA_* security settings of the environment), otherwise the local secured broker,
# started here if it is not running and then stopped again when the command ends — also on
# failure or Ctrl-C. The command gets the local broker's connection settings
# (`kafka.sh env`: bootstrap servers, SASL_SSL, the admin login, the CA file) in its
# environment.
#
#   deploy/local/with-kafka.sh COMMAND [ARGS...]
set -uo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

if [ -n "${KAFKA_BOOTSTRAP_SERVERS:-}" ]; then
  echo "with-kafka: using the existing cluster at $KAFKA_BOOTSTRAP_SERVERS (security: ${WIJKHUB_KAFKA_SECURITY_PROTOCOL:-PLAINTEXT})"
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
env_lines=$("$here/kafka.sh" env) || exit 1
while IFS= read -r line; do
  [ -n "$line" ] && export "${line?}"
done <<< "$env_lines"
"$@"
