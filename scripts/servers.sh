#!/usr/bin/env bash
# Starts or stops the servers the adapter tests use, on loopback, as
# ../shared/ENV.md describes, and prints the environment the tests read:
#   redis        127.0.0.1:6390 and a unix socket; DEBUG enabled from loopback
#                (a test can stall the server to prove timeouts); the default
#                user has no password, the ACL user "dualstore" has one.
#   redis-crash  127.0.0.1:6391, password only (requirepass), append-only file
#                fsynced on every write: the server the restart tests kill -9.
#   pg           PostgreSQL on 127.0.0.1:5440 (initdb refuses root, so it runs
#                as the postgres user).
#   pg-crash     a second PostgreSQL cluster on 127.0.0.1:5441: the server the
#                restart tests stop with `pg_ctl stop -m immediate`.
# The restart tests use servers of their own so that no other test, running
# in parallel, sees the outage.
#   scripts/servers.sh start         # idempotent; prints the environment to export
#   scripts/servers.sh stop
#   scripts/servers.sh crash NAME    # redis-crash: kill -9; pg-crash: immediate stop
#   scripts/servers.sh start NAME    # starts one server again
# DUALSTORE_PORT_OFFSET=N moves every port up by N and the directories to
# /tmp/ds-N-*: a second set of servers beside a running one.
set -euo pipefail

self=$(realpath "${BASH_SOURCE[0]}")
offset=${DUALSTORE_PORT_OFFSET:-0}
dirs=/tmp/ds
((offset == 0)) || dirs=/tmp/ds-$offset
redis_port=$((6390 + offset))
redis_dir=$dirs-redis
redis_acl_password=dualstore-acl-secret
redis_crash_port=$((6391 + offset))
redis_crash_dir=$dirs-redis-crash
redis_crash_password=dualstore-crash-secret
pg_port=$((5440 + offset))
pg_dir=$dirs-pg
pg_crash_port=$((5441 + offset))
pg_crash_dir=$dirs-pg-crash

as_postgres() {
  if [[ $(id -un) == postgres ]]; then "$@"; else runuser -u postgres -- "$@"; fi
}
pg_bin() { pg_config --bindir 2>/dev/null || ls -d /usr/lib/postgresql/*/bin | tail -1; }

# start_postgresql DIR PORT: initialises the cluster in DIR when missing and
# starts it on PORT unless it already answers.
start_postgresql() {
  local dir=$1 port=$2 bin
  bin=$(pg_bin)
  if ! "$bin/pg_isready" -q -h 127.0.0.1 -p "$port"; then
    install -d -o postgres -g postgres "$dir"
    if [[ ! -f "$dir/data/PG_VERSION" ]]; then
      as_postgres "$bin/initdb" -D "$dir/data" -A trust -U postgres --no-sync >"$dir/initdb.log"
    fi
    as_postgres "$bin/pg_ctl" -D "$dir/data" -l "$dir/log" \
      -o "-p $port -k $dir -c listen_addresses=127.0.0.1 -c fsync=off" -w start >/dev/null
  fi
  "$bin/pg_isready" -q -h 127.0.0.1 -p "$port" || { echo "servers: PostgreSQL on port $port did not start" >&2; exit 1; }
}

# start_redis PORT DIR ARGS...: starts redis-server on PORT unless it answers,
# and waits until it does.
start_redis() {
  local port=$1 dir=$2
  shift 2
  mkdir -p "$dir"
  if ! redis-cli -p "$port" ping 2>/dev/null | grep -q -e PONG -e NOAUTH; then
    redis-server --port "$port" --bind 127.0.0.1 --daemonize yes \
      --pidfile "$dir/redis.pid" --dir "$dir" --save '' --logfile "$dir/redis.log" "$@"
  fi
  for _ in $(seq 1 100); do
    redis-cli -p "$port" ping 2>/dev/null | grep -q -e PONG -e NOAUTH && return
    sleep 0.1
  done
  echo "servers: Redis on port $port did not start" >&2
  exit 1
}

start_one() {
  case "$1" in
    redis)
      start_redis "$redis_port" "$redis_dir" --appendonly no --enable-debug-command local \
        --unixsocket "$redis_dir/redis.sock" --unixsocketperm 700 \
        --user dualstore on ">$redis_acl_password" '~*' '&*' '+@all' ;;
    redis-crash)
      start_redis "$redis_crash_port" "$redis_crash_dir" --requirepass "$redis_crash_password" \
        --appendonly yes --appendfsync always ;;
    pg) start_postgresql "$pg_dir" "$pg_port" ;;
    pg-crash) start_postgresql "$pg_crash_dir" "$pg_crash_port" ;;
    *) echo "servers: no server named $1 (redis, redis-crash, pg, pg-crash)" >&2; exit 2 ;;
  esac
}

start_all() {
  local name
  for name in redis redis-crash pg pg-crash; do start_one "$name"; done
  echo "DUALSTORE_SERVERS=$self"
  ((offset == 0)) || echo "DUALSTORE_PORT_OFFSET=$offset"
  echo "DUALSTORE_REDIS_URL=redis://127.0.0.1:$redis_port"
  echo "DUALSTORE_REDIS_SOCKET_URL=unix://$redis_dir/redis.sock"
  echo "DUALSTORE_REDIS_ACL_URL=redis://dualstore:$redis_acl_password@127.0.0.1:$redis_port"
  echo "DUALSTORE_REDIS_CRASH_URL=redis://:$redis_crash_password@127.0.0.1:$redis_crash_port"
  echo "DUALSTORE_PG_DSN=host=127.0.0.1 port=$pg_port user=postgres dbname=postgres connect_timeout=5"
  echo "DUALSTORE_PG_CRASH_DSN=host=127.0.0.1 port=$pg_crash_port user=postgres dbname=postgres"
}

# Kills NAME the hard way and returns once it is gone.
crash() {
  case "$1" in
    redis-crash)
      local pid
      pid=$(cat "$redis_crash_dir/redis.pid")
      kill -9 "$pid"
      while kill -0 "$pid" 2>/dev/null; do sleep 0.05; done
      rm -f "$redis_crash_dir/redis.pid" ;;
    pg-crash) as_postgres "$(pg_bin)/pg_ctl" -D "$pg_crash_dir/data" -m immediate -w stop >/dev/null ;;
    *) echo "servers: only redis-crash and pg-crash can be crashed" >&2; exit 2 ;;
  esac
}

stop_redis() {
  if [[ -f "$1/redis.pid" ]]; then
    kill "$(cat "$1/redis.pid")" 2>/dev/null || true
    rm -f "$1/redis.pid"
  fi
}
stop_postgresql() {
  if [[ -f "$1/data/postmaster.pid" ]]; then
    kill -INT "$(head -1 "$1/data/postmaster.pid")" 2>/dev/null || true
  fi
}

case "${1:-}" in
  start) if [[ -n "${2:-}" ]]; then start_one "$2"; else start_all; fi ;;
  crash) crash "${2:?usage: $0 crash NAME}" ;;
  stop)
    stop_redis "$redis_dir"; stop_redis "$redis_crash_dir"
    stop_postgresql "$pg_dir"; stop_postgresql "$pg_crash_dir" ;;
  *) echo "usage: $0 start [NAME] | stop | crash NAME" >&2; exit 2 ;;
esac
