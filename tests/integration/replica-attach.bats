#!/usr/bin/env bats
# replica-attach on real servers: a shard of three servers provisioned by
# server-init (pg1 primary, pg2 and pg3 replicas) and a reserve pg4, formed
# by hand in a topology.  Attaching clones each from pg1 and they stream;
# the primary's synchronous set names the replicas, never the reserve, and
# a commit waits for one of them; after pg2 is promoted, pg3 and the reserve
# are re-pointed to it; reruns and a run killed mid-clone converge.

load helper

setup() {
	pg_workdir >/dev/null
	cd "$PG_WORKDIR" || return 1
	work=$PG_WORKDIR
	shardkit_config
	provision_servers 4 || return 1
	one_shard_topology 3 primary replica replica reserve
}

teardown() {
	pg_stop_all
}

# Until QUERY on PORT prints WANT (at most 30 s).
wait_for() {
	local port=$1 query=$2 want=$3 i
	for i in $(seq 150); do
		[ "$(sql "$port" "$query" 2>/dev/null)" = "$want" ] && return 0
		sleep 0.2
	done
	echo "timed out waiting for '$query' on $port to give '$want'" >&2
	return 1
}

receiver() {
	sql "$1" "SELECT status || ' ' || sender_port FROM pg_stat_wal_receiver"
}

attach_all() {
	local id
	for id in pg2 pg3 pg4; do
		replica-attach -t topology.json "$id" > "$id.status" || return 1
	done
}

@test "replicas and the reserve are cloned from the primary and stream from it" {
	run --separate-stderr replica-attach -t topology.json pg2
	assert_status 0
	[ "$(jq -r '[.server, .primary, .slot, .state, .action] | join(" ")' <<< "$output")" = \
		"pg2 pg1 shardkit_pg2 streaming cloned" ]
	[[ "$(jq -r .lsn <<< "$output")" =~ ^[0-9A-F]+/[0-9A-F]+$ ]]
	replica-attach -t topology.json pg3 > pg3.status
	replica-attach -t topology.json pg4 > pg4.status
	for p in "$PORT_pg2" "$PORT_pg3" "$PORT_pg4"; do
		[ "$(receiver "$p")" = "streaming $PORT_pg1" ]
		[ "$(sql "$p" "SELECT pg_is_in_recovery()")" = t ]
	done
	# Each keeps its own identity: port, cluster_name, settings record.
	[ "$(sql "$PORT_pg3" "SHOW cluster_name")" = pg3 ]
	[ "$(jq -r .id pg3/shardkit-server.json)" = pg3 ]
	[ "$(sql "$PORT_pg1" "SELECT string_agg(slot_name || ':' || active, ',' ORDER BY slot_name) FROM pg_replication_slots")" = \
		"shardkit_pg2:true,shardkit_pg3:true,shardkit_pg4:true" ]
	[ "$(sql "$PORT_pg1" "SELECT string_agg(application_name, ',' ORDER BY application_name) FROM pg_stat_replication")" = \
		"pg2,pg3,pg4" ]
	# No password in the replica's configuration, only the passfile's name.
	! grep -q "$password" pg2/postgresql.auto.conf
	grep -q "passfile=$work/pg2/shardkit-replication.pgpass" pg2/postgresql.auto.conf
}

@test "rows written on the primary appear on every replica and the reserve" {
	attach_all
	sql "$PORT_pg1" "CREATE TABLE accounts (id int PRIMARY KEY, v text); INSERT INTO accounts SELECT g, 'x' FROM generate_series(1, 100) g"
	for p in "$PORT_pg2" "$PORT_pg3" "$PORT_pg4"; do
		wait_for "$p" "SELECT count(*) FROM accounts" 100
	done
}

@test "the synchronous set names the replicas, never the reserve" {
	attach_all
	[ "$(sql "$PORT_pg1" "SHOW synchronous_standby_names")" = 'ANY 1 ("pg2", "pg3")' ]
	[ "$(jq -r .synchronous_standby_names pg4.status)" = 'ANY 1 ("pg2", "pg3")' ]
	[ "$(sql "$PORT_pg1" "SELECT string_agg(application_name || ':' || sync_state, ',' ORDER BY application_name) FROM pg_stat_replication")" = \
		"pg2:quorum,pg3:quorum,pg4:async" ]
	run --separate-stderr replica-attach -t topology.json --sync-count 2 pg2
	assert_status 0
	[ "$(sql "$PORT_pg1" "SHOW synchronous_standby_names")" = 'ANY 2 ("pg2", "pg3")' ]
}

@test "a commit on the primary is acknowledged only once a synchronous replica has it" {
	attach_all
	sql "$PORT_pg1" "CREATE TABLE t (v int)"
	as_pg_user "$PG_BINDIR/pg_ctl" -D "$work/pg2" -m fast -w stop > /dev/null
	as_pg_user "$PG_BINDIR/pg_ctl" -D "$work/pg3" -m fast -w stop > /dev/null
	# The reserve still streams, yet the commit waits: it is not in the set.
	sql "$PORT_pg1" "INSERT INTO t VALUES (1)" > insert.out 2>&1 &
	insert=$!
	wait_for "$PORT_pg1" "SELECT count(*) FROM pg_stat_activity WHERE wait_event = 'SyncRep'" 1
	kill -0 "$insert"
	as_pg_user "$PG_BINDIR/pg_ctl" -D "$work/pg2" -w -l "$work/pg2/log/postmaster.log" start > /dev/null
	for i in $(seq 150); do
		kill -0 "$insert" 2>/dev/null || break
		sleep 0.2
	done
	! kill -0 "$insert" 2>/dev/null
	wait "$insert"
	[ "$(sql "$PORT_pg2" "SELECT count(*) FROM t")" = 1 ]
}

@test "after a promotion the other replica and the reserve are re-pointed to the new primary" {
	attach_all
	sql "$PORT_pg1" "CREATE TABLE t (v int); INSERT INTO t VALUES (1)"
	wait_for "$PORT_pg2" "SELECT count(*) FROM t" 1
	as_pg_user "$PG_BINDIR/pg_ctl" -D "$work/pg1" -m immediate -w stop > /dev/null
	[ "$(sql "$PORT_pg2" "SELECT pg_promote()")" = t ]
	for id in pg3 pg4; do
		run --separate-stderr replica-attach -t topology.json --primary pg2 "$id"
		assert_status 0
		[ "$(jq -r '[.primary, .action] | join(" ")' <<< "$output")" = "pg2 repointed" ]
		# The dead former primary keeps its slot, and the run says so.
		[ "$(jq -c .former_upstream <<< "$output")" = \
			'{"server":"pg1","slot":"shardkit_'"$id"'","result":"unreachable"}' ]
		[ "${#stderr_lines[@]}" -eq 1 ]
		[[ "${stderr_lines[0]}" == "replica-attach: warning: replication slot \"shardkit_$id\" is left on \"pg1\", the former upstream of \"$id\": it cannot be reached ("*"); it is wiped when it returns" ]]
	done
	[ "$(receiver "$PORT_pg3")" = "streaming $PORT_pg2" ]
	[ "$(receiver "$PORT_pg4")" = "streaming $PORT_pg2" ]
	[ "$(sql "$PORT_pg2" "SHOW synchronous_standby_names")" = 'ANY 1 ("pg3")' ]
	sql "$PORT_pg2" "INSERT INTO t VALUES (2)"
	wait_for "$PORT_pg3" "SELECT count(*) FROM t" 2
	wait_for "$PORT_pg4" "SELECT count(*) FROM t" 2
}

@test "re-pointing away from a former primary that lives on drops its slot there" {
	attach_all
	sql "$PORT_pg1" "CREATE TABLE t (v int); INSERT INTO t VALUES (1)"
	wait_for "$PORT_pg3" "SELECT count(*) FROM t" 1
	wait_for "$PORT_pg4" "SELECT count(*) FROM t" 1
	# A switchover: pg1 stops cleanly (its replicas get all of its WAL),
	# pg2 is promoted, and pg1 comes back with the slots it kept.  It comes
	# back without WAL senders: pg3 and pg4 still point at it and, retrying
	# every 200ms, would otherwise stream WAL it writes past the fork and
	# diverge from pg2 before the re-point (a real switchover re-points
	# first, or fences the old primary).
	as_pg_user "$PG_BINDIR/pg_ctl" -D "$work/pg1" -m fast -w stop > /dev/null
	[ "$(sql "$PORT_pg2" "SELECT pg_promote()")" = t ]
	as_pg_user "$PG_BINDIR/pg_ctl" -D "$work/pg1" -w -l "$work/pg1/log/postmaster.log" \
		-o "-c max_wal_senders=0" start > /dev/null
	[ "$(sql "$PORT_pg1" "SELECT string_agg(slot_name, ',' ORDER BY slot_name) FROM pg_replication_slots")" = \
		"shardkit_pg2,shardkit_pg3,shardkit_pg4" ]
	run --separate-stderr replica-attach -t topology.json --primary pg2 pg3
	assert_status 0
	[ -z "$stderr" ]
	[ "$(jq -r '[.primary, .action] | join(" ")' <<< "$output")" = "pg2 repointed" ]
	[ "$(jq -c .former_upstream <<< "$output")" = '{"server":"pg1","slot":"shardkit_pg3","result":"dropped"}' ]
	[ "$(sql "$PORT_pg1" "SELECT string_agg(slot_name, ',' ORDER BY slot_name) FROM pg_replication_slots")" = \
		"shardkit_pg2,shardkit_pg4" ]
	[ "$(receiver "$PORT_pg3")" = "streaming $PORT_pg2" ]
	# Attaching again finds nothing to leave behind.
	run --separate-stderr replica-attach -t topology.json --primary pg2 pg3
	assert_status 0
	[ "$(jq -r .action <<< "$output")" = unchanged ]
	[ "$(jq -c .former_upstream <<< "$output")" = null ]
}

@test "a frozen former primary keeps its slot and does not hold up the re-point" {
	attach_all
	as_pg_user "$PG_BINDIR/pg_ctl" -D "$work/pg1" -m fast -w stop > /dev/null
	[ "$(sql "$PORT_pg2" "SELECT pg_promote()")" = t ]
	as_pg_user "$PG_BINDIR/pg_ctl" -D "$work/pg1" -w -l "$work/pg1/log/postmaster.log" start > /dev/null
	postmaster=$(head -n 1 pg1/postmaster.pid)
	pkill -STOP -P "$postmaster"
	kill -STOP "$postmaster"
	run --separate-stderr replica-attach -t topology.json --primary pg2 pg3
	kill -CONT "$postmaster"
	pkill -CONT -P "$postmaster"
	assert_status 0
	[ "$(jq -c .former_upstream <<< "$output")" = '{"server":"pg1","slot":"shardkit_pg3","result":"unreachable"}' ]
	[[ "$stderr" == "replica-attach: warning: replication slot \"shardkit_pg3\" is left on \"pg1\", the former upstream of \"pg3\": it cannot be reached ("*"); it is wiped when it returns" ]]
	[ "$(receiver "$PORT_pg3")" = "streaming $PORT_pg2" ]
}

@test "a reserve cloned into another shard drops its slot on its former primary" {
	attach_all
	server-init -D "$work/pg5" -p "$(free_port)" --id pg5 > "$work/pg5.json"
	echo "$work/pg5" >> "$work/started"
	PORT_pg5=$(jq -r .conninfo pg5.json | sed 's/.*port=\([0-9]*\).*/\1/')
	# pg4 leaves s1's reserve pool for s2, whose primary is pg5.
	jq --slurpfile pg5 pg5.json '.servers |= map(if .id == "pg4" then .shard = "s2" else . end)
	    | .servers += [$pg5[0] + {shard: "s2", role: "primary"}]
	    | .shards += [{id: "s2", state: "active"}] | .version += 1' topology.json > moved.json
	run --separate-stderr replica-attach -t moved.json pg4
	assert_status 0
	[ -z "$stderr" ]
	[ "$(jq -r '[.primary, .action] | join(" ")' <<< "$output")" = "pg5 cloned" ]
	[ "$(jq -c .former_upstream <<< "$output")" = '{"server":"pg1","slot":"shardkit_pg4","result":"dropped"}' ]
	[ "$(sql "$PORT_pg1" "SELECT string_agg(slot_name, ',' ORDER BY slot_name) FROM pg_replication_slots")" = \
		"shardkit_pg2,shardkit_pg3" ]
	[ "$(sql "$PORT_pg5" "SELECT string_agg(slot_name || ':' || active, ',') FROM pg_replication_slots")" = \
		"shardkit_pg4:true" ]
	[ "$(receiver "$PORT_pg4")" = "streaming $PORT_pg5" ]
}

@test "a base backup that does not finish within --timeout is stopped and leaves nothing behind, exit 9" {
	# pg1's checkpointer stopped: the backup's starting checkpoint never comes.
	postmaster=$(head -n 1 pg1/postmaster.pid)
	checkpointer=$(pgrep -P "$postmaster" -f checkpointer)
	[ -n "$checkpointer" ]
	kill -STOP "$checkpointer"
	run --separate-stderr replica-attach -t topology.json --timeout 3 pg2
	kill -CONT "$checkpointer"
	assert_status 9
	assert_stderr "replica-attach: server \"pg2\" was not cloned from \"pg1\" within 3 seconds: the base backup was stopped
replica-attach: HINT: check that \"pg1\" answers, then run replica-attach again"
	[ -z "$output" ]
	# pg_basebackup and its WAL streaming child are gone, and so is the partial copy.
	! pgrep -f "pg_basebackup -D $work/pg2.clone.tmp"
	[ ! -e pg2.clone.tmp ] && [ ! -e pg2.clone.new ] && [ ! -e pg2.old.tmp ]
	[ -f pg2/PG_VERSION ] && [ -f pg2/shardkit-server.json ]
	run --separate-stderr replica-attach -t topology.json pg2
	assert_status 0
	[ "$(jq -r .action <<< "$output")" = cloned ]
	[ "$(receiver "$PORT_pg2")" = "streaming $PORT_pg1" ]
}

@test "attaching again changes nothing" {
	attach_all
	sysid=$(sql "$PORT_pg2" "SELECT system_identifier FROM pg_control_system()")
	pid=$(head -n 1 pg2/postmaster.pid)
	run --separate-stderr replica-attach -t topology.json pg2
	assert_status 0
	[ "$(jq -r .action <<< "$output")" = unchanged ]
	[ "$(head -n 1 pg2/postmaster.pid)" = "$pid" ]
	[ "$(sql "$PORT_pg2" "SELECT system_identifier FROM pg_control_system()")" = "$sysid" ]
	[ "$(receiver "$PORT_pg2")" = "streaming $PORT_pg1" ]
	# server-init still recognises the replica as the server it provisioned.
	run --separate-stderr server-init -D "$work/pg2" -p "$PORT_pg2" --id pg2
	assert_status 0
	[ "$(jq -r .id <<< "$output")" = pg2 ]
	[ "$(head -n 1 pg2/postmaster.pid)" = "$pid" ]
}

@test "a run killed during the base backup converges when rerun" {
	# Enough data that the base backup takes a moment to copy.
	sql "$PORT_pg1" "CREATE TABLE big AS SELECT g, repeat('x', 500) AS pad FROM generate_series(1, 400000) g"
	replica-attach -t topology.json pg2 > /dev/null 2> attach.err &
	attach=$!
	for i in $(seq 300); do
		[ -d pg2.clone.tmp/base ] && break
		sleep 0.05
	done
	kill -KILL "$attach"
	wait "$attach" || true
	# Killed mid-clone: the partial clone is there, pg_basebackup died with
	# its caller, and the old data directory is still whole.
	[ -d pg2.clone.tmp ]
	for i in $(seq 50); do
		pgrep -f "pg_basebackup -D $work/pg2.clone.tmp" > /dev/null || break
		sleep 0.1
	done
	! pgrep -f "pg_basebackup -D $work/pg2.clone.tmp"
	[ -f pg2/PG_VERSION ]
	[ -f pg2/shardkit-server.json ]
	run --separate-stderr replica-attach -t topology.json pg2
	assert_status 0
	[ "$(jq -r .action <<< "$output")" = cloned ]
	[ ! -e pg2.clone.tmp ] && [ ! -e pg2.clone.new ] && [ ! -e pg2.old.tmp ]
	[ "$(receiver "$PORT_pg2")" = "streaming $PORT_pg1" ]
	wait_for "$PORT_pg2" "SELECT count(*) FROM big" 400000
}

@test "a swap cut short after the old directory moved aside is finished by a rerun" {
	replica-attach -t topology.json pg2 > /dev/null
	sql "$PORT_pg1" "CREATE TABLE t (v int); INSERT INTO t VALUES (1)"
	wait_for "$PORT_pg2" "SELECT count(*) FROM t" 1
	# The state between the two renames: no DATADIR, a complete clone, the old one aside.
	as_pg_user "$PG_BINDIR/pg_ctl" -D "$work/pg2" -m fast -w stop > /dev/null
	mv pg2 pg2.clone.new
	mkdir pg2.old.tmp
	touch pg2.old.tmp/PG_VERSION
	run --separate-stderr replica-attach -t topology.json pg2
	assert_status 0
	[ "$(jq -r .action <<< "$output")" = unchanged ]
	[ ! -e pg2.clone.new ] && [ ! -e pg2.old.tmp ]
	[ "$(receiver "$PORT_pg2")" = "streaming $PORT_pg1" ]
	sql "$PORT_pg1" "INSERT INTO t VALUES (2)"
	wait_for "$PORT_pg2" "SELECT count(*) FROM t" 2
}

@test "a replica that does not stream within --timeout exits 9" {
	replica-attach -t topology.json pg2 > /dev/null
	sql "$PORT_pg1" "ALTER ROLE shardkit_replication NOREPLICATION"
	sql "$PORT_pg1" "SELECT pg_terminate_backend(pid) FROM pg_stat_replication WHERE application_name = 'pg2'" > /dev/null
	wait_for "$PORT_pg2" "SELECT count(*) FROM pg_stat_wal_receiver WHERE status = 'streaming'" 0
	run --separate-stderr replica-attach -t topology.json --timeout 2 pg2
	assert_status 9
	assert_stderr "replica-attach: server \"pg2\" was not streaming from \"pg1\" within 2 seconds
replica-attach: HINT: see the logs in \"$work/pg2/log\""
	[ -z "$output" ]
}

@test "a replica whose history went past the new primary's is reported, exit 5" {
	attach_all
	sql "$PORT_pg1" "CREATE TABLE t (v int)"
	wait_for "$PORT_pg2" "SELECT count(*) FROM t" 0
	as_pg_user "$PG_BINDIR/pg_ctl" -D "$work/pg2" -m fast -w stop > /dev/null
	# pg3 receives what pg2 never will; then pg1 dies and pg2 is promoted.
	sql "$PORT_pg1" "INSERT INTO t VALUES (1)"
	wait_for "$PORT_pg3" "SELECT count(*) FROM t" 1
	as_pg_user "$PG_BINDIR/pg_ctl" -D "$work/pg1" -m immediate -w stop > /dev/null
	as_pg_user "$PG_BINDIR/pg_ctl" -D "$work/pg2" -w -l "$work/pg2/log/postmaster.log" start > /dev/null
	[ "$(sql "$PORT_pg2" "SELECT pg_promote()")" = t ]
	run --separate-stderr replica-attach -t topology.json --primary pg2 --timeout 30 pg3
	assert_status 5
	[ "${stderr_lines[0]}" = "replica-attach: server \"pg3\" cannot follow \"pg2\": its history diverged from the primary's" ]
	[[ "${stderr_lines[1]}" == "replica-attach: DETAIL: "* ]]
	[ "${stderr_lines[2]}" = "replica-attach: HINT: a diverged server is never rewound: the orchestrator wipes and re-clones it; by hand, run server-init --wipe on it, then replica-attach" ]
}

@test "a --primary that is still in recovery is refused, exit 7" {
	replica-attach -t topology.json pg2 > /dev/null
	run --separate-stderr replica-attach -t topology.json --primary pg2 pg3
	assert_status 7
	assert_stderr 'replica-attach: server "pg2" is not a primary: it is in recovery
replica-attach: HINT: promote it first, or name the shard'"'"'s primary with --primary'
	[ -z "$output" ]
	# pg3 was not touched: still the server server-init made, not in recovery.
	[ "$(sql "$PORT_pg3" "SELECT pg_is_in_recovery()")" = f ]
}

@test "a primary made read-only (fenced) is refused, exit 7" {
	sql "$PORT_pg1" "ALTER SYSTEM SET default_transaction_read_only = on"
	sql "$PORT_pg1" "SELECT pg_reload_conf()" > /dev/null
	wait_for "$PORT_pg1" "SHOW default_transaction_read_only" on
	run --separate-stderr replica-attach -t topology.json pg2
	assert_status 7
	assert_stderr 'replica-attach: server "pg1" is not a primary: it is read-only (default_transaction_read_only is on)
replica-attach: HINT: a fenced primary is read-only: name the shard'"'"'s new primary with --primary, or, if "pg1" is to stay primary, ALTER SYSTEM RESET default_transaction_read_only and reload it'
	[ -z "$output" ]
	# Nothing was done: no slot on pg1, pg2 still the server server-init made.
	[ "$(sql "$PORT_pg1" "SELECT count(*) FROM pg_replication_slots")" = 0 ]
	[ "$(sql "$PORT_pg2" "SELECT pg_is_in_recovery()")" = f ]
}
