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
