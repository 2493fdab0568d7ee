#!/usr/bin/env bash
# Starts or stops the servers the adapter tests use, on loopback, as
# ../shared/ENV.md describes: Redis on 127.0.0.1:6390 (DEBUG enabled from
# loopback, so a test can stall the server to prove timeouts), PostgreSQL on
# 127.0.0.1:5440 (initdb refuses root, so it runs as the postgres user).
#   scripts/servers.sh start   # idempotent; prints the environment to export
#   scripts/servers.sh stop
set -euo pipefail

redis_dir=/tmp/ds-redis
redis_port=6390
pg_dir=/tmp/ds-pg
pg_port=5440

as_postgres() {
  if [[ $(id -un) == postgres ]]; then "$@"; else runuser -u postgres -- "$@"; fi
}

start_postgresql() {
  local bin
  bin=$(pg_config --bindir 2>/dev/null || ls -d /usr/lib/postgresql/*/bin | tail -1)
  if ! "$bin/pg_isready" -q -h 127.0.0.1 -p "$pg_port"; then
    install -d -o postgres -g postgres "$pg_dir"
    if [[ ! -f "$pg_dir/data/PG_VERSION" ]]; then
      as_postgres "$bin/initdb" -D "$pg_dir/data" -A trust -U postgres --no-sync >"$pg_dir/initdb.log"
    fi
    as_postgres "$bin/pg_ctl" -D "$pg_dir/data" -l "$pg_dir/log" \
      -o "-p $pg_port -k $pg_dir -c listen_addresses=127.0.0.1 -c fsync=off" -w start >/dev/null
  fi
  "$bin/pg_isready" -q -h 127.0.0.1 -p "$pg_port" || { echo "servers: PostgreSQL did not start" >&2; exit 1; }
  echo "DUALSTORE_PG_DSN=host=127.0.0.1 port=$pg_port user=postgres dbname=postgres connect_timeout=5"
}

start() {
  mkdir -p "$redis_dir"
  if ! redis-cli -p "$redis_port" ping >/dev/null 2>&1; then
    redis-server --port "$redis_port" --bind 127.0.0.1 --daemonize yes \
      --pidfile "$redis_dir/redis.pid" --dir "$redis_dir" --save '' \
      --appendonly no --logfile "$redis_dir/redis.log" --enable-debug-command local
    for _ in $(seq 1 100); do
      redis-cli -p "$redis_port" ping >/dev/null 2>&1 && break
      sleep 0.1
    done
    redis-cli -p "$redis_port" ping >/dev/null || { echo "servers: Redis did not start" >&2; exit 1; }
  fi
  echo "DUALSTORE_REDIS_URL=redis://127.0.0.1:$redis_port"
  start_postgresql
}

stop() {
  if [[ -f "$redis_dir/redis.pid" ]]; then
    kill "$(cat "$redis_dir/redis.pid")" 2>/dev/null || true
    rm -f "$redis_dir/redis.pid"
  fi
  if [[ -f "$pg_dir/data/postmaster.pid" ]]; then
    kill -INT "$(head -1 "$pg_dir/data/postmaster.pid")" 2>/dev/null || true
  fi
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  *) echo "usage: $0 start|stop" >&2; exit 2 ;;
esac
