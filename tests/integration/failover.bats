#!/usr/bin/env bats
# Failover on a real cluster: 2 shards at replication factor 3 plus a reserve
# each (8 servers), formed with server-init, shard-plan, ring-place and
# replica-attach, 200 rows written through the ring.  A primary killed with
# SIGKILL is replaced by its most advanced replica, the others follow it and
# the reserve becomes active; a replica killed is replaced by the shard's
# reserve; a shard without a reserve takes the other shard's; the old
# primary that restarts is wiped into the reserve pool.  Each scenario checks
# the topology, what health-probe observes, and that every row written
# before and every write acknowledged during is on the new primary and its
# replicas.  The orchestrator runs with --once, sweep after sweep, with a
# failure threshold of 1.

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

@test "the formed cluster has two shards of three servers and a reserve each, all streaming" {
	run --separate-stderr topo-check --strict -t topology.json
	assert_status 0
	[ "$(topology_roles)" = \
		"pg1:primary:s1 pg2:primary:s2 pg3:replica:s1 pg4:replica:s2 pg5:replica:s1 pg6:replica:s2 pg7:reserve:s1 pg8:reserve:s2" ]
	[ "$(observed_roles)" = \
		"pg1:primary pg2:primary pg3:replica pg4:replica pg5:replica pg6:replica pg7:replica pg8:replica" ]
	for id in pg3 pg5 pg7; do streams_from "$id" pg1; done
	for id in pg4 pg6 pg8; do streams_from "$id" pg2; done
	[ "$(sql pg1 -c "SHOW synchronous_standby_names")" = 'ANY 1 ("pg3", "pg5")' ]
	[ "$(sql pg2 -c "SHOW synchronous_standby_names")" = 'ANY 1 ("pg4", "pg6")' ]
	# The rows went to both shards, and are on every replica.
	[ "$(wc -l < ledger.txt)" -eq 200 ]
	[ "$(cut -f3 ledger.txt | sort -u | tr '\n' ' ')" = "s1 s2 " ]
	check_data ledger.txt
}

@test "a primary killed with SIGKILL: the most advanced replica wins, the others follow it, the reserve becomes active" {
	base=$(jq .version topology.json)
	start_writer dur
	wait_until ledger_acked_by 10 s1 pg1 ledger-dur.txt
	# pg3 loses its upstream: pg5 alone receives and acknowledges what follows.
	disconnect pg3
	behind=$(sql pg3 -c "SELECT pg_last_wal_receive_lsn()")
	n=$(awk -F '\t' '$3 == "s1"' ledger-dur.txt | wc -l)
	wait_until ledger_acked_by $((n + 10)) s1 pg1 ledger-dur.txt
	kill -KILL "$(server_pid pg1)"
	converge
	# The writer carries on through the new primary.
	wait_until ledger_acked_by 10 s1 pg5 ledger-dur.txt
	stop_writer

	# pg5, ahead of pg3, was promoted; pg1 fenced; pg7 active: 3 of 3 again.
	[ -n "$(logged orchestrator.log promote pg5 done)" ]
	[ -n "$(logged orchestrator.log fence pg1 "done|already")" ]
	[ -n "$(logged orchestrator.log activate_reserve pg7 done)" ]
	[ "$(sql pg5 -c "SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), '$behind') > 0")" = t ]
	[ "$(topology_roles)" = \
		"pg1:none(fenced) pg2:primary:s2 pg3:replica:s1 pg4:replica:s2 pg5:primary:s1 pg6:replica:s2 pg7:replica:s1 pg8:reserve:s2" ]
	run --separate-stderr topo-check --strict -t topology.json
	assert_status 0
	[ "$(jq .version topology.json)" -gt "$base" ]
	[ "$(published_versions orchestrator.log)" = "$(seq -s ' ' $((base + 1)) "$(jq .version topology.json)") " ]
	# What the servers say: pg5 a primary on a new timeline, pg3 and pg7 its replicas.
	[ "$(observed_roles)" = \
		"pg1:down pg2:primary pg3:replica pg4:replica pg5:primary pg6:replica pg7:replica pg8:replica" ]
	[ "$(probed pg5 timeline)" -eq 2 ]
	streams_from pg3 pg5
	streams_from pg7 pg5
	[ "$(sql pg5 -c "SHOW synchronous_standby_names")" = 'ANY 1 ("pg3", "pg7")' ]
	# Every row written before and every write acknowledged during.
	cat ledger.txt ledger-dur.txt > ledger-all.txt
	check_data ledger-all.txt
}

@test "an active replica killed with SIGKILL: the shard's reserve becomes active" {
	cluster_settings "$work" "failure_threshold = 2;"
	base=$(jq .version topology.json)
	start_writer dur
	wait_until ledger_acked_by 10 s1 pg1 ledger-dur.txt
	kill -KILL "$(server_pid pg3)"
	# One failed probe is below the threshold: nothing is done yet.
	orchestrator -t topology.json --once --log orchestrator.log
	! log_acted_after orchestrator.log 0
	[ "$(jq .version topology.json)" -eq "$base" ]
	# The next sweep is the second failed probe: now it acts.
	converge
	[ "$(jq -s '[.[] | select(.server == "pg3" and .result == "unreachable")] | length' \
		orchestrator.log)" -ge 2 ]
	n=$(awk -F '\t' '$3 == "s1"' ledger-dur.txt | wc -l)
	wait_until ledger_acked_by $((n + 10)) s1 pg1 ledger-dur.txt
	stop_writer

	[ -n "$(logged orchestrator.log mark_down pg3 done)" ]
	[ -n "$(logged orchestrator.log activate_reserve pg7 done)" ]
	[ -z "$(jq -c 'select(.kind == "promote" or .kind == "fence")' orchestrator.log)" ]
	[ "$(topology_roles)" = \
		"pg1:primary:s1 pg2:primary:s2 pg3:replica:s1(down) pg4:replica:s2 pg5:replica:s1 pg6:replica:s2 pg7:replica:s1 pg8:reserve:s2" ]
	run --separate-stderr topo-check --strict -t topology.json
	assert_status 0
	[ "$(observed_roles)" = \
		"pg1:primary pg2:primary pg3:down pg4:replica pg5:replica pg6:replica pg7:replica pg8:replica" ]
	streams_from pg7 pg1
	# The reserve now counts: it is in the synchronous set.
	sync=$(sql pg1 -c "SHOW synchronous_standby_names")
	[[ "$sync" == 'ANY 1 ('*'"pg5"'*'"pg7")' ]]
	cat ledger.txt ledger-dur.txt > ledger-all.txt
	check_data ledger-all.txt
}

@test "a shard with no reserve left loses a replica: the other shard's reserve is detached, wiped, cloned and activated" {
	# Each sweep a pipeline: health-probe | orchestrate | plan-apply.
	start_writer dur
	wait_until ledger_acked_by 10 s1 pg1 ledger-dur.txt
	kill -KILL "$(server_pid pg3)"
	until_quiet sweep_pipeline
	[ "$(shard_members s1 reserve)" = "" ]
	[ "$(shard_members s1 replica)" = "pg3 pg5 pg7" ]
	s2_sysid=$(system_id_of pg2)
	[ "$(system_id_of pg8)" = "$s2_sysid" ]
	kill -KILL "$(server_pid pg5)"
	until_quiet sweep_pipeline
	n=$(awk -F '\t' '$3 == "s1"' ledger-dur.txt | wc -l)
	wait_until ledger_acked_by $((n + 10)) s1 pg1 ledger-dur.txt
	stop_writer

	for kind in detach wipe clone activate_reserve; do
		[ -n "$(logged apply.log "$kind" pg8 done)" ]
	done
	# The topology is the plan's, published twice (before the clone, so
	# clients route around the change at once, and at the end).
	plan=$(grep -l '"clone"' plan-*.json | head -n 1)
	[ "$(jq -S '.topology | del(.version)' "$plan")" = "$(jq -S 'del(.version)' topology.json)" ]
	from=$(jq .topology_version "$plan")
	[ "$(jq .version topology.json)" -eq $((from + 2)) ]
	[ "$(published_versions apply.log)" = "$(seq -s ' ' "$from" $((from + 2))) " ]
	[ "$(topology_roles)" = \
		"pg1:primary:s1 pg2:primary:s2 pg3:replica:s1(down) pg4:replica:s2 pg5:replica:s1(down) pg6:replica:s2 pg7:replica:s1 pg8:replica:s1" ]
	run --separate-stderr topo-check --strict -t topology.json
	assert_status 0
	[ "$(observed_roles)" = \
		"pg1:primary pg2:primary pg3:down pg4:replica pg5:down pg6:replica pg7:replica pg8:replica" ]
	# pg8 is now a copy of s1's cluster, streaming from pg1; s2 forgot it.
	[ "$(system_id_of pg8)" = "$(system_id_of pg1)" ]
	[ "$(system_id_of pg8)" != "$s2_sysid" ]
	streams_from pg8 pg1
	[ "$(sql pg2 -c "SELECT count(*) FROM pg_replication_slots WHERE slot_name = 'shardkit_pg8'")" = 0 ]
	# pg8 now counts in s1's synchronous set (the dead replicas, still
	# replicas of s1 marked down, stay listed: they acknowledge nothing).
	[[ "$(sql pg1 -c "SHOW synchronous_standby_names")" == 'ANY 1 ('*'"pg7", "pg8")' ]]
	[ "$(sql pg2 -c "SHOW synchronous_standby_names")" = 'ANY 1 ("pg4", "pg6")' ]
	cat ledger.txt ledger-dur.txt > ledger-all.txt
	check_data ledger-all.txt
}

@test "the old primary restarted after a failover is wiped into the reserve pool, never serving its old history" {
	# A row only pg1 has: its replicas are cut off when it commits locally.
	disconnect pg3
	disconnect pg5
	disconnect pg7
	ghost=ghost-1
	sql pg1 -c "SET synchronous_commit = local" -c "INSERT INTO $FAILOVER_TABLE (id, payload) VALUES ('$ghost', 'only on pg1')"
	old_sysid=$(system_id_of pg1)
	kill -KILL "$(server_pid pg1)"
	# A mark in its data directory: a wipe removes it, a rewind would not.
	touch "$(server_data pg1)/old-history"
	converge
	primary=$(shard_primary s1)
	[ "$primary" = pg3 ] || [ "$primary" = pg5 ]
	[ "$(sql "$primary" -c "SELECT count(*) FROM $FAILOVER_TABLE WHERE id = '$ghost'")" = 0 ]

	# pg1 comes back as it was: a primary of the old timeline, with the row.
	start_server pg1
	[ "$(probed pg1 observed_role)" = primary ]
	[ "$(probed pg1 timeline)" -eq 1 ]
	converge
	[ -n "$(logged orchestrator.log wipe pg1 done)" ]
	[ -n "$(logged orchestrator.log clone pg1 done)" ]
	[ ! -e "$(server_data pg1)/old-history" ]
	# Now a reserve of s1 (the shard with the fewest), a copy of the new primary.
	[ "$(jq -r '.servers[] | select(.id == "pg1") | [.role, .shard, .state] | join(" ")' topology.json)" = \
		"reserve s1 up" ]
	run --separate-stderr topo-check --strict -t topology.json
	assert_status 0
	[ "$(probed pg1 observed_role)" = replica ]
	[ "$(probed pg1 timeline)" -eq 2 ]
	in_recovery pg1
	streams_from pg1 "$primary"
	[ "$(system_id_of pg1)" = "$old_sysid" ]
	# The old history is gone: the row only it had is nowhere.
	[ "$(sql pg1 -c "SELECT count(*) FROM $FAILOVER_TABLE WHERE id = '$ghost'")" = 0 ]
	[ "$(sql "$primary" -c "SELECT count(*) FROM $FAILOVER_TABLE WHERE id = '$ghost'")" = 0 ]
	[ "$(ledger_rows_on pg1 s1 ledger.txt)" -eq "$(awk -F '\t' '$3 == "s1"' ledger.txt | wc -l)" ]
	# And one primary per shard, as the servers say.
	[ "$(observed_roles | tr ' ' '\n' | grep -c ':primary$')" -eq 2 ]
	check_data ledger.txt
}
