#!/usr/bin/env bats
# Failover under faults of the orchestrator itself, on the cluster of
# failover.bats (2 shards at replication factor 3, a reserve each): two
# orchestrators started on one topology (one acts, the other exits 5 or
# waits, the topology stays valid and its version moves exactly by the
# publications logged); plan-apply killed in the middle of a failover,
# then the orchestrator run again (it converges: one primary, the
# replication factor back, no acknowledged write lost).

load helper
load cluster-helper

setup_file() {
	cluster_setup_file cluster_form_replicated
}

teardown_file() {
	cluster_teardown_file
}

setup() {
	cluster_setup
}

teardown() {
	bg_stop_all
	pg_stop_all
}

# Whether someone holds the orchestrator lock, seen in /proc/locks (taking
# it to find out would make an orchestrator starting meanwhile exit 5).
lock_held() {
	local inode
	inode=$(stat -c %i "$work/topology.json.orchestrator.lock" 2>/dev/null) || return 1
	grep -q "^[0-9]*: FLOCK .*:$inode " /proc/locks
}

s1_primary_is() {
	[ "$(shard_primary s1)" = "$1" ]
}

@test "a second orchestrator exits 5 while one runs; the one running fails over alone" {
	base=$(jq .version topology.json)
	bg_start orchestrator -t "$work/topology.json" --interval 0.5 --log "$work/loop.log"
	loop=$bg_pid
	wait_until lock_held
	run --separate-stderr orchestrator -t topology.json --once --log second.log
	assert_status 5
	assert_stderr "orchestrator: another orchestrator holds \"topology.json.orchestrator.lock\" (pid $loop)
orchestrator: HINT: wait for it to finish, or use --wait"
	[ ! -s second.log ] || [ -z "$(jq -c 'select(.kind)' second.log)" ]
	# plan-apply takes the same lock.
	{ health-probe -t topology.json || true; } | orchestrate -t topology.json -H - > plan.json || true
	run --separate-stderr plan-apply -t topology.json plan.json
	assert_status 5
	assert_stderr "plan-apply: another orchestrator holds \"topology.json.orchestrator.lock\" (pid $loop)
plan-apply: HINT: wait for it to finish, or use --wait"
	[ -z "$output" ]

	start_writer dur
	wait_until ledger_acked_by 10 s1 pg1 ledger-dur.txt
	kill -KILL "$(server_pid pg1)"
	wait_until not s1_primary_is pg1
	new=$(shard_primary s1)
	wait_until logged_nonempty loop.log activate_reserve pg7 done
	wait_until ledger_acked_by 10 s1 "$new" ledger-dur.txt
	stop_writer
	kill -TERM "$loop"
	status=0
	wait "$loop" || status=$?
	[ "$status" -eq 0 ]

	run --separate-stderr topo-check --strict -t topology.json
	assert_status 0
	[ "$(jq -c 'select(.kind == "promote" and .result == "done")' loop.log | wc -l)" -eq 1 ]
	[ "$(published_versions loop.log)" = "$(seq -s ' ' $((base + 1)) "$(jq .version topology.json)") " ]
	[ "$(observed_roles | tr ' ' '\n' | grep ':primary$' | sort | tr '\n' ' ')" = \
		"$(printf '%s\n' pg2:primary "$new:primary" | sort | tr '\n' ' ')" ]
	cat ledger.txt ledger-dur.txt > ledger-all.txt
	check_data ledger-all.txt
}

logged_nonempty() {
	[ -n "$(logged "$@" 2>/dev/null)" ]
}

@test "an orchestrator started with --wait acts once the one holding the lock stops" {
	bg_start orchestrator -t "$work/topology.json" --interval 0.5 --log "$work/loop.log"
	loop=$bg_pid
	wait_until lock_held
	kill -KILL "$(server_pid pg3)"
	bg_start orchestrator -t "$work/topology.json" --once --wait --log "$work/waiting.log"
	waiting=$bg_pid
	wait_until logged_nonempty loop.log activate_reserve pg7 done
	# Still waiting for the lock: it has done nothing.
	kill -0 "$waiting"
	[ ! -s waiting.log ] || [ -z "$(jq -c 'select(.kind)' waiting.log)" ]
	kill -TERM "$loop"
	wait "$loop"
	status=0
	wait "$waiting" || status=$?
	[ "$status" -eq 0 ]
	# It found the work done: nothing more to act on.
	[ -z "$(jq -c 'select(.kind != null and .kind != "alert")' waiting.log)" ]
	run --separate-stderr topo-check --strict -t topology.json
	assert_status 0
	[ "$(shard_members s1 replica)" = "pg3 pg5 pg7" ]
	[ "$(jq -r '.servers[] | select(.id == "pg3") | .state' topology.json)" = down ]
	[ "$(observed_roles)" = \
		"pg1:primary pg2:primary pg3:down pg4:replica pg5:replica pg6:replica pg7:replica pg8:replica" ]
	streams_from pg7 pg1
	check_data ledger.txt
}

@test "two orchestrators started at once: one primary is promoted, once, and the topology stays valid" {
	base=$(jq .version topology.json)
	kill -KILL "$(server_pid pg1)"
	orchestrator -t topology.json --once --log a.log 2> a.err &
	a=$!
	orchestrator -t topology.json --once --log b.log 2> b.err &
	b=$!
	sa=0 sb=0
	wait "$a" || sa=$?
	wait "$b" || sb=$?
	[ "$sa" -eq 0 ] || [ "$sa" -eq 5 ]
	[ "$sb" -eq 0 ] || [ "$sb" -eq 5 ]
	[ "$sa" -eq 0 ] || [ "$sb" -eq 0 ]
	touch a.log b.log
	[ "$(cat a.log b.log | jq -c 'select(.kind == "promote" and .result == "done")' | wc -l)" -eq 1 ]
	run --separate-stderr topo-check --strict -t topology.json
	assert_status 0
	# The versions written, by whichever acted, are consecutive from the base.
	[ "$(cat a.log b.log | jq -r 'select(.event == "topology" and .result == "written") | .version' |
		sort -n | tr '\n' ' ')" = "$(seq -s ' ' $((base + 1)) "$(jq .version topology.json)") " ]
	converge
	new=$(shard_members s1 primary)
	[ "$new" = pg3 ] || [ "$new" = pg5 ]
	[ "$(shard_members s1 replica | wc -w)" -eq 2 ]
	[ "$(jq -r '.servers[] | select(.id == "pg1") | .state' topology.json)" = fenced ]
	[ "$(observed_roles | tr ' ' '\n' | grep ':primary$' | sort | tr '\n' ' ')" = \
		"$(printf '%s\n' pg2:primary "$new:primary" | sort | tr '\n' ' ')" ]
	for id in $(shard_members s1 replica); do streams_from "$id" "$new"; done
	check_data ledger.txt
}

@test "plan-apply killed right after the promote: the next orchestrator run converges" {
	start_writer dur
	wait_until ledger_acked_by 10 s1 pg1 ledger-dur.txt
	kill -KILL "$(server_pid pg1)"
	{ health-probe -t topology.json || true; } |
		orchestrate -t topology.json -H - > plan.json || [ $? -eq 8 ]
	candidate=$(jq -r '.actions[] | select(.kind == "promote") | .server' plan.json)
	followers=$(jq -r '.actions[] | select(.kind == "repoint") | .server' plan.json)
	[ -n "$candidate" ] && [ -n "$followers" ]
	# The servers to re-point hang: plan-apply is stuck after the promote.
	for id in $followers; do sigstop "$id"; done
	cluster_settings "$work" "connect_timeout = 60.0;"
	bg_start plan-apply -t "$work/topology.json" "$work/plan.json" > apply.log 2> apply.err
	apply=$bg_pid
	wait_until not in_recovery "$candidate"
	kill -KILL "$apply"
	wait "$apply" || true
	for id in $followers; do sigcont "$id"; done
	cluster_settings "$work"
	# Nothing was published: the topology still names pg1 while the candidate
	# is already a primary.
	[ "$(shard_primary s1)" = pg1 ]

	converge
	n=$(awk -F '\t' -v c="$candidate" '$3 == "s1" && $4 == c' ledger-dur.txt | wc -l)
	wait_until ledger_acked_by $((n + 10)) s1 "$candidate" ledger-dur.txt
	stop_writer
	[ "$(shard_primary s1)" = "$candidate" ]
	[ "$(shard_members s1 replica | wc -w)" -eq 2 ]
	run --separate-stderr topo-check --strict -t topology.json
	assert_status 0
	[ "$(observed_roles | tr ' ' '\n' | grep -c ':primary$')" -eq 2 ]
	for id in $(shard_members s1 replica); do streams_from "$id" "$candidate"; done
	cat ledger.txt ledger-dur.txt > ledger-all.txt
	check_data ledger-all.txt
}

@test "plan-apply killed while the promote hangs: the next orchestrator run converges" {
	kill -KILL "$(server_pid pg1)"
	{ health-probe -t topology.json || true; } |
		orchestrate -t topology.json -H - > plan.json || [ $? -eq 8 ]
	candidate=$(jq -r '.actions[] | select(.kind == "promote") | .server' plan.json)
	sigstop "$candidate"
	cluster_settings "$work" "connect_timeout = 60.0;"
	bg_start plan-apply -t "$work/topology.json" "$work/plan.json" > apply.log 2> apply.err
	apply=$bg_pid
	# The fence is done (pg1 does not answer); the promote waits on the candidate.
	wait_until candidate_has_client "$candidate"
	kill -KILL "$apply"
	wait "$apply" || true
	sigcont "$candidate"
	cluster_settings "$work"
	[ "$(shard_primary s1)" = pg1 ]
	converge
	[ "$(shard_members s1 primary | wc -w)" -eq 1 ]
	[ "$(shard_members s1 replica | wc -w)" -eq 2 ]
	run --separate-stderr topo-check --strict -t topology.json
	assert_status 0
	[ "$(observed_roles | tr ' ' '\n' | grep -c ':primary$')" -eq 2 ]
	check_data ledger.txt
}

not() {
	! "$@"
}

# Whether a TCP connection to the server's port waits in its accept queue or
# is open (the stopped postmaster cannot answer it).
candidate_has_client() {
	local port
	port=$(printf '%04X' "$(server_port "$1")")
	grep -qE "^ *[0-9]+: [0-9A-F]+:$port [0-9A-F]+:[0-9A-F]+ 01 " /proc/net/tcp
}
