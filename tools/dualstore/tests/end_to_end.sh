#!/bin/sh
# End to end test of the dualstore tool over SQLite and GDBM files and, when
# DUALSTORE_REDIS_URL and DUALSTORE_PG_DSN are set (scripts/servers.sh), from
# Redis to PostgreSQL. Usage: end_to_end.sh TOOL SEED WORK_DIR
set -eu
tool=$1 seed=$2 dir=$3
rm -rf "$dir" && mkdir -p "$dir" && cd "$dir"

fail() { echo "FAILED: $*" >&2; exit 1; }
# expect STATUS PATTERN COMMAND...: runs COMMAND, checks its exit status and
# that its output (stdout and stderr, lines joined) matches the grep -E PATTERN.
expect() {
  want=$1 pattern=$2; shift 2
  set +e; out=$("$@" 2>&1); got=$?; set -e
  printf '$ %s\n%s\n' "$*" "$out"
  [ "$got" -eq "$want" ] || fail "exit status $got, expected $want: $*"
  printf '%s' "$out" | tr '\n' ' ' | grep -Eq -- "$pattern" || fail "no /$pattern/ in the output of: $*"
}

"$seed" gdbm:old.gdbm 500 base
"$seed" sqlite:new.db 500 drifted

# diff: every key; 50 missing, 50 changed, 10 extra; exit 1 on drift.
expect 1 "401 matching, 50 mismatched, 50 only in gdbm:old.gdbm, 10 only in sqlite:new.db, 0 errors" \
  "$tool" diff gdbm:old.gdbm sqlite:new.db
expect 1 '"mismatched": 50, "extra_in_from": 50, "extra_in_to": 10, "errors": 0' \
  "$tool" diff gdbm:old.gdbm sqlite:new.db --json --list 5
[ "$(printf '%s' "$out" | grep -o '"key":' | wc -l)" -eq 5 ] || fail "--list 5 did not cap the keys at 5"
expect 1 '"mode": "sampled", "checked": 40,' "$tool" diff gdbm:old.gdbm sqlite:new.db --sample 40 --seed 7 --json

# drain: the queue names the 100 missing or changed keys; the drain repairs them.
"$seed" sqlite:queue.db 500 queue
expect 0 "100 waiting" "$tool" queue stats sqlite:queue.db
expect 0 "repaired 100, still failing 0, dead-lettered 0.*; 0 waiting" \
  "$tool" drain sqlite:queue.db gdbm:old.gdbm sqlite:new.db
expect 0 '"waiting": 0, "dead_letters": 0' "$tool" queue stats sqlite:queue.db --json
expect 1 "501 matching, 0 mismatched, 0 only in gdbm:old.gdbm, 10 only in sqlite:new.db" \
  "$tool" diff gdbm:old.gdbm sqlite:new.db

# repair: the extra keys go; then no drift.
expect 0 "10 only in sqlite:new.db, 0 errors, 10 repaired" "$tool" repair gdbm:old.gdbm sqlite:new.db
expect 0 "501 matching, 0 mismatched, 0 only in gdbm:old.gdbm, 0 only in sqlite:new.db" \
  "$tool" diff gdbm:old.gdbm sqlite:new.db

# copy: interrupted after 3 batches, resumed from its checkpoint, complete.
expect 0 "scanned 150, written 150.*incomplete.*run the same command again to resume" \
  "$tool" copy gdbm:old.gdbm "sqlite:copy.db#table=orders" --batch-size 50 --max-batches 3 --checkpoint copy.ckpt
[ -s copy.ckpt ] || fail "no checkpoint after an interrupted copy"
expect 0 "scanned 351, written 351.* complete" \
  "$tool" copy gdbm:old.gdbm "sqlite:copy.db#table=orders" --batch-size=50 --checkpoint copy.ckpt
[ ! -e copy.ckpt ] || fail "the checkpoint outlived a complete copy"
expect 0 "501 matching, 0 mismatched" "$tool" diff gdbm:old.gdbm "sqlite:copy.db#table=orders"
# copy: killed (SIGKILL) mid-run, the same command resumes from the checkpoint.
"$tool" copy sqlite:new.db sqlite:killed.db --batch-size 10 --rate 200 --checkpoint killed.ckpt \
  > /dev/null 2>&1 &
copier=$!
sleep 1
kill -KILL "$copier" 2>/dev/null || fail "the slow copy ended before it could be killed"
wait "$copier" 2>/dev/null || true
[ -s killed.ckpt ] || fail "no checkpoint after a killed copy"
expect 0 "complete" "$tool" copy sqlite:new.db sqlite:killed.db --batch-size 10 --checkpoint killed.ckpt
expect 0 "501 matching, 0 mismatched, 0 only in" "$tool" diff sqlite:new.db sqlite:killed.db
expect 0 "scanned 501, written 501" "$tool" copy gdbm:old.gdbm sqlite:dry.db --dry-run
expect 1 "0 matching, 0 mismatched, 501 only in" "$tool" diff gdbm:old.gdbm sqlite:dry.db

# diff --bisect: digests of key ranges find the 440 differing keys; repair
# --bisect copies them; then the digests agree.
"$seed" sqlite:b1.db 2000 base
"$seed" sqlite:b2.db 2000 drifted
expect 1 "440 keys checked: 0 matching, 200 mismatched, 200 only in sqlite:b1.db, 40 only in sqlite:b2.db" \
  "$tool" diff --bisect sqlite:b1.db sqlite:b2.db
expect 1 "bisect read [0-9]+ bytes from sqlite:b1.db" "$tool" diff --bisect sqlite:b1.db sqlite:b2.db
expect 1 '"mode": "bisect".*"bytes_read_from": [0-9]+' "$tool" diff --bisect sqlite:b1.db sqlite:b2.db --json
expect 0 "440 repaired" "$tool" repair --bisect sqlite:b1.db sqlite:b2.db
expect 0 "0 keys checked" "$tool" diff --bisect sqlite:b1.db sqlite:b2.db
expect 1 "no range digests.*comparing every key instead.*\(full\): 2001 keys checked: 501 matching" \
  "$tool" diff --bisect gdbm:old.gdbm sqlite:b1.db
expect 2 "excludes" "$tool" diff --bisect --sample 5 sqlite:b1.db sqlite:b2.db

# Bad usage: status 2 and a clear message; a store that fails: status 3,
# its password never shown.
expect 2 "not a store URL" "$tool" diff mongodb://x sqlite:new.db
expect 2 "unknown option '#tabel=x'" "$tool" diff "sqlite:new.db#tabel=x" sqlite:new.db
expect 2 "batch-size" "$tool" copy --batch-size 0 gdbm:old.gdbm sqlite:x.db
expect 2 "conflict" "$tool" copy --conflict newest gdbm:old.gdbm sqlite:x.db
expect 2 "frobnicate" "$tool" frobnicate
expect 2 "kind" "$tool" queue stats sqlite:queue.db --kind rabbitmq
expect 2 "a redis-stream queue needs a redis:// or unix:// URL" \
  "$tool" queue stats sqlite:queue.db --kind redis-stream
expect 3 "redis" "$tool" queue stats "redis://:hunter2-secret@127.0.0.1:1/0"
printf '%s' "$out" | grep -q hunter2-secret && fail "the password appeared in an error"
expect 3 "gdbm" "$tool" diff gdbm:missing/dir/x.gdbm sqlite:new.db

# soak-report: a json_log of every operation, read back as a Markdown table.
cat > soak.ndjson <<'LOG'
{"ts":"2026-11-24T00:00:00.000000Z","level":"debug","event":"operation","op":"put","side":"secondary","attempts":1,"duration_ms":9.000}
{"ts":"2026-11-24T00:00:00.000000Z","level":"debug","event":"operation","op":"put","side":"secondary","attempts":1,"duration_ms":1.000}
{"ts":"2026-11-24T00:00:00.000000Z","level":"debug","event":"operation","op":"put","side":"secondary","attempts":1,"duration_ms":3.000}
LOG
expect 0 "\| put \| secondary \| warm \| 2 \| 1.000 \| 3.000 \| 3.000 \|" "$tool" soak-report soak.ndjson
expect 2 "cannot be read" "$tool" soak-report missing.ndjson

# Redis -> PostgreSQL on the servers scripts/servers.sh starts.
if [ -n "${DUALSTORE_REDIS_URL:-}" ] && [ -n "${DUALSTORE_PG_DSN:-}" ]; then
  redis="$DUALSTORE_REDIS_URL/4#prefix=e2e:"
  pg="postgresql:$DUALSTORE_PG_DSN#table=dualstore_tool_e2e"
  "$seed" "$redis" 300 base
  expect 0 "scanned 301, written 301.* complete" "$tool" copy "$redis" "$pg" --conflict overwrite --progress
  expect 0 "301 matching, 0 mismatched" "$tool" diff "$redis" "$pg"
  expect 0 '"checked": 301' "$tool" diff "$pg" "$redis" --json
  # A sample hashed on the Redis server is the one hashed here.
  expect 0 "50 keys checked: 50 matching" "$tool" diff "$redis" "$pg" --sample 50 --seed 9
  expect 0 "50 keys checked: 50 matching" "$tool" diff "$redis&sampling=server" "$pg" --sample 50 --seed 9
  expect 0 "50 keys checked: 50 matching" \
    "$tool" diff "$redis&sampling=server&sample_page=7" "$pg" --sample 50 --seed 9
  expect 2 "#sample_page=0 is not a positive number of keys" "$tool" diff "$redis&sample_page=0" "$pg"
  expect 2 "#sampling=fast is neither client nor server" "$tool" diff "$redis&sampling=fast" "$pg"
  expect 2 "unknown option '#colour=red' \\(this engine takes #prefix=\.\.\., #sampling=\.\.\., #sample_page=\.\.\.\)" \
    "$tool" diff "$redis&colour=red" "$pg"

  # The digests of SQLite and PostgreSQL agree on equal data.
  pg_copy="postgresql:$DUALSTORE_PG_DSN#table=dualstore_tool_e2e_bisect_$$"
  expect 0 "complete" "$tool" copy sqlite:b1.db "$pg_copy"
  expect 0 "0 keys checked" "$tool" diff --bisect sqlite:b1.db "$pg_copy"
  "$seed" "$pg_copy" 2000 drifted  # changes 200 values, adds 40 keys
  expect 1 "240 keys checked: 0 matching, 200 mismatched, 0 only in sqlite:b1.db, 40 only in" \
    "$tool" diff --bisect sqlite:b1.db "$pg_copy"

  # copy --job: processes share one copy through Redis; the first is killed
  # mid-partition, two more finish it (its partition once its lease lapses).
  job_to="postgresql:$DUALSTORE_PG_DSN#table=dualstore_tool_e2e_job_$$"
  job_args="--job e2e-$$ --coordinate $DUALSTORE_REDIS_URL/5 --partitions 4 --lease 2"
  # shellcheck disable=SC2086  # job_args is a list of words
  "$tool" copy sqlite:b1.db "$job_to" $job_args --batch-size 10 --rate 200 > /dev/null 2>&1 &
  victim=$!
  sleep 1
  kill -KILL "$victim" 2>/dev/null || fail "the slow job worker ended before it could be killed"
  wait "$victim" 2>/dev/null || true
  # shellcheck disable=SC2086
  "$tool" copy sqlite:b1.db "$job_to" $job_args > job1.log 2>&1 &
  first=$!
  # shellcheck disable=SC2086
  "$tool" copy sqlite:b1.db "$job_to" $job_args > job2.log 2>&1 &
  second=$!
  wait "$first" || fail "a job worker failed: $(cat job1.log)"
  wait "$second" || fail "a job worker failed: $(cat job2.log)"
  cat job1.log job2.log
  # Every record scanned once in the tally: the killed worker's partition
  # went on from its checkpoint (records it wrote past it are kept, not
  # written again: keep-target).
  grep -Eq "job: 4 of 4 partitions done, scanned 2001, written [0-9]+, failed 0, complete" \
    job1.log || fail "the shared copy did not complete once"
  expect 0 "2001 keys checked: 2001 matching" "$tool" diff sqlite:b1.db "$job_to"
  # shellcheck disable=SC2086
  expect 0 "this worker: 0 partitions finished.*4 of 4 partitions done" \
    "$tool" copy sqlite:b1.db "$job_to" $job_args
  expect 2 "excludes --job" "$tool" copy sqlite:b1.db "$job_to" --checkpoint x --job x \
    --coordinate "$DUALSTORE_REDIS_URL/5"
  expect 2 "coordinate needs a Redis" "$tool" copy sqlite:b1.db "$job_to" --job x --coordinate gdbm:x

  # Native queues: a Redis stream and a PostgreSQL table, inspected and drained.
  "$seed" gdbm:native.gdbm 500 base
  for kind in redis-stream postgresql; do
    case $kind in
      redis-stream) queue="$DUALSTORE_REDIS_URL/4" name="{e2e:retry:$$}" ;;
      postgresql) queue="postgresql:$DUALSTORE_PG_DSN" name="dualstore_tool_e2e_queue_$$" ;;
    esac
    "$seed" "sqlite:native-$kind.db" 500 drifted
    "$seed" "$queue" 500 queue "$kind" "$name"
    expect 0 "100 waiting, 0 dead letters" "$tool" queue stats "$queue" --kind "$kind" --name "$name"
    expect 0 "repaired 100, still failing 0, dead-lettered 0.*; 0 waiting" \
      "$tool" drain "$queue" gdbm:native.gdbm "sqlite:native-$kind.db" --kind "$kind" --name "$name"
    expect 0 '"kind": "'"$kind"'", "waiting": 0' \
      "$tool" queue stats "$queue" --kind "$kind" --name "$name" --json
  done
fi
echo "end_to_end: all checks passed"
