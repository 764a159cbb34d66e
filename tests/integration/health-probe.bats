#!/usr/bin/env bats
# health-probe against real PostgreSQL 15: a primary and a streaming replica,
# healthy, stopped, hung (SIGSTOP) and with roles the topology gets wrong.

load helper

setup() {
	pg_workdir >/dev/null
	# A directory the server user may enter: commands run as it start here.
	cd "$PG_WORKDIR" || return 1
	pg_start primary
	# The replica is a base backup of the primary that streams from it (-R).
	as_pg_user "$PG_BINDIR/pg_basebackup" -h 127.0.0.1 -p "$PORT_primary" -U postgres \
		-R -X stream -D "$(pg_workdir)/replica" >"$(pg_workdir)/basebackup.log" 2>&1 || {
		cat "$(pg_workdir)/basebackup.log" >&2
		return 1
	}
	pg_start_existing replica "$(free_port)"
	wait_streaming "$PORT_replica"
}

teardown() {
	pg_stop_all
}

# Wait until the replica's WAL receiver streams (received_lsn is null before).
wait_streaming() {
	local i
	for i in $(seq 1 300); do
		[ "$(pg_psql "$1" -c "SELECT count(*) FROM pg_stat_wal_receiver WHERE status = 'streaming'")" = 1 ] && return 0
		sleep 0.1
	done
	echo "the replica on port $1 never started streaming" >&2
	return 1
}

# topology PRIMARY_ROLE REPLICA_ROLE: the two servers as shard s1.
topology() {
	cat <<EOF
{
  "format": "shardkit-topology/1",
  "version": 4,
  "mode": "primary-replica",
  "replication_factor": 2,
  "vnodes": 256,
  "hash": { "algorithm": "xxh3-64", "seed": 0 },
  "tables": [],
  "servers": [
    { "id": "pg1", "conninfo": "host=127.0.0.1 port=$PORT_primary user=postgres dbname=postgres",
      "zone": "a", "state": "up", "role": "${1:-primary}", "shard": "s1" },
    { "id": "pg2", "conninfo": "host=127.0.0.1 port=$PORT_replica user=postgres dbname=postgres",
      "zone": "b", "state": "up", "role": "${2:-replica}", "shard": "s1" }
  ],
  "shards": [ { "id": "s1", "state": "active" } ],
  "migrations": []
}
EOF
}

# As in tests/cli/helper.bash, which this helper does not share.


# An LSN's text form as a number of bytes.
lsn_bytes() {
	echo $(( (0x${1%/*} << 32) | 0x${1#*/} ))
}

field() {
	jq -r "$1" <<<"$output"
}

@test "a healthy primary and replica exit 0 with roles, LSNs and lag" {
	pg_psql "$PORT_primary" -c "CREATE TABLE t AS SELECT generate_series(1, 10000) AS x"
	topology >topo.json
	run --separate-stderr health-probe -t topo.json --timeout 10
	assert_status 0
	assert_stderr ""
	[ "$(field .summary.status)" = healthy ]
	[ "$(field '[.servers[].reachable] | all')" = true ]
	[ "$(field '[.servers[].matches_topology] | all')" = true ]
	[ "$(field '[.servers[].read_only] | tostring')" = '[false,false]' ]
	[ "$(field .summary.read_only_primaries)" = 0 ]
	[ "$(field '.servers[0].observed_role')" = primary ]
	[ "$(field '.servers[1].observed_role')" = replica ]
	[ "$(field '.servers[0].timeline')" = 1 ]
	[ "$(field '.servers[1].timeline')" = 1 ]
	[ "$(field '.servers[0].lag_bytes')" = 0 ]
	[ "$(field '.servers[0].received_lsn')" = null ]
	[ "$(field '.servers[1].current_lsn')" = null ]
	[ "$(field '.servers[1].received_lsn')" != null ]
	# The replica's lag is the primary's position minus its replay position.
	head=$(lsn_bytes "$(field '.servers[0].current_lsn')")
	replayed=$(lsn_bytes "$(field '.servers[1].replayed_lsn')")
	expected=$(( head > replayed ? head - replayed : 0 ))
	[ "$(field '.servers[1].lag_bytes')" = "$expected" ]
	[ "$(field '.servers[0].max_connections')" = 100 ]
	[ "$(field '.servers[0].connections')" -ge 1 ]
	[ "$(field '.servers[0].database_size_bytes')" -gt 0 ]
	[ "$(field '.servers[0].latency_ms > 0')" = true ]
}

@test "a stopped primary exits 6 with its connection error" {
	pg_stop primary
	topology >topo.json
	run --separate-stderr health-probe -t topo.json --timeout 10
	assert_status 6
	[ "$(field '.servers[0].reachable')" = false ]
	[ "$(field '.servers[0].error')" = "connection to server at \"127.0.0.1\", port $PORT_primary failed: Connection refused" ]
	# The replica is up, but its lag has no primary to be measured against.
	[ "$(field '.servers[1].reachable')" = true ]
	[ "$(field '.servers[1].lag_bytes')" = null ]
	[ "$(field .summary.down)" = 1 ]
	[ "$(field .summary.status)" = down ]
}

@test "a read-only primary is reported read_only and the summary degraded, exit 7" {
	pg_psql "$PORT_primary" -c "ALTER SYSTEM SET default_transaction_read_only = on" >/dev/null
	pg_psql "$PORT_primary" -c "SELECT pg_reload_conf()" >/dev/null
	# The reload is a signal: wait until new sessions see the setting.
	for i in $(seq 1 100); do
		[ "$(pg_psql "$PORT_primary" -c "SHOW default_transaction_read_only")" = on ] && break
		sleep 0.1
	done
	# It answers and is no replica, but it takes no writes.
	run pg_psql "$PORT_primary" -c "CREATE TABLE w (x int)"
	[ "$status" -ne 0 ]
	topology >topo.json
	run --separate-stderr health-probe -t topo.json --timeout 10
	assert_status 7
	assert_stderr ""
	[ "$(field '.servers[0].observed_role')" = primary ]
	[ "$(field '.servers[0].matches_topology')" = true ]
	[ "$(field '.servers[0].read_only')" = true ]
	[ "$(field '.servers[1].read_only')" = false ]
	[ "$(field .summary.mismatched)" = 0 ]
	[ "$(field .summary.read_only_primaries)" = 1 ]
	[ "$(field .summary.status)" = degraded ]
	[ "$(field .summary.exit_status)" = 7 ]
	run --separate-stderr health-probe -t topo.json -f prometheus --timeout 10
	assert_status 7
	grep -qx 'shardkit_server_read_only{server="pg1",shard="s1"} 1' <<<"$output"
	grep -qx 'shardkit_server_read_only{server="pg2",shard="s1"} 0' <<<"$output"
	# The planner reads it back: a critical alert for the shard and nothing else.
	run health-probe -t topo.json --timeout 10 -o health.json
	assert_status 7
	run --separate-stderr orchestrate -t topo.json -H health.json
	assert_status 8
	[ "$(jq -c '[.actions[] | [.kind, .severity, .shard]]' <<<"$output")" = '[["alert","critical","s1"]]' ]
	[ "$(jq -r '.actions[0].reason' <<<"$output")" = 'primary "pg1" of shard "s1" answers but is read-only (default_transaction_read_only is on): it takes no writes; no action on the shard until it is turned off or a switchover is planned' ]
}

@test "a topology that calls the replica primary exits 7 with matches_topology false" {
	topology replica primary >topo.json
	run --separate-stderr health-probe -t topo.json --timeout 10
	assert_status 7
	[ "$(field '.servers[1].expected_role')" = primary ]
	[ "$(field '.servers[1].observed_role')" = replica ]
	[ "$(field '.servers[1].matches_topology')" = false ]
	[ "$(field '.servers[0].matches_topology')" = false ]
	# The shard's primary per the topology is in recovery: no lag is known.
	[ "$(field '[.servers[].lag_bytes] | unique | tostring')" = '[null]' ]
	[ "$(field .summary.mismatched)" = 2 ]
	[ "$(field .summary.status)" = mismatch ]
}

@test "a down server takes precedence over a role mismatch" {
	pg_stop primary
	topology replica primary >topo.json
	run --separate-stderr health-probe -t topo.json --timeout 10
	assert_status 6
	[ "$(field .summary.mismatched)" = 1 ]
	[ "$(field .summary.exit_status)" = 6 ]
}

@test "a reserve is expected to be a replica" {
	topology primary reserve >topo.json
	run --separate-stderr health-probe -t topo.json --timeout 10
	assert_status 0
	[ "$(field '.servers[1].role')" = reserve ]
	[ "$(field '.servers[1].expected_role')" = replica ]
	[ "$(field '.servers[1].matches_topology')" = true ]
}

@test "a server without a role is probed but its role is not checked" {
	topology | jq '.servers[1] |= (del(.role) | del(.shard))' >topo.json
	run --separate-stderr health-probe -t topo.json --timeout 10
	assert_status 0
	[ "$(field '.servers[1].role')" = null ]
	[ "$(field '.servers[1].observed_role')" = replica ]
	[ "$(field '.servers[1].matches_topology')" = null ]
	[ "$(field '.servers[1].lag_bytes')" = null ]
}

@test "a database that does not exist is reported with the server's error" {
	topology | jq '.servers[0].conninfo += " dbname=nosuchdb"' >topo.json
	run --separate-stderr health-probe -t topo.json --timeout 10
	assert_status 6
	[ "$(field '.servers[0].error')" = "connection to server at \"127.0.0.1\", port $PORT_primary failed: FATAL:  database \"nosuchdb\" does not exist" ]
}

@test "a hung server is reported as a timeout and the probe returns" {
	kill -STOP "$(head -n 1 "$DATA_replica/postmaster.pid")"
	topology >topo.json
	run --separate-stderr timeout 20 health-probe -t topo.json --timeout 1
	assert_status 6
	[ "$(field '.servers[1].reachable')" = false ]
	[ "$(field '.servers[1].error')" = "timeout expired after 1 s while connecting" ]
	[ "$(field '.servers[0].reachable')" = true ]
	[ "$(field .timeout)" = 1 ]
}

@test "--watch streams one document per line" {
	topology >topo.json
	run --separate-stderr timeout 3 health-probe -t topo.json --watch 0.5 --timeout 2
	assert_status 124
	[ "${#lines[@]}" -ge 2 ]
	for line in "${lines[@]}"; do
		[ "$(jq -r .summary.status <<<"$line")" = healthy ]
	done
}

@test "the Prometheus output has HELP and TYPE for every sample" {
	topology >topo.json
	run --separate-stderr health-probe -t topo.json -f prometheus --timeout 10
	assert_status 0
	grep -qx 'shardkit_server_up{server="pg1",shard="s1"} 1' <<<"$output"
	grep -qx 'shardkit_server_in_recovery{server="pg2",shard="s1"} 1' <<<"$output"
	grep -qx 'shardkit_server_role_mismatch{server="pg2",shard="s1"} 0' <<<"$output"
	grep -q '^shardkit_server_lag_bytes{server="pg2",shard="s1"} [0-9]' <<<"$output"
	awk '
		/^# HELP / { help[$3] = 1; next }
		/^# TYPE / { if ($4 != "gauge") bad = bad " type:" $3; type[$3] = 1; next }
		/^#/ || /^$/ { next }
		{
			name = $1; sub(/\{.*/, "", name)
			if (!(name in help) || !(name in type)) bad = bad " " name
			if ($2 !~ /^-?[0-9.e+-]+$/) bad = bad " value:" $0
			n++
		}
		END { if (bad != "" || n < 10) { print "bad:" bad, n; exit 1 } }
	' <<<"$output"
}

@test "the manuals' example pipelines give the answers they describe" {
	topology >cluster.json
	# health-probe(1): how far each replica is behind.
	run bash -c "health-probe -t cluster.json --timeout 0.5 |
		jq -r '.servers[] | select(.lag_bytes != null) | [.id, .lag_bytes] | @tsv'"
	assert_status 0
	[ "${#lines[@]}" -eq 2 ]
	[ "${lines[0]}" = "pg1	0" ]
	[ "${lines[1]%%	*}" = pg2 ]
	# shardkit-health(5): the most lagging server of each shard, from a stream.
	run bash -c "timeout 10 health-probe -t cluster.json --watch 10 | head -n 1 |
		jq -c '[.servers[] | select(.lag_bytes != null)] | group_by(.shard) |
		map(max_by(.lag_bytes) | {shard, id, lag_bytes})'"
	assert_status 0
	[ "$(jq -r '[.[].shard] | join(",")' <<<"$output")" = s1 ]
	pg_stop primary
	# health-probe(1): the servers that are not healthy.
	run bash -c "health-probe -t cluster.json |
		jq -r '.servers[] | select(.reachable | not) | \"\\(.id): \\(.error)\"'"
	assert_status 0
	[ "$output" = "pg1: connection to server at \"127.0.0.1\", port $PORT_primary failed: Connection refused" ]
	# shardkit-health(5): the servers that need attention, from a saved document.
	run health-probe -t cluster.json -o health.json
	assert_status 6
	run jq -r '.servers[] | select(.reachable == false or
		.matches_topology == false) | .id' health.json
	[ "$output" = pg1 ]
}

@test "a promoted replica reports its new timeline at once and mismatches" {
	as_pg_user "$PG_BINDIR/pg_ctl" -D "$DATA_replica" -w promote >/dev/null
	topology >topo.json
	run --separate-stderr health-probe -t topo.json --timeout 10
	assert_status 7
	[ "$(field '.servers[1].observed_role')" = primary ]
	[ "$(field '.servers[1].timeline')" = 2 ]
	[ "$(field '.servers[1].current_lsn')" != null ]
	[ "$(field '.servers[1].matches_topology')" = false ]
	[ "$(field '.servers[0].timeline')" = 1 ]
	[ "$(field '.servers[0].matches_topology')" = true ]
}

@test "passwords come from the configuration's credentials_file" {
	pg_psql "$PORT_primary" -c "ALTER ROLE postgres PASSWORD 'sekrit'"
	as_pg_user sed -i 's/^\(host.*\)trust$/\1scram-sha-256/' "$DATA_primary/pg_hba.conf"
	as_pg_user "$PG_BINDIR/pg_ctl" -D "$DATA_primary" reload >/dev/null
	# The reload is asynchronous: wait until a connection needs the password.
	for i in $(seq 1 100); do
		pg_psql "$PORT_primary" -w -c "SELECT 1" >/dev/null 2>&1 || break
		sleep 0.1
	done
	topology >topo.json
	run --separate-stderr health-probe -t topo.json --timeout 10
	assert_status 6
	[ "$(field '.servers[0].error')" = "connection to server at \"127.0.0.1\", port $PORT_primary failed: fe_sendauth: no password supplied" ]
	echo "127.0.0.1:$PORT_primary:*:postgres:sekrit" >pgpass
	echo "credentials_file = \"$PWD/pgpass\";" >shardkit.conf
	chmod 0600 pgpass shardkit.conf
	run --separate-stderr health-probe -c shardkit.conf -t topo.json --timeout 10
	assert_status 0
	[ "$(field '.servers[0].reachable')" = true ]
	! grep -q sekrit <<<"$output$stderr"
}

@test "a role with no privilege but LOGIN can probe" {
	pg_psql "$PORT_primary" -c "CREATE ROLE watcher LOGIN"
	for i in $(seq 1 100); do
		[ "$(pg_psql "$PORT_replica" -c "SELECT count(*) FROM pg_roles WHERE rolname = 'watcher'")" = 1 ] && break
		sleep 0.1
	done
	topology | sed 's/user=postgres/user=watcher/' >topo.json
	run --separate-stderr health-probe -t topo.json --timeout 10
	assert_status 0
	[ "$(field '[.servers[].reachable] | all')" = true ]
	# Without pg_read_all_stats the replica's timeline is its restartpoint's.
	[ "$(field '.servers[1].timeline')" = 1 ]
	[ "$(field '.servers[1].observed_role')" = replica ]
}
