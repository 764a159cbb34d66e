#!/usr/bin/env bats
# orchestrator: options, every documented error and exit status, the lock,
# signals and the decision log, on a topology whose servers refuse every
# connection (loopback ports 1 and 2, where nothing listens).  Failover on
# real servers is tests/integration/orchestrator.bats.

load helper

setup() {
	cd "$BATS_TEST_TMPDIR" || return 1
	: > empty.conf
	chmod 0600 empty.conf
	export SHARDKIT_CONF="$BATS_TEST_TMPDIR/empty.conf"
	cat > t.json <<-'EOF'
	{"version": 1, "mode": "primary-replica", "replication_factor": 2,
	 "servers": [
	  {"id": "pg1", "conninfo": "host=127.0.0.1 port=1 user=postgres dbname=postgres",
	   "state": "up", "role": "primary", "shard": "s1"},
	  {"id": "pg2", "conninfo": "host=127.0.0.1 port=2 user=postgres dbname=postgres",
	   "state": "up", "role": "replica", "shard": "s1"}],
	 "shards": [{"id": "s1", "state": "active"}]}
	EOF
	# No server at all: sweeps that find nothing to do.
	echo '{"version": 1, "mode": "primary-replica", "replication_factor": 1, "servers": [], "shards": []}' > none.json
}

teardown() {
	local pid
	for pid in ${loop_pid:-} ${waiter_pid:-}; do
		kill -TERM "$pid" 2>/dev/null || true
		wait "$pid" 2>/dev/null || true
	done
}

assert_usage_error() {
	assert_status 2
	assert_stderr "orchestrator: $1
Try \"orchestrator --help\" for more information."
	[ -z "$output" ]
}

# Wait (bounded, never asserted on time) until COMMAND succeeds.
wait_for() {
	local tries=0
	until "$@"; do
		tries=$((tries + 1))
		[ $tries -lt 300 ] || { echo "gave up waiting for: $*" >&2; return 1; }
		sleep 0.05
	done
}

has_line() {
	grep -q "$2" "$1" 2>/dev/null
}

start_loop() {
	# Not a line of the last loop's: its log is gone before this one starts.
	rm -f log.jsonl
	orchestrator "$@" > log.jsonl 2> loop.err &
	loop_pid=$!
	wait_for has_line log.jsonl '"event":"start"'
}

@test "--help prints the usage line first and exits 0" {
	run --separate-stderr orchestrator --help
	assert_status 0
	[ "${lines[0]}" = "usage: orchestrator [-c file] [-t file] [--dry-run] [--failure-threshold count] [--interval seconds] [--log file] [--once] [--reprobe-interval seconds] [--reserve-target count] [--state file] [--sync-count k] [--timeout seconds] [--wait]" ]
	assert_stderr ""
}

@test "the usage line matches the manual page's synopsis" {
	usage_matches_synopsis orchestrator
}

@test "the manual page passes mandoc's lint" {
	run mandoc -Tlint -Wwarning "$TOP/man/orchestrator.1"
	assert_status 0
}

@test "--version prints the program and the toolkit version" {
	run --separate-stderr orchestrator --version
	assert_status 0
	[[ "$output" =~ ^orchestrator\ \(shardkit\)\ [0-9]+\.[0-9]+\.[0-9]+$ ]]
}

@test "an unknown option is a usage error" {
	run --separate-stderr orchestrator -t t.json --bogus
	assert_status 2
	[ "${stderr_lines[1]}" = 'Try "orchestrator --help" for more information.' ]
	[[ "${stderr_lines[0]}" == *"unrecognized option '--bogus'" ]]
}

@test "without -t or SHARDKIT_TOPOLOGY there is no topology to watch" {
	run --separate-stderr orchestrator --once
	assert_usage_error "no topology: give -t FILE or set SHARDKIT_TOPOLOGY"
}

@test "the topology cannot be standard input" {
	run --separate-stderr orchestrator -t - --once
	assert_usage_error "the topology must be a file, not standard input"
}

@test "an argument is refused" {
	run --separate-stderr orchestrator -t t.json pg1
	assert_usage_error 'unexpected argument "pg1"'
}

@test "numeric options are checked" {
	run --separate-stderr orchestrator -t t.json --interval 0
	assert_usage_error 'invalid --interval "0": expected a number of seconds from 0.01 to 86400'
	run --separate-stderr orchestrator -t t.json --reprobe-interval 1x
	assert_usage_error 'invalid --reprobe-interval "1x": expected a number of seconds from 0.01 to 86400'
	run --separate-stderr orchestrator -t t.json --failure-threshold 0
	assert_usage_error 'invalid --failure-threshold "0": expected an integer from 1 to 1000'
	run --separate-stderr orchestrator -t t.json --reserve-target -1
	assert_usage_error 'invalid --reserve-target "-1": expected an integer from 0 to 1000000'
	run --separate-stderr orchestrator -t t.json --sync-count 65
	assert_usage_error 'invalid --sync-count "65": expected an integer from 1 to 64'
	run --separate-stderr orchestrator -t t.json --timeout 0
	assert_usage_error 'invalid --timeout "0": expected a number of seconds greater than 0 and at most 86400'
}

@test "the topology comes from SHARDKIT_TOPOLOGY when -t is not given" {
	SHARDKIT_TOPOLOGY=none.json run --separate-stderr orchestrator --once
	assert_status 0
	assert_stderr ""
	[ -e none.json.orchestrator.lock ]
}

@test "a missing topology exits 1" {
	run --separate-stderr orchestrator -t nope.json --once
	assert_status 1
	assert_stderr 'orchestrator: could not open "nope.json": No such file or directory'
	[ -z "$output" ]
	[ ! -e nope.json.orchestrator.lock ]
}

@test "a malformed topology exits 3 with its line and column" {
	echo '{"version": 1,' > bad.json
	run --separate-stderr orchestrator -t bad.json --once
	assert_status 3
	assert_stderr "orchestrator: bad.json:2:0: string or '}' expected near end of file"
	[ -z "$output" ]
}

@test "an invalid topology exits 3 with the JSON path" {
	jq '.servers[1].role = "leader"' t.json > bad.json
	run --separate-stderr orchestrator -t bad.json --once
	assert_status 3
	[[ "${stderr_lines[0]}" == "orchestrator: bad.json: servers[1].role: "* ]]
}

@test "a bad configuration file exits 4" {
	printf 'failure_threshold = ;\n' > bad.conf
	chmod 0600 bad.conf
	run --separate-stderr orchestrator -c bad.conf -t t.json --once
	assert_status 4
	assert_stderr "orchestrator: bad.conf:1: syntax error"
	[ -z "$output" ]
}

@test "a malformed state file exits 3" {
	echo '{"format": "shardkit-orchestrate-state/1", "failures": {"pg1": -1}}' > state.json
	run --separate-stderr orchestrator -t t.json --once --state state.json
	assert_status 3
	assert_stderr "orchestrator: state.json: failures.pg1: expected an integer from 0 to 1000000000"
	[ -z "$output" ]
}

@test "a log file that cannot be opened exits 1" {
	run --separate-stderr orchestrator -t t.json --once --log no/such/dir/log.jsonl
	assert_status 1
	assert_stderr 'orchestrator: could not open log file "no/such/dir/log.jsonl": No such file or directory'
}

@test "--once counts failed probes in the state file beside the topology, run after run" {
	run --separate-stderr orchestrator -t t.json --once
	assert_status 0
	assert_stderr ""
	[ "$(jq -c '[.sweep, .event, .server, .result, .failures, .threshold]' <<< "$output")" = \
	  '[1,"probe","pg1","unreachable",1,3]
[1,"probe","pg2","unreachable",1,3]' ]
	[[ "$(jq -r 'select(.server == "pg1") | .error' <<< "$output")" == *"Connection refused" ]]
	[ "$(jq -c '[.format, .failures]' t.json.orchestrator-state.json)" = '["shardkit-orchestrate-state/1",{"pg1":1,"pg2":1}]' ]
	run --separate-stderr orchestrator -t t.json --once
	assert_status 0
	[ "$(jq -c .failures t.json.orchestrator-state.json)" = '{"pg1":2,"pg2":2}' ]
	# The third reaches the threshold: the replica is marked down, the primary
	# with no replica to promote gets a critical alert, the topology moves on.
	run --separate-stderr orchestrator -t t.json --once
	assert_status 0
	[ "$(jq -r 'select(.kind) | .kind + " " + .server + " " + .result' <<< "$output")" = \
	  "alert pg1 done
mark_down pg2 done" ]
	[ "$(jq -c 'select(.event == "topology") | [.sweep, .version, .result]' <<< "$output")" = '[1,2,"written"]' ]
	[ "$(jq -c '[.version, (.servers[] | .state)]' t.json)" = '[2,"up","down"]' ]
	[ "${stderr_lines[0]}" = 'orchestrator: warning: critical alert: primary "pg1" of shard "s1" unreachable for 3 consecutive probes (connection to server at "127.0.0.1", port 1 failed: Connection refused): no active replica is reachable, so none is promoted; the shard takes no writes until one returns' ]
}

@test "--state names another file for the counts" {
	run --separate-stderr orchestrator -t t.json --once --state counts.json
	assert_status 0
	[ "$(jq -c .failures counts.json)" = '{"pg1":1,"pg2":1}' ]
	[ ! -e t.json.orchestrator-state.json ]
}

@test "--dry-run plans and logs, writes nothing and exits 8 with --once" {
	run --separate-stderr orchestrator -t t.json --once --dry-run --failure-threshold 1
	assert_status 8
	[ "$(jq -r 'select(.kind) | [.sweep, .id, .kind, .server, .result] | join(" ")' <<< "$output")" = \
	  "1 a1 alert pg1 planned
1 a2 mark_down pg2 planned" ]
	[ "$(jq .version t.json)" -eq 1 ]
	[ ! -e t.json.orchestrator-state.json ]
	# No lock is taken: a dry run beside a running orchestrator is fine.
	[ ! -e t.json.orchestrator.lock ]
}

@test "--once on a cluster with nothing to do prints nothing and exits 0" {
	run --separate-stderr orchestrator -t none.json --once
	assert_status 0
	assert_stderr ""
	[ -z "$output" ]
}

@test "a second orchestrator on the same topology exits 5 naming the lock and its holder" {
	start_loop -t none.json --interval 0.05
	run --separate-stderr orchestrator -t none.json --once
	assert_status 5
	assert_stderr "orchestrator: another orchestrator holds \"none.json.orchestrator.lock\" (pid $loop_pid)
orchestrator: HINT: wait for it to finish, or use --wait"
	[ -z "$output" ]
}

@test "with --wait a second orchestrator waits for the first to stop, then sweeps" {
	start_loop -t t.json --interval 0.05
	orchestrator -t t.json --once --wait > waiter.out 2> waiter.err &
	waiter_pid=$!
	# The holder keeps sweeping and the waiter does not exit meanwhile.
	wait_for has_line log.jsonl '"kind":"mark_down"'
	sleep 0.5
	kill -0 "$waiter_pid"
	[ ! -s waiter.out ]
	kill -TERM "$loop_pid"
	wait "$loop_pid"
	loop_pid=
	wait "$waiter_pid"
	waiter_pid=
	# It swept after the first stopped, counting on from the first's counts.
	[ "$(jq -r 'select(.kind) | .kind' waiter.out | head -n 1)" = alert ]
	[ "$(head -n 1 t.json.orchestrator.lock)" != "$loop_pid" ]
}

@test "SIGTERM stops the loop cleanly with exit 0 and a last stop line" {
	start_loop -t none.json --interval 0.05
	kill -TERM "$loop_pid"
	status=0
	wait "$loop_pid" || status=$?
	loop_pid=
	[ "$status" -eq 0 ]
	[ "$(tail -n 1 log.jsonl | jq -c '[.event, (.sweep >= 0)]')" = '["stop",true]' ]
	[ "$(head -n 1 log.jsonl | jq -c '[.event, .topology, .interval, .reprobe_interval, .failure_threshold, .dry_run]')" = \
	  '["start","none.json",0.05,0.05,3,false]' ]
	[ ! -s loop.err ]
}

@test "a failing server is logged on its way to the threshold and an alert that stays is logged once" {
	orchestrator -t t.json --interval 0.05 --log loop.jsonl > log.jsonl 2> loop.err &
	loop_pid=$!
	wait_for has_line loop.jsonl '"kind":"alert"'
	sleep 0.5
	kill -TERM "$loop_pid"
	wait "$loop_pid"
	loop_pid=
	# --log: nothing on standard output.
	[ ! -s log.jsonl ]
	[ "$(jq -r 'select(.server == "pg1" and .event == "probe") | .failures' loop.jsonl | tr '\n' ' ')" = "1 2 3 " ]
	# Sweeps went on after the alert (the stop line has the last one's number).
	[ "$(tail -n 1 loop.jsonl | jq '.sweep > 5')" = true ]
	[ "$(jq -r 'select(.kind == "alert") | .server' loop.jsonl)" = pg1 ]
	[ "$(jq -r 'select(.kind == "mark_down") | .server' loop.jsonl)" = pg2 ]
}

@test "SIGHUP reopens the log file, so a rotated log gets the lines that follow" {
	orchestrator -t none.json --interval 0.05 --log loop.jsonl 2> loop.err &
	loop_pid=$!
	wait_for has_line loop.jsonl '"event":"start"'
	mv loop.jsonl loop.jsonl.1
	kill -HUP "$loop_pid"
	kill -TERM "$loop_pid"
	wait "$loop_pid"
	loop_pid=
	[ "$(jq -r .event loop.jsonl.1)" = start ]
	[ "$(jq -r .event loop.jsonl)" = stop ]
}

@test "while a server fails below the threshold, sweeps come at the re-probe interval, not the interval" {
	# An hour between sweeps: only the fast re-probe can reach the threshold.
	start_loop -t t.json --interval 3600 --reprobe-interval 0.05
	wait_for has_line log.jsonl '"kind":"mark_down"'
	[ "$(jq -r 'select(.server == "pg2" and .event == "probe") | .sweep' log.jsonl | tr '\n' ' ')" = "1 2 3 " ]
}

@test "a topology broken under the running loop is a failed sweep, logged once, until it is fixed" {
	start_loop -t none.json --interval 0.05
	cp none.json good.json
	echo '{"version": 2,' > broken.json
	mv broken.json none.json
	wait_for has_line log.jsonl '"event":"sweep"'
	cp good.json none.json
	wait_for has_line log.jsonl '"result":"ok"'
	kill -TERM "$loop_pid"
	wait "$loop_pid"
	loop_pid=
	[ "$(jq -c 'select(.event == "sweep") | [.result, .exit_status]' log.jsonl)" = '["failed",3]
["ok",0]' ]
	grep -q "^orchestrator: none.json:2:0: " loop.err
}
