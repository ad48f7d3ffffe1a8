#!/usr/bin/env bash
# Sets wal_level=logical on this machine's PostgreSQL, which the logical-replication trigger
# (on.postgres with `table:`) and its services tests need. Idempotent: when the running server already
# has wal_level=logical it does nothing; otherwise it sets it with ALTER SYSTEM and restarts the cluster
# once (a restart drops every open connection, so run this before the tests start, not during them).
set -euo pipefail

PSQL=(psql -h 127.0.0.1 -p 5432 -U postgres -d postgres -v ON_ERROR_STOP=1 -Atq)
VERSION="$(ls /etc/postgresql | head -n1)"

if ! pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null; then
  pg_ctlcluster --skip-systemctl-redirect "$VERSION" main start
fi
for _ in $(seq 1 30); do pg_isready -q -h 127.0.0.1 -p 5432 && break; sleep 1; done

current="$("${PSQL[@]}" -c 'SHOW wal_level')"
if [ "$current" = "logical" ]; then
  echo "postgres-logical: wal_level is already logical"
  exit 0
fi

"${PSQL[@]}" -c "ALTER SYSTEM SET wal_level = 'logical'"
# Each logical-replication trigger holds one slot and one WAL sender; the defaults (10) leave room.
pg_ctlcluster --skip-systemctl-redirect "$VERSION" main restart
for _ in $(seq 1 30); do pg_isready -q -h 127.0.0.1 -p 5432 && break; sleep 1; done
now="$("${PSQL[@]}" -c 'SHOW wal_level')"
if [ "$now" != "logical" ]; then
  echo "postgres-logical: wal_level is '$now' after the restart, expected 'logical'" >&2
  exit 1
fi
echo "postgres-logical: wal_level set to logical (the cluster was restarted)"
