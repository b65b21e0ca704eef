#!/usr/bin/env bash
# Starts the real services the waiting room needs, natively and on loopback:
# Redis and PostgreSQL from Debian's packages, Apache Kafka (KRaft, single node)
# from the official Maven Central jars. Idempotent: what runs is left running,
# what is missing is installed, what is stopped is started.
#
#   scripts/services.sh up|down|status|install|install-browser
#
# Data and logs live under .local/ (git-ignored). `down` stops only what this
# script started (it keeps pid files under .local/run).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
LOCAL="$ROOT/.local"
RUN="$LOCAL/run"
LOGS="$LOCAL/logs"
mkdir -p "$RUN" "$LOGS"

# Ports and credentials: the same defaults as .env.example; a .env may override.
if [ -f "$ROOT/.env" ]; then set -a; . "$ROOT/.env"; set +a; fi
REDIS_PORT="${REDIS_PORT:-6379}"
PG_PORT="${POSTGRES_PORT:-5432}"
PG_USER="${POSTGRES_USER:-waitingroom}"
PG_PASSWORD="${POSTGRES_PASSWORD:-waitingroom}"
PG_DB="${POSTGRES_DB:-waitingroom}"
KAFKA_PORT="${KAFKA_PORT:-9092}"
KAFKA_CONTROLLER_PORT="${KAFKA_CONTROLLER_PORT:-9093}"
KAFKA_HEAP="${KAFKA_HEAP:--Xms256m -Xmx768m}"
WAIT_SECONDS="${SERVICES_WAIT_SECONDS:-90}"

log() { printf '[services] %s\n' "$*"; }
die() { printf '[services] ERROR: %s\n' "$*" >&2; exit 1; }

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# wait_for NAME LOGFILE CMD...: retries CMD until it succeeds or WAIT_SECONDS pass.
wait_for() {
  local name="$1" logfile="$2"; shift 2
  local deadline=$((SECONDS + WAIT_SECONDS))
  until "$@" >/dev/null 2>&1; do
    if [ "$SECONDS" -ge "$deadline" ]; then
      [ -f "$logfile" ] && tail -n 30 "$logfile" >&2
      die "$name did not become ready within ${WAIT_SECONDS}s (log: $logfile)"
    fi
    sleep 0.5
  done
}

apt_updated=0
apt_install() {
  if [ "$apt_updated" = 0 ]; then
    log "apt-get update"
    DEBIAN_FRONTEND=noninteractive apt-get update -qq >/dev/null || die "apt-get update failed"
    apt_updated=1
  fi
  log "apt-get install $*"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null || die "apt-get install $* failed"
}

pg_bin() {
  local dir
  dir="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)"
  [ -n "$dir" ] && echo "$dir"
}

install_redis() { command -v redis-server >/dev/null || apt_install redis-server redis-tools; }
install_postgres() { [ -n "$(pg_bin)" ] || apt_install postgresql postgresql-contrib; }
install_kafka() {
  command -v java >/dev/null || apt_install openjdk-17-jre-headless
  if ! ls "$ROOT"/tools/kafka/target/libs/kafka_2.13-*.jar >/dev/null 2>&1; then
    command -v mvn >/dev/null || apt_install maven
    log "fetching Kafka jars from Maven Central (tools/kafka/pom.xml)"
    (cd "$ROOT/tools/kafka" && mvn -q -B dependency:copy-dependencies \
      -DoutputDirectory=target/libs -DincludeScope=runtime >"$LOGS/kafka-fetch.log" 2>&1) \
      || die "mvn could not fetch the Kafka jars (log: $LOGS/kafka-fetch.log)"
  fi
}

# Debian's Chromium, for the waiting page's browser suite (driven by playwright-core;
# no test tool downloads a browser of its own).
# fonts-nanum: Korean glyphs, so the Korean page renders (and its screenshots read) right.
install_browser() {
  [ -x /usr/bin/chromium ] || apt_install chromium
  [ -d /usr/share/fonts/truetype/nanum ] || apt_install fonts-nanum
}

# ---- Redis -----------------------------------------------------------------
redis_up() {
  install_redis
  if redis-cli -h 127.0.0.1 -p "$REDIS_PORT" ping >/dev/null 2>&1; then
    log "redis already answering on 127.0.0.1:$REDIS_PORT"; return
  fi
  port_open "$REDIS_PORT" && die "port $REDIS_PORT is taken by something that is not Redis"
  mkdir -p "$LOCAL/redis"
  redis-server --bind 127.0.0.1 --port "$REDIS_PORT" --dir "$LOCAL/redis" \
    --daemonize yes --pidfile "$RUN/redis.pid" --logfile "$LOGS/redis.log" \
    --save '' --appendonly no --protected-mode yes --maxclients 10000
  wait_for redis "$LOGS/redis.log" redis-cli -h 127.0.0.1 -p "$REDIS_PORT" ping
  log "redis up on 127.0.0.1:$REDIS_PORT"
}

# ---- PostgreSQL --------------------------------------------------------------
PGDATA_DIR="$LOCAL/postgres/data"
as_postgres() {
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}
pg_ready() { PGPASSWORD="$PG_PASSWORD" psql -h 127.0.0.1 -p "$PG_PORT" -U "$PG_USER" -d "$PG_DB" -Atc 'select 1' ; }
postgres_up() {
  install_postgres
  local bin; bin="$(pg_bin)"
  if pg_ready >/dev/null 2>&1; then
    log "postgres already answering on 127.0.0.1:$PG_PORT"; return
  fi
  if [ ! -s "$PGDATA_DIR/PG_VERSION" ]; then
    log "initialising a PostgreSQL cluster in $PGDATA_DIR"
    mkdir -p "$PGDATA_DIR"
    [ "$(id -u)" = 0 ] && chown -R postgres:postgres "$LOCAL/postgres"
    chmod 700 "$PGDATA_DIR"
    as_postgres "$bin/initdb" -D "$PGDATA_DIR" -U postgres --auth-local=trust --auth-host=scram-sha-256 \
      >"$LOGS/postgres-init.log" 2>&1 || die "initdb failed (log: $LOGS/postgres-init.log)"
  fi
  if ! as_postgres "$bin/pg_ctl" -D "$PGDATA_DIR" status >/dev/null 2>&1; then
    port_open "$PG_PORT" && die "port $PG_PORT is taken by a PostgreSQL that does not know role $PG_USER; set POSTGRES_PORT"
    touch "$LOGS/postgres.log"; [ "$(id -u)" = 0 ] && chown postgres "$LOGS/postgres.log"
    as_postgres "$bin/pg_ctl" -D "$PGDATA_DIR" -l "$LOGS/postgres.log" -w -t "$WAIT_SECONDS" \
      -o "-c listen_addresses=127.0.0.1 -p $PG_PORT -k /tmp -c max_connections=300 -c fsync=on" start >/dev/null \
      || die "postgres did not start (log: $LOGS/postgres.log)"
    echo started >"$RUN/postgres.started"
  fi
  local psql_su=(as_postgres "$bin/psql" -h /tmp -p "$PG_PORT" -U postgres -v ON_ERROR_STOP=1 -Atq)
  if [ "$("${psql_su[@]}" -c "select 1 from pg_roles where rolname='$PG_USER'")" != 1 ]; then
    "${psql_su[@]}" -c "create role \"$PG_USER\" login createdb password '$PG_PASSWORD'"
  fi
  if [ "$("${psql_su[@]}" -c "select 1 from pg_database where datname='$PG_DB'")" != 1 ]; then
    "${psql_su[@]}" -c "create database \"$PG_DB\" owner \"$PG_USER\""
  fi
  wait_for postgres "$LOGS/postgres.log" pg_ready
  log "postgres up on 127.0.0.1:$PG_PORT (database $PG_DB, role $PG_USER)"
}

# ---- Kafka (KRaft) -----------------------------------------------------------
KAFKA_DIR="$LOCAL/kafka"
kafka_java() { java $KAFKA_HEAP -Dlog4j2.configurationFile="$ROOT/tools/kafka/log4j2.properties" \
  -cp "$ROOT/tools/kafka/target/libs/*" "$@"; }
kafka_ready() {
  # A broker is ready when it answers a metadata request.
  kafka_java org.apache.kafka.tools.TopicCommand --bootstrap-server "127.0.0.1:$KAFKA_PORT" --list
}
kafka_up() {
  install_kafka
  if [ -f "$RUN/kafka.pid" ] && kill -0 "$(cat "$RUN/kafka.pid")" 2>/dev/null && port_open "$KAFKA_PORT"; then
    log "kafka already running on 127.0.0.1:$KAFKA_PORT"; return
  fi
  port_open "$KAFKA_PORT" && { log "something already listens on 127.0.0.1:$KAFKA_PORT; using it as Kafka"; return; }
  mkdir -p "$KAFKA_DIR/data"
  sed -e "s#@KAFKA_PORT@#$KAFKA_PORT#g" -e "s#@CONTROLLER_PORT@#$KAFKA_CONTROLLER_PORT#g" \
      -e "s#@DATA_DIR@#$KAFKA_DIR/data#g" "$ROOT/tools/kafka/server.properties.template" >"$KAFKA_DIR/server.properties"
  if [ ! -f "$KAFKA_DIR/data/meta.properties" ]; then
    local cluster_id; cluster_id="$(kafka_java kafka.tools.StorageTool random-uuid 2>/dev/null | tail -n 1)"
    log "formatting Kafka storage (cluster $cluster_id)"
    kafka_java kafka.tools.StorageTool format -t "$cluster_id" -c "$KAFKA_DIR/server.properties" \
      >"$LOGS/kafka-format.log" 2>&1 || die "Kafka storage format failed (log: $LOGS/kafka-format.log)"
  fi
  log "starting Kafka on 127.0.0.1:$KAFKA_PORT"
  nohup java $KAFKA_HEAP -XX:+UseG1GC -Djava.awt.headless=true \
    -Dlog4j2.configurationFile="$ROOT/tools/kafka/log4j2.properties" \
    -cp "$ROOT/tools/kafka/target/libs/*" kafka.Kafka "$KAFKA_DIR/server.properties" \
    >"$LOGS/kafka.log" 2>&1 </dev/null &
  echo $! >"$RUN/kafka.pid"
  wait_for kafka "$LOGS/kafka.log" port_open "$KAFKA_PORT"
  wait_for kafka "$LOGS/kafka.log" kafka_ready
  log "kafka up on 127.0.0.1:$KAFKA_PORT"
}

stop_pid() {
  local name="$1" pidfile="$RUN/$1.pid"
  [ -f "$pidfile" ] || return 0
  local pid; pid="$(cat "$pidfile")"
  if kill -0 "$pid" 2>/dev/null; then
    log "stopping $name (pid $pid)"
    kill "$pid"
    for _ in $(seq 1 60); do kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
    kill -0 "$pid" 2>/dev/null && kill -9 "$pid"
  fi
  rm -f "$pidfile"
}

down() {
  stop_pid kafka
  stop_pid redis
  if [ -f "$RUN/postgres.started" ]; then
    log "stopping postgres"
    as_postgres "$(pg_bin)/pg_ctl" -D "$PGDATA_DIR" -m fast stop >/dev/null 2>&1 || true
    rm -f "$RUN/postgres.started"
  fi
}

status() {
  local rc=0
  if redis-cli -h 127.0.0.1 -p "$REDIS_PORT" ping >/dev/null 2>&1; then log "redis    up   127.0.0.1:$REDIS_PORT"; else log "redis    down"; rc=1; fi
  if pg_ready >/dev/null 2>&1; then log "postgres up   127.0.0.1:$PG_PORT"; else log "postgres down"; rc=1; fi
  if port_open "$KAFKA_PORT"; then log "kafka    up   127.0.0.1:$KAFKA_PORT"; else log "kafka    down"; rc=1; fi
  return $rc
}

case "${1:-up}" in
  up) redis_up; postgres_up; kafka_up ;;
  down) down ;;
  status) status ;;
  install) install_redis; install_postgres; install_kafka; install_browser ;;
  install-browser) install_browser ;;
  kafka-java) shift; install_kafka; kafka_java "$@" ;;
  *) die "usage: $0 up|down|status|install|install-browser|kafka-java CLASS ARGS" ;;
esac
