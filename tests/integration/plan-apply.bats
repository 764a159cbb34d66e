#!/usr/bin/env bats
# plan-apply on real servers: one shard of a primary (pg1), an active
# replica (pg2) and a reserve (pg3), provisioned by server-init and attached
# by replica-attach.  A killed primary is replaced through the whole
# pipeline (health-probe | orchestrate | plan-apply); a fenced primary that
# still answers is made read-only and stopped; the faults of issue 4's
# section 5 (a reserve that never catches up, a server that cannot be
# wiped) fail clearly and leave the topology as it was.  The scenarios on a
# two-shard cluster are in failover*.bats.

load helper

setup() {
	pg_workdir >/dev/null
	cd "$PG_WORKDIR" || return 1
	work=$PG_WORKDIR
	shardkit_config
	provision_servers 3 || return 1
	one_shard_topology 2 primary replica reserve || return 1
	replica-attach -t topology.json pg2 > /dev/null || return 1
	replica-attach -t topology.json pg3 > /dev/null || return 1
	sql "$PORT_pg1" "CREATE TABLE accounts (id int PRIMARY KEY, note text)" || return 1
	sql "$PORT_pg1" "INSERT INTO accounts SELECT g, 'before' FROM generate_series(1, 100) g" || return 1
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

# One sweep: probe, plan with a threshold of 1, write the plan to plan.json.
plan_sweep() {
	health-probe -t topology.json > health.json || true
	orchestrate -t topology.json -H health.json --failure-threshold 1 > plan.json || [ $? -eq 8 ]
}

# A hand-made plan for the stored topology: plan_of '[ACTION, ...]'.
plan_of() {
	jq -n --argjson v "$(jq .version topology.json)" --argjson actions "$1" \
		'{format: "shardkit-actions/1", topology_version: $v, health_probed_at: "2026-11-26T00:00:00Z",
		  failure_threshold: 1, actions: $actions}' > plan.json
}

# The timeline of the last checkpoint in a data directory's control file.
timeline() {
	as_pg_user "$PG_BINDIR/pg_controldata" "$work/$1" | sed -n "s/^Latest checkpoint's TimeLineID: *//p"
}

# Start a SIGKILLed server again.  Its postmaster.pid names a pid that may
# stay a zombie (or its children alive) for a moment: retry until it starts.
restart_killed() {
	local i
	for i in $(seq 60); do
		as_pg_user "$PG_BINDIR/pg_ctl" -D "$work/$1" -w -l "$work/$1.restart.log" start \
			> /dev/null 2>&1 && return 0
		sleep 0.5
	done
	cat "$work/$1.restart.log" >&2
	return 1
}

postmaster_pid() {
	head -n 1 "$work/$1/postmaster.pid"
}

@test "a killed primary is replaced: fenced, the replica promoted, the reserve re-pointed and activated" {
	kill -KILL "$(postmaster_pid pg1)"
	plan_sweep
	[ "$(jq -c '[.actions[] | [.kind, .server]]' plan.json)" = \
	  '[["fence","pg1"],["promote","pg2"],["repoint","pg3"],["activate_reserve","pg3"]]' ]
	run --separate-stderr plan-apply -t topology.json plan.json
	assert_status 0
	[ "$(jq -r 'select(.kind) | .kind + " " + .result' <<< "$output" | tr '\n' ,)" = \
	  "fence already,promote done,repoint done,activate_reserve done," ]
	# pg2 was the only replica: its synchronous set names the reserve it is
	# about to activate, so no write it acknowledges is on it alone.
	[ "$(jq -r 'select(.kind == "promote") | .detail' <<< "$output")" = \
	  "promoted; synchronous_standby_names 'ANY 1 (\"pg3\")'" ]
	# Published once, at the end: the re-points are done by then.
	[ "$(jq -c 'select(.event) | [.version, .result]' <<< "$output" | tr '\n' ,)" = '[2,"written"],' ]
	[ "$(jq -c '[.version, (.servers[] | [.id, .state, .role])]' topology.json)" = \
	  '[2,["pg1","fenced",null],["pg2","up","primary"],["pg3","up","replica"]]' ]
	topo-check --strict -t topology.json
	# The new primary takes writes, and each commit waits for pg3, which has it.
	[ "$(sql "$PORT_pg2" "SELECT pg_is_in_recovery()")" = f ]
	[ "$(sql "$PORT_pg2" "SHOW synchronous_standby_names")" = 'ANY 1 ("pg3")' ]
	timeout 20 "$PG_BINDIR/psql" -X -q -h 127.0.0.1 -p "$PORT_pg2" -U postgres -d postgres \
		-c "INSERT INTO accounts VALUES (101, 'after')"
	[ "$(sql "$PORT_pg3" "SELECT count(*) FROM accounts")" = 101 ]
	[ "$(sql "$PORT_pg3" "SELECT status || ' ' || sender_port FROM pg_stat_wal_receiver")" = \
	  "streaming $PORT_pg2" ]
	# health-probe agrees with the topology, and the next sweep has nothing to do.
	run --separate-stderr health-probe -t topology.json
	[ "$(jq -c '[.servers[] | [.id, .observed_role, .matches_topology]]' <<< "$output")" = \
	  '[["pg1",null,null],["pg2","primary",true],["pg3","replica",true]]' ]
	plan_sweep
	[ "$(jq '.actions | length' plan.json)" -eq 0 ]
}

@test "the old primary that comes back is wiped and cloned into the reserve pool" {
	kill -KILL "$(postmaster_pid pg1)"
	plan_sweep
	plan-apply -t topology.json plan.json > /dev/null
	[ "$(timeline pg1)" = 1 ]
	restart_killed pg1
	plan_sweep
	[ "$(jq -c '[.actions[] | [.kind, .server]]' plan.json)" = '[["wipe","pg1"],["clone","pg1"]]' ]
	run --separate-stderr plan-apply -t topology.json plan.json
	assert_status 0
	[ "$(jq -r 'select(.kind) | .kind + " " + .result' <<< "$output" | tr '\n' ,)" = "wipe done,clone done," ]
	# Published before the clone (wiped), and after it (a reserve).
	[ "$(jq -c 'select(.event) | [.version, .result]' <<< "$output" | tr '\n' ,)" = '[3,"written"],[4,"written"],' ]
	[ "$(jq -c '.servers[0] | [.id, .state, .role, .shard]' topology.json)" = '["pg1","up","reserve","s1"]' ]
	# It is a copy of the new primary now, never its old self.
	[ "$(timeline pg1)" = 2 ]
	[ "$(sql "$PORT_pg1" "SELECT pg_is_in_recovery()")" = t ]
	[ "$(sql "$PORT_pg1" "SELECT status || ' ' || sender_port FROM pg_stat_wal_receiver")" = \
	  "streaming $PORT_pg2" ]
	[ "$(sql "$PORT_pg1" "SHOW default_transaction_read_only")" = off ]
	[ "$(sql "$PORT_pg1" "SELECT count(*) FROM accounts")" = 100 ]
	[ ! -e "$work/pg1.wipe.json" ]
	topo-check --strict -t topology.json
}

@test "a fenced primary that still answers is made read-only and stopped before the promotion" {
	plan_of '[{"id": "a1", "kind": "fence", "server": "pg1", "shard": "s1", "after": [], "reason": "test"},
	          {"id": "a2", "kind": "promote", "server": "pg2", "shard": "s1", "old_primary": "pg1",
	           "lsn": null, "after": ["a1"], "reason": "test"},
	          {"id": "a3", "kind": "repoint", "server": "pg3", "shard": "s1", "primary": "pg2",
	           "after": ["a2"], "reason": "test"}]'
	run --separate-stderr plan-apply -t topology.json plan.json
	assert_status 0
	[ "$(jq -r 'select(.kind == "fence") | .result + ": " + .detail' <<< "$output")" = \
	  "done: answered: made read-only and its sessions ended, then stopped" ]
	run as_pg_user "$PG_BINDIR/pg_ctl" -D "$work/pg1" status
	[ "$status" -eq 3 ]
	grep -q "^default_transaction_read_only = 'on'" "$work/pg1/postgresql.auto.conf"
	[ "$(sql "$PORT_pg2" "SELECT pg_is_in_recovery()")" = f ]
	[ "$(jq -c '[.servers[] | [.id, .state, .role]]' topology.json)" = \
	  '[["pg1","fenced",null],["pg2","up","primary"],["pg3","up","reserve"]]' ]
}

@test "a promotion applied again finds the server already promoted" {
	kill -KILL "$(postmaster_pid pg1)"
	plan_sweep
	plan-apply -t topology.json plan.json > /dev/null
	plan_of '[{"id": "a1", "kind": "promote", "server": "pg2", "shard": "s1", "old_primary": "pg1",
	           "lsn": null, "after": [], "reason": "test"}]'
	run --separate-stderr plan-apply -t topology.json plan.json
	assert_status 0
	[ "$(jq -r 'select(.kind) | .result' <<< "$output")" = already ]
	# Nothing changed, so no new topology version is written.
	[ "$(jq -c 'select(.event)' <<< "$output")" = "" ]
	[ "$(sql "$PORT_pg2" "SELECT pg_is_in_recovery()")" = f ]
}

@test "a reserve that never catches up times out with exit 9 and the topology stays" {
	kill -STOP "$(postmaster_pid pg3)"
	pkill -STOP -P "$(postmaster_pid pg3)"
	sql "$PORT_pg1" "INSERT INTO accounts VALUES (200, 'while pg3 sleeps')"
	plan_of '[{"id": "a1", "kind": "activate_reserve", "server": "pg3", "shard": "s1", "after": [], "reason": "test"}]'
	run --separate-stderr plan-apply --timeout 2 -t topology.json plan.json
	pkill -CONT -P "$(postmaster_pid pg3)"
	kill -CONT "$(postmaster_pid pg3)"
	assert_status 9
	[[ "$stderr" == 'plan-apply: reserve "pg3" did not catch up with primary "pg1" (to '*') within 2 s: streaming' ]]
	[ "$(jq -r '.result + " " + .error' <<< "$output")" = "failed ${stderr#plan-apply: }" ]
	[ "$(jq -c '[.version, .servers[2].role]' topology.json)" = '[1,"reserve"]' ]
}

@test "a server whose settings record is gone cannot be wiped: exit 1, nothing removed" {
	rm "$work/pg3/shardkit-server.json"
	plan_of '[{"id": "a1", "kind": "wipe", "server": "pg3", "shard": "s1", "after": [], "reason": "test"},
	          {"id": "a2", "kind": "clone", "server": "pg3", "shard": "s1", "primary": "pg1",
	           "role": "reserve", "after": ["a1"], "reason": "test"}]'
	run --separate-stderr plan-apply -t topology.json plan.json
	assert_status 1
	[[ "${stderr%%$'\n'*}" == "plan-apply: cannot wipe \"$work/pg3\": no settings record (shardkit-server.json) to provision it again from" ]]
	[ "$(jq -r 'select(.kind) | .kind + " " + .result' <<< "$output" | tr '\n' ,)" = "wipe failed,clone skipped," ]
	[ "$(sql "$PORT_pg3" "SELECT pg_is_in_recovery()")" = t ]
	[ "$(jq .version topology.json)" -eq 1 ]
}

@test "a topology another writer replaced while plan-apply worked is never overwritten: exit 5" {
	kill -STOP "$(postmaster_pid pg3)"
	pkill -STOP -P "$(postmaster_pid pg3)"
	sql "$PORT_pg1" "INSERT INTO accounts VALUES (300, 'while pg3 sleeps')"
	plan_of '[{"id": "a1", "kind": "mark_down", "server": "pg2", "shard": "s1", "after": [], "reason": "test"},
	          {"id": "a2", "kind": "activate_reserve", "server": "pg3", "shard": "s1", "after": [], "reason": "test"}]'
	plan-apply --timeout 4 -t topology.json plan.json > log.json 2> err.txt &
	applier=$!
	sleep 1
	# Another writer (an operator's jq, here) publishes version 2 meanwhile.
	jq '.version = 2 | .tables += [{name: "public.orders", key: "id"}]' topology.json > other.json
	mv other.json topology.json
	status=0
	wait "$applier" || status=$?
	pkill -CONT -P "$(postmaster_pid pg3)"
	kill -CONT "$(postmaster_pid pg3)"
	[ "$status" -eq 5 ]
	[ "$(jq -c 'select(.event) | [.version, .result]' log.json)" = '[2,"conflict"]' ]
	[ "$(jq -c '[.version, (.tables | length), .servers[1].state]' topology.json)" = '[2,2,"up"]' ]
	grep -qx 'plan-apply: topology "topology.json" changed under us: expected version 1, found 2' err.txt
}
