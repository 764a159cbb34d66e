#!/usr/bin/env bats
# plan-apply without servers: plans whose actions contact none (mark_down,
# alert), the lock, stale plans, bad plans and every usage error.  Actions
# on real servers are in tests/integration/plan-apply.bats and the failover
# scenarios.

load helper

FIX="$BATS_TEST_DIRNAME/fixtures"

assert_usage_error() {
	assert_status 2
	assert_stderr "plan-apply: $1
Try \"plan-apply --help\" for more information."
	[ -z "$output" ]
}

# A no-replication cluster whose s1 server is lost, and the plan for it.
lost_server_plan() {
	cp "$FIX/orch-no-replication.json" topology.json
	orchestrate -t topology.json -H "$FIX/orch-no-replication-health.json" \
		--failure-threshold 1 >plan.json || [ $? -eq 8 ]
}

@test "--help prints the usage line of the manual's synopsis" {
	run --separate-stderr plan-apply --help
	assert_status 0
	[ "${lines[0]}" = "usage: plan-apply [-c file] [-t file] [--sync-count k] [--timeout seconds] [--wait] [file]" ]
	usage_matches_synopsis plan-apply
}

@test "--version names the program and the toolkit" {
	run --separate-stderr plan-apply --version
	assert_status 0
	[[ "$output" == "plan-apply (shardkit) "* ]]
}

@test "a plan that marks a server down is recorded in a new topology version" {
	lost_server_plan
	run --separate-stderr plan-apply -t topology.json plan.json
	assert_status 0
	assert_stderr ""
	[ "$(jq -c 'select(.kind) | [.id, .kind, .server, .shard, .result, .error]' <<<"$output")" = \
	  '["a1","mark_down","pg1","s1","done",null]' ]
	[ "$(jq -c 'select(.event) | [.event, .version, .result]' <<<"$output")" = '["topology",3,"written"]' ]
	[ "$(jq -c '[.version, (.servers[0] | [.id, .state]), (.shards[0] | [.id, .state])]' topology.json)" = \
	  '[3,["pg1","down"],["s1","down"]]' ]
	topo-check -t topology.json
	# Every log line carries a time with milliseconds.
	[ "$(jq -r .time <<<"$output" | grep -c '^20[0-9-]*T[0-9:]*\.[0-9]\{3\}Z$')" -eq 2 ]
}

@test "the plan is read from standard input and the topology from SHARDKIT_TOPOLOGY" {
	lost_server_plan
	SHARDKIT_TOPOLOGY=topology.json run --separate-stderr plan-apply <plan.json
	assert_status 0
	[ "$(jq .version topology.json)" -eq 3 ]
}

@test "a plan applied twice is stale the second time and changes nothing" {
	lost_server_plan
	plan-apply -t topology.json plan.json >/dev/null
	cp topology.json before.json
	run --separate-stderr plan-apply -t topology.json plan.json
	assert_status 5
	assert_stderr "plan-apply: the plan was made from topology version 2, but \"topology.json\" is version 3
plan-apply: HINT: plan again from the stored topology: health-probe | orchestrate | plan-apply"
	[ -z "$output" ]
	cmp topology.json before.json
}

@test "an alert is logged, warned about on stderr, and changes no topology" {
	cp "$FIX/orch-no-replication.json" topology.json
	jq -n '{format: "shardkit-actions/1", topology_version: 2, health_probed_at: "2026-11-26T00:00:00Z",
	        failure_threshold: 1, actions: [{id: "a1", kind: "alert", severity: "critical",
	        server: "pg1", shard: "s1", after: [], reason: "a human must look"}]}' >plan.json
	run --separate-stderr plan-apply -t topology.json plan.json
	assert_status 0
	assert_stderr "plan-apply: warning: critical alert: a human must look"
	[ "$(jq -c '[.kind, .severity, .result]' <<<"$output")" = '["alert","critical","done"]' ]
	[ "$(jq .version topology.json)" -eq 2 ]
}

@test "an empty plan does nothing and exits 0" {
	cp "$FIX/orch-no-replication.json" topology.json
	orchestrate -t topology.json -H "$FIX/orch-no-replication-health.json" >plan.json
	run --separate-stderr plan-apply -t topology.json plan.json
	assert_status 0
	assert_stderr ""
	[ -z "$output" ]
	[ "$(jq .version topology.json)" -eq 2 ]
}

@test "another orchestrator holding the lock makes plan-apply exit 5 and name it" {
	lost_server_plan
	exec 9>topology.json.orchestrator.lock
	flock -n 9
	echo 4242 >&9
	run --separate-stderr plan-apply -t topology.json plan.json
	exec 9>&-
	assert_status 5
	assert_stderr "plan-apply: another orchestrator holds \"topology.json.orchestrator.lock\" (pid 4242)
plan-apply: HINT: wait for it to finish, or use --wait"
	[ "$(jq .version topology.json)" -eq 2 ]
}

@test "with --wait plan-apply waits for the lock, then applies the plan" {
	lost_server_plan
	flock topology.json.orchestrator.lock sleep 1 &
	sleep 0.2
	run --separate-stderr plan-apply --wait -t topology.json plan.json
	wait
	assert_status 0
	[ "$(jq .version topology.json)" -eq 3 ]
}

@test "a plan naming a server the topology does not have is bad input" {
	lost_server_plan
	jq '.actions[0].server = "pg99"' plan.json >bad.json
	run --separate-stderr plan-apply -t topology.json bad.json
	assert_status 3
	[[ "$stderr" == "plan-apply: bad.json: "*pg99* ]]
	[ -z "$output" ]
	[ "$(jq .version topology.json)" -eq 2 ]
}

@test "a plan that is not JSON is reported with its line and column" {
	cp "$FIX/orch-no-replication.json" topology.json
	printf '{"format": \n' >bad.json
	run --separate-stderr plan-apply -t topology.json bad.json
	assert_status 3
	[[ "$stderr" == "plan-apply: bad.json:"[0-9]*:[0-9]*": "* ]]
	[ -z "$output" ]
}

@test "a missing topology file exits 1" {
	lost_server_plan
	run --separate-stderr plan-apply -t missing.json plan.json
	assert_status 1
	[[ "$stderr" == *missing.json* ]]
}

@test "a missing configuration file exits 4" {
	lost_server_plan
	run --separate-stderr plan-apply -c nonexistent.conf -t topology.json plan.json
	assert_status 4
}

@test "no topology file is a usage error" {
	run --separate-stderr plan-apply plan.json
	assert_usage_error "the topology file to update is required (-t or \$SHARDKIT_TOPOLOGY)"
}

@test "standard input as the topology is a usage error" {
	run --separate-stderr plan-apply -t - plan.json
	assert_usage_error "the topology must be a file: plan-apply writes it back"
}

@test "two plan files are a usage error" {
	run --separate-stderr plan-apply -t topology.json a.json b.json
	assert_usage_error 'unexpected argument "b.json"'
}

@test "a timeout that is not a number is a usage error" {
	run --separate-stderr plan-apply -t topology.json --timeout soon plan.json
	assert_status 2
	[[ "$stderr" == "plan-apply: "*--timeout* ]]
}

@test "a sync count out of range is a usage error" {
	run --separate-stderr plan-apply -t topology.json --sync-count 0 plan.json
	assert_status 2
	[[ "$stderr" == "plan-apply: "*--sync-count* ]]
}

@test "an unknown option prints the Try line and exits 2" {
	run --separate-stderr plan-apply --bogus
	assert_status 2
	assert_stderr "plan-apply: unrecognized option '--bogus'
Try \"plan-apply --help\" for more information."
}

@test "a stale plan naming a server that has left the topology is stale, not bad input" {
	lost_server_plan
	jq '.version = 3 | .servers |= map(select(.id != "pg1")) | .shards |= map(select(.id != "s1"))' \
		topology.json > moved.json
	mv moved.json topology.json
	run --separate-stderr plan-apply -t topology.json plan.json
	assert_status 5
	[[ "$stderr" == "plan-apply: the plan was made from topology version 2, but \"topology.json\" is version 3"* ]]
}
