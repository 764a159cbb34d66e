#!/usr/bin/env bats
# The demo of the README's first set-up command, end to end against real servers.

load helper

@test "the demo provisions a cluster, routes keys and reports it healthy" {
	run --separate-stderr timeout 300 "$TOP/scripts/demo"
	assert_status 0
	# Every key was routed before and after the fourth server joined.
	[ "$(grep -c $'^alice\t' <<< "$output")" -eq 2 ]
	grep -q '"moved_fraction":0.25' <<< "$output"
	grep -q '"status":"healthy"' <<< "$output"
	[ "$(grep -c '"reachable":true' <<< "$output")" -eq 4 ]
	# Nothing is left behind.
	! ls -d /tmp/shardkit-demo.* 2>/dev/null | grep -q .
}
