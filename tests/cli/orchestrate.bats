#!/usr/bin/env bats
# orchestrate: plans from fixture topologies and health documents; every
# documented error.  The planner's rules one by one are in
# tests/unit/test_orchestrate.c.

load helper

FIX="$BATS_TEST_DIRNAME/fixtures"

assert_usage_error() {
	assert_status 2
	assert_stderr "orchestrate: $1
Try \"orchestrate --help\" for more information."
	[ -z "$output" ]
}

# The primary-down sweep, as taken at time $1 (a new probed_at per sweep).
sweep_at() {
	jq --arg t "$1" '.probed_at = $t' "$FIX/orch-health-primary-down.json" >health.json
}

@test "a healthy cluster needs nothing and exits 0" {
	run --separate-stderr orchestrate -t "$FIX/orch-topology.json" -H "$FIX/orch-health.json"
	assert_status 0
	assert_stderr ""
	[ "$(jq -c '[.format, .topology_version, .health_probed_at, .failure_threshold, .actions, .topology.version]' <<<"$output")" = \
	  '["shardkit-actions/1",5,"2026-11-25T21:04:05Z",3,[],5]' ]
}

@test "a lost primary is fenced, the most advanced replica promoted, the others re-pointed" {
	run --separate-stderr orchestrate -t "$FIX/orch-topology.json" -H "$FIX/orch-health-primary-down.json" --failure-threshold 1
	assert_status 8
	assert_stderr ""
	[ "$(jq -c '[.actions[] | [.id, .kind, .server, .after]]' <<<"$output")" = \
	  '[["a1","fence","pg1",[]],["a2","promote","pg2",["a1"]],["a3","repoint","pg3",["a2"]],["a4","repoint","pg7",["a2"]],["a5","activate_reserve","pg7",["a4","a2"]]]' ]
	[ "$(jq -r '.actions[1].reason' <<<"$output")" = 'primary "pg1" of shard "s1" unreachable for 1 consecutive probe (connection to server at "127.0.0.1", port 5501 failed: Connection refused): "pg2" has the highest received LSN 0/3000148 of the 2 reachable active replicas' ]
	[ "$(jq -c '.actions[1] | [.old_primary, .lsn]' <<<"$output")" = '["pg1","0/3000148"]' ]
	[ "$(jq -c '.topology | [.version, (.servers[] | select(.id == "pg1" or .id == "pg2" or .id == "pg7") | [.id, .state, .role, .shard])]' <<<"$output")" = \
	  '[6,["pg1","fenced",null,null],["pg2","up","primary","s1"],["pg7","up","replica","s1"]]' ]
	# The resulting topology is valid.
	jq .topology <<<"$output" | topo-check
}

@test "the failure threshold is counted across runs with --state" {
	sweep_at 2026-11-25T21:00:00Z
	run --separate-stderr orchestrate -t "$FIX/orch-topology.json" -H health.json -s state.json
	assert_status 0
	[ "$(jq -c .failures state.json)" = '{"pg1":1}' ]
	# The same sweep read again counts once.
	run --separate-stderr orchestrate -t "$FIX/orch-topology.json" -H health.json -s state.json
	assert_status 0
	[ "$(jq -c .failures state.json)" = '{"pg1":1}' ]
	sweep_at 2026-11-25T21:00:01Z
	run --separate-stderr orchestrate -t "$FIX/orch-topology.json" -H health.json -s state.json
	assert_status 0
	[ "$(jq -c '[.probed_at, .failures]' state.json)" = '["2026-11-25T21:00:01Z",{"pg1":2}]' ]
	sweep_at 2026-11-25T21:00:02Z
	run --separate-stderr orchestrate -t "$FIX/orch-topology.json" -H health.json -s state.json
	assert_status 8
	[ "$(jq -r '.actions[1].kind + " " + .actions[1].server' <<<"$output")" = "promote pg2" ]
	[ "$(jq -c .failures state.json)" = '{"pg1":3}' ]
	# A sweep that reaches it resets its count.
	run --separate-stderr orchestrate -t "$FIX/orch-topology.json" -H "$FIX/orch-health.json" -s state.json
	assert_status 0
	[ "$(jq -c .failures state.json)" = '{}' ]
}

@test "without --state each run counts one failed probe" {
	run --separate-stderr orchestrate -t "$FIX/orch-topology.json" -H "$FIX/orch-health-primary-down.json"
	assert_status 0
	[ "$(jq '.actions | length' <<<"$output")" -eq 0 ]
}

@test "the failure threshold comes from the configuration file" {
	printf 'failure_threshold = 1;\n' >orch.conf
	run --separate-stderr orchestrate -c orch.conf -t "$FIX/orch-topology.json" -H "$FIX/orch-health-primary-down.json"
	assert_status 8
	[ "$(jq .failure_threshold <<<"$output")" -eq 1 ]
	# The option wins over the file.
	run --separate-stderr orchestrate -c orch.conf --failure-threshold 2 -t "$FIX/orch-topology.json" -H "$FIX/orch-health-primary-down.json"
	assert_status 0
}

@test "the health document can come from standard input and the topology from SHARDKIT_TOPOLOGY" {
	SHARDKIT_TOPOLOGY="$FIX/orch-topology.json" run --separate-stderr orchestrate -H - --failure-threshold 1 <"$FIX/orch-health-primary-down.json"
	assert_status 8
	[ "$(jq '.actions | length' <<<"$output")" -eq 5 ]
}

@test "a reserve pool below its target raises an alert naming the servers to add" {
	run --separate-stderr orchestrate -t "$FIX/orch-topology.json" -H "$FIX/orch-health.json" --reserve-target 5
	assert_status 8
	[ "$(jq -c '.actions[0] | [.kind, .severity, .servers_needed, .reason]' <<<"$output")" = \
	  '["alert","warning",2,"the reserve pool has 3 of its target 5 servers: add 2"]' ]
	[ "$(jq .topology.version <<<"$output")" -eq 5 ]
}

@test "a health document of an older topology gives an alert only, exit 5, and no count" {
	jq '.topology_version = 4' "$FIX/orch-health-primary-down.json" >old.json
	run --separate-stderr orchestrate -t "$FIX/orch-topology.json" -H old.json --failure-threshold 1 -s state.json
	assert_status 5
	assert_stderr ""
	[ "$(jq -c '[.actions[] | [.kind, .severity, .reason]]' <<<"$output")" = \
	  '[["alert","warning","the health document probed topology version 4, the topology is version 5: no action until a sweep of this version"]]' ]
	[ ! -e state.json ]
}

@test "two servers answering as primary of one shard give an alert only" {
	jq '(.servers[] | select(.id == "pg2" or .id == "pg3")) |= (.observed_role = "primary")' "$FIX/orch-health-primary-down.json" >split.json
	run --separate-stderr orchestrate -t "$FIX/orch-topology.json" -H split.json --failure-threshold 1
	assert_status 8
	[ "$(jq -c '[.actions[] | [.kind, .severity, .shard]]' <<<"$output")" = '[["alert","critical","s1"]]' ]
	[ "$(jq .topology.version <<<"$output")" -eq 5 ]
	# One replica answering as primary while the recorded one is not yet lost: the same.
	jq '(.servers[] | select(.id == "pg3")) |= (.observed_role = "primary")' "$FIX/orch-health-primary-down.json" >split.json
	run --separate-stderr orchestrate -t "$FIX/orch-topology.json" -H split.json
	assert_status 8
	[ "$(jq -r '.actions[] | .kind + ": " + .reason' <<<"$output")" = 'alert: server "pg3" of shard "s1" answers as a primary, but the topology'"'"'s primary is "pg1": no action on the shard' ]
}

@test "a replica already promoted by an interrupted run is the one promoted again" {
	jq '(.servers[] | select(.id == "pg3")) |= (.observed_role = "primary" | .current_lsn = "0/3000100")' "$FIX/orch-health-primary-down.json" >resumed.json
	run --separate-stderr orchestrate -t "$FIX/orch-topology.json" -H resumed.json --failure-threshold 1
	assert_status 8
	[ "$(jq -c '[.actions[] | select(.kind == "promote") | .server]' <<<"$output")" = '["pg3"]' ]
}

@test "a lost no-replication server marks its shard down with a data-loss flag" {
	run --separate-stderr orchestrate -t "$FIX/orch-no-replication.json" -H "$FIX/orch-no-replication-health.json" --failure-threshold 1
	assert_status 8
	[ "$(jq -c '.actions[] | [.kind, .server, .shard, .shard_down, .data_loss]' <<<"$output")" = '["mark_down","pg1","s1",true,true]' ]
	[ "$(jq -c '[.topology.shards[].state]' <<<"$output")" = '["down","active"]' ]
	# ring-lookup routes the dead shard's keys to the next shard.
	jq .topology <<<"$output" >after.json
	run --separate-stderr ring-lookup -t after.json alice bob carol dave
	assert_status 0
	! grep -q '"shard": *"s1"' <<<"$output"
}

@test "a returning no-replication server brings its shard back with its data" {
	jq '.servers[0].state = "down" | .shards[0].state = "down"' "$FIX/orch-no-replication.json" >down.json
	jq '.servers[0] |= (.reachable = true | .error = null | .observed_role = "primary" | .current_lsn = "0/1A2B3C4")' \
		"$FIX/orch-no-replication-health.json" >back.json
	run --separate-stderr orchestrate -t down.json -H back.json
	assert_status 8
	[ "$(jq -c '[.actions[] | [.kind, .server]]' <<<"$output")" = '[["mark_active","pg1"],["alert","pg1"]]' ]
	[ "$(jq -c '[.topology.shards[].state]' <<<"$output")" = '["active","active"]' ]
}

@test "no health document is a usage error" {
	run --separate-stderr orchestrate -t "$FIX/orch-topology.json"
	assert_usage_error 'no health document: give -H FILE ("-" for standard input)'
}

@test "both documents on standard input is a usage error" {
	run --separate-stderr orchestrate -t - -H -
	assert_usage_error "the topology and the health document cannot both be read from standard input"
	run --separate-stderr orchestrate -H - </dev/null
	assert_usage_error "the topology and the health document cannot both be read from standard input"
}

@test "bad numeric options, an unknown option and an argument are usage errors" {
	local bad
	for bad in 0 1001 -1 x 2.5 ""; do
		run --separate-stderr orchestrate -H h.json --failure-threshold "$bad"
		assert_usage_error "invalid --failure-threshold \"$bad\": expected an integer from 1 to 1000"
	done
	run --separate-stderr orchestrate -H h.json --reserve-target -3
	assert_usage_error 'invalid --reserve-target "-3": expected an integer from 0 to 1000000'
	run --separate-stderr orchestrate -H h.json extra
	assert_usage_error 'unexpected argument "extra"'
	run --separate-stderr orchestrate --bogus
	assert_status 2
	assert_stderr "orchestrate: unrecognized option '--bogus'
Try \"orchestrate --help\" for more information."
}

@test "a missing health document exits 1" {
	run --separate-stderr orchestrate -t "$FIX/orch-topology.json" -H missing.json
	assert_status 1
	assert_stderr 'orchestrate: could not open "missing.json": No such file or directory'
	[ -z "$output" ]
}

@test "a truncated health document is rejected with its line and column" {
	printf '{"format": "shardkit-health/1",\n "servers": ' >h.json
	run --separate-stderr orchestrate -t "$FIX/orch-topology.json" -H h.json
	assert_status 3
	assert_stderr "orchestrate: h.json:2:12: unexpected token near end of file"
	[ -z "$output" ]
}

@test "an invalid health document is rejected with the JSON path of the problem" {
	jq '.servers[2].received_lsn = "3000148"' "$FIX/orch-health.json" >h.json
	run --separate-stderr orchestrate -t "$FIX/orch-topology.json" -H h.json
	assert_status 3
	assert_stderr 'orchestrate: h.json: servers[2].received_lsn: expected an LSN such as "0/3000148", found "3000148"'
	[ -z "$output" ]
	jq '.format = "shardkit-health/2"' "$FIX/orch-health.json" | {
		run --separate-stderr orchestrate -t "$FIX/orch-topology.json" -H -
		assert_status 3
		assert_stderr 'orchestrate: <stdin>: format: expected "shardkit-health/1", found "shardkit-health/2"'
	}
}

@test "an invalid topology is rejected with the JSON path of the problem" {
	jq '.servers[0].role = "boss"' "$FIX/orch-topology.json" >topo.json
	run --separate-stderr orchestrate -t topo.json -H "$FIX/orch-health.json"
	assert_status 3
	assert_stderr 'orchestrate: topo.json: servers[0].role: expected "none", "primary", "replica" or "reserve", found "boss"'
	[ -z "$output" ]
}

@test "a malformed or invalid state file is bad input and is left alone" {
	printf '{"format": ' >state.json
	run --separate-stderr orchestrate -t "$FIX/orch-topology.json" -H "$FIX/orch-health.json" -s state.json
	assert_status 3
	assert_stderr "orchestrate: state.json:1:11: unexpected token near end of file"
	[ -z "$output" ]
	printf '{"format": "shardkit-orchestrate-state/1", "failures": {"pg1": "two"}}\n' >state.json
	run --separate-stderr orchestrate -t "$FIX/orch-topology.json" -H "$FIX/orch-health.json" -s state.json
	assert_status 3
	assert_stderr "orchestrate: state.json: failures.pg1: expected an integer from 0 to 1000000000"
	grep -q two state.json
}

@test "a state file that cannot be written fails with nothing on standard output" {
	run --separate-stderr orchestrate -t "$FIX/orch-topology.json" -H "$FIX/orch-health.json" -s nodir/state.json
	assert_status 1
	[[ "$stderr" == "orchestrate: "*"nodir/state.json"*"No such file or directory" ]]
	[ -z "$output" ]
}

@test "a bad configuration file exits 4" {
	printf 'failure_threshold = 0;\n' >bad.conf
	run --separate-stderr orchestrate -c bad.conf -t "$FIX/orch-topology.json" -H "$FIX/orch-health.json"
	assert_status 4
	assert_stderr 'orchestrate: bad.conf:1: "failure_threshold" must be between 1 and 1000'
}

@test "a closed standard output is an error, not silence" {
	run --separate-stderr bash -c "orchestrate -t '$FIX/orch-topology.json' -H '$FIX/orch-health.json' >&-"
	assert_status 1
	assert_stderr "orchestrate: could not write to standard output: Bad file descriptor"
}

@test "--help prints the usage line first and exits 0" {
	run --separate-stderr orchestrate --help
	assert_status 0
	assert_stderr ""
	[ "${lines[0]}" = "usage: orchestrate -H file [-c file] [-s file] [-t file] [--failure-threshold count] [--reserve-target count]" ]
}

@test "--version prints the program and the version" {
	run --separate-stderr orchestrate --version
	assert_status 0
	[ "$output" = "orchestrate (shardkit) $(cat "$TOP/VERSION")" ]
}

@test "the usage line matches the manual's synopsis" {
	usage_matches_synopsis orchestrate
}

@test "both manual pages pass mandoc's lint" {
	run mandoc -Tlint -Wwarning "$TOP/man/orchestrate.1" "$TOP/man/shardkit-actions.5"
	assert_status 0
}

@test "the manual's example pipelines run" {
	cp "$FIX/orch-topology.json" cluster.json
	run bash -c "orchestrate -t cluster.json -H '$FIX/orch-health-primary-down.json' --failure-threshold 1 >plan.json; echo \$?"
	[ "$output" = 8 ]
	run bash -c "jq -r '.actions[] | \"\(.kind) \(.server // .shard // \"-\"): \(.reason)\"' plan.json | head -n 1"
	[[ "$output" == 'fence pg1: primary "pg1" of shard "s1" unreachable'* ]]
	run bash -c "jq .topology plan.json | topo-check"
	assert_status 0
	run bash -c "jq -r --arg s pg7 '.actions[] | select(.server == \$s) | .id + \" \" + .kind' plan.json"
	[ "$output" = "a4 repoint
a5 activate_reserve" ]
}
