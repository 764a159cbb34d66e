#!/usr/bin/env bats
# The orchestrator loop on real servers: one shard of a primary (pg1), two
# replicas (pg2, pg3) and a reserve (pg4), provisioned by server-init and
# attached by replica-attach.  A healthy cluster is left alone; a primary
# killed with SIGKILL is fenced and replaced by a replica while the loop
# runs in the background, the other replica and the reserve follow it, the
# reserve becomes active and the new topology is published; the loop stops
# cleanly on SIGTERM; failure counts survive a restart.

load helper

setup() {
	pg_workdir >/dev/null
	cd "$PG_WORKDIR" || return 1
	work=$PG_WORKDIR
	shardkit_config
	provision_servers 4 || return 1
	one_shard_topology 3 primary replica replica reserve || return 1
	for i in 2 3 4; do
		replica-attach -t topology.json "pg$i" > /dev/null || return 1
	done
}

teardown() {
	if [ -n "${loop_pid:-}" ]; then
		kill -TERM "$loop_pid" 2>/dev/null || true
		wait "$loop_pid" 2>/dev/null || true
	fi
	pg_stop_all
}

# Wait (bounded, never asserted on time) until COMMAND succeeds.
wait_for() {
	local tries=0
	until "$@"; do
		tries=$((tries + 1))
		[ $tries -lt 600 ] || { echo "gave up waiting for: $*" >&2; return 1; }
		sleep 0.1
	done
}

start_loop() {
	# Not a line of the last loop's: its log is gone before this one starts.
	rm -f log.jsonl
	orchestrator -t topology.json --interval 0.2 "$@" > log.jsonl 2> loop.err &
	loop_pid=$!
}

stop_loop() {
	kill -TERM "$loop_pid"
	wait "$loop_pid"
	loop_status=$?
	loop_pid=
}

primary_of_s1() {
	jq -r '.servers[] | select(.shard == "s1" and .role == "primary") | .id' topology.json
}

new_primary_published() {
	[ "$(jq .version topology.json)" -gt 1 ] && [ "$(primary_of_s1)" != pg1 ] &&
		[ "$(jq -r '.servers[] | select(.id == "pg4") | .role' topology.json)" = replica ]
}

has_line() {
	grep -q "$1" log.jsonl 2>/dev/null
}

@test "a sweep with --once of a healthy cluster does nothing and exits 0" {
	run --separate-stderr orchestrator -t topology.json --once
	assert_status 0
	assert_stderr ""
	[ -z "$output" ]
	[ "$(jq .version topology.json)" -eq 1 ]
	# No failure counted, nothing written but an empty count.
	[ ! -e topology.json.orchestrator-state.json ]
	[ -e topology.json.orchestrator.lock ]
}

@test "a primary killed with SIGKILL is fenced and replaced, the others follow it and the reserve becomes active" {
	sql "$PORT_pg1" "CREATE TABLE accounts (id int PRIMARY KEY, v text); INSERT INTO accounts SELECT g, 'x' FROM generate_series(1, 100) g"
	start_loop
	wait_for has_line '"event":"start"'
	kill -KILL "$(head -n 1 pg1/postmaster.pid)"
	wait_for new_primary_published
	wait_for has_line '"event":"topology","version":2,"result":"written"'
	new=$(primary_of_s1)
	stop_loop
	[ "$loop_status" -eq 0 ]
	# Three failed probes counted, then fence, promote, repoint, repoint, activate.
	[ "$(jq -r 'select(.event == "probe" and .server == "pg1") | .failures' log.jsonl | tr '\n' ' ')" = "1 2 3 " ]
	[ "$(jq -r 'select(.kind) | .kind + ":" + .server + ":" + .result' log.jsonl | tr '\n' ' ')" = \
		"fence:pg1:already promote:$new:done repoint:$([ "$new" = pg2 ] && echo pg3 || echo pg2):done repoint:pg4:done activate_reserve:pg4:done " ]
	# Every line is one JSON object with the time and the sweep first.
	[ "$(jq -c 'keys_unsorted[:2]' log.jsonl | sort -u)" = '["time","sweep"]' ]
	[ "$(jq -r 'select(.kind == "promote") | .sweep' log.jsonl)" = \
		"$(jq -r 'select(.event == "probe" and .failures == 3) | .sweep' log.jsonl)" ]
	# The published topology: the old primary fenced out of the shard, valid.
	[ "$(jq -c '[.servers[] | [.id, .state, .role, .shard]]' topology.json)" = \
		"$(jq -c --arg new "$new" '[.servers[] | if .id == "pg1" then [.id, "fenced", null, null]
			elif .id == $new then [.id, "up", "primary", "s1"] else [.id, "up", "replica", "s1"] end]' topology.json)" ]
	topo-check -t topology.json
	# What the servers say: the new primary takes writes, the others replicate it.
	port=$(jq -r --arg id "$new" '.servers[] | select(.id == $id) | .conninfo' topology.json | sed 's/.*port=\([0-9]*\).*/\1/')
	[ "$(sql "$port" "SELECT pg_is_in_recovery()")" = f ]
	sql "$port" "INSERT INTO accounts VALUES (101, 'after')"
	[ "$(sql "$port" "SELECT count(*) FROM accounts")" = 101 ]
	run --separate-stderr health-probe -t topology.json
	[ "$(jq -c '[.servers[] | select(.id != "pg1") | .matches_topology] | unique' <<< "$output")" = '[true]' ]
	[ "$(jq -r '.servers[] | select(.id == "pg1") | .reachable' <<< "$output")" = false ]
	# The failure counts were kept beside the topology.
	[ "$(jq -c .failures topology.json.orchestrator-state.json)" = '{"pg1":3}' ]
}

@test "the loop stops cleanly on SIGTERM and on SIGINT" {
	start_loop
	wait_for has_line '"event":"start"'
	# A healthy cluster: sweeps log nothing; let a few of them run.
	sleep 1
	stop_loop
	[ "$loop_status" -eq 0 ]
	[ "$(tail -n 1 log.jsonl | jq -r .event)" = stop ]
	[ ! -s loop.err ]
	# The lock went with it: another one can take it at once.
	run --separate-stderr orchestrator -t topology.json --once
	assert_status 0
	start_loop
	wait_for has_line '"event":"start"'
	kill -INT "$loop_pid"
	wait "$loop_pid"
	loop_pid=
	[ "$(tail -n 1 log.jsonl | jq -r .event)" = stop ]
}

@test "sweeps with --once count failed probes across runs until the threshold" {
	kill -KILL "$(head -n 1 pg1/postmaster.pid)"
	for n in 1 2; do
		run --separate-stderr orchestrator -t topology.json --once
		assert_status 0
		[ "$(jq -c .failures topology.json.orchestrator-state.json)" = "{\"pg1\":$n}" ]
		[ "$(jq .version topology.json)" -eq 1 ]
	done
	# A dry run sees the threshold reached, plans the failover, and changes nothing.
	run --separate-stderr orchestrator -t topology.json --once --dry-run
	assert_status 8
	[ "$(jq -r 'select(.result == "planned") | .kind' <<< "$output" | tr '\n' ' ')" = \
		"fence promote repoint repoint activate_reserve " ]
	[ "$(jq -c .failures topology.json.orchestrator-state.json)" = '{"pg1":2}' ]
	[ "$(jq .version topology.json)" -eq 1 ]
	run --separate-stderr orchestrator -t topology.json --once
	assert_status 0
	[ "$(jq -r 'select(.kind) | .kind + ":" + .result' <<< "$output" | tr '\n' ' ')" = \
		"fence:already promote:done repoint:done repoint:done activate_reserve:done " ]
	[ "$(jq .version topology.json)" -eq 2 ]
	[ "$(primary_of_s1)" != pg1 ]
	# The next sweep finds nothing to do.
	run --separate-stderr orchestrator -t topology.json --once
	assert_status 0
	[ -z "$output" ]
}

@test "a topology changed by another tool is reloaded by the running loop" {
	start_loop
	wait_for has_line '"event":"start"'
	# Another tool publishes version 2 with pg4 out of the cluster (state down).
	jq '.version = 2 | (.servers[] | select(.id == "pg4")) |= (.state = "down")' topology.json > t2.json
	mv t2.json topology.json
	as_pg_user "$PG_BINDIR/pg_ctl" -D "$work/pg4" -m immediate -w stop > /dev/null
	kill -KILL "$(head -n 1 pg1/postmaster.pid)"
	wait_for has_line '"event":"topology","version":3,"result":"written"'
	stop_loop
	# Planned from version 2: the reserve already down is left out, and
	# the shard short of a replica with no reserve to take is an alert.
	! jq -e 'select(.server == "pg4" and .kind)' log.jsonl
	[ "$(jq -r 'select(.kind and .kind != "alert") | .kind' log.jsonl | tr '\n' ' ')" = "fence promote repoint " ]
	[ "$(jq -r 'select(.kind == "alert") | .reason' log.jsonl | sort -u)" = \
		'shard "s1" has 2 of the 3 active servers its replication factor requires and no reserve can be taken: add servers' ]
	[ "$(jq .version topology.json)" -eq 3 ]
}
