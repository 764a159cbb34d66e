#!/usr/bin/env bats
# health-probe: options, bad input and servers that cannot be reached.
# Probes of live servers are in tests/integration/health-probe.bats.

load helper

# A topology of one primary at 127.0.0.1:PORT (default: port 1, where no
# unprivileged server can listen, so the connection is refused at once).
topology_on_port() {
	local port=${1:-1}
	cat <<EOF
{
  "format": "shardkit-topology/1",
  "version": 7,
  "mode": "primary-replica",
  "replication_factor": 1,
  "vnodes": 256,
  "hash": { "algorithm": "xxh3-64", "seed": 0 },
  "tables": [],
  "servers": [
    { "id": "pg1", "conninfo": "host=127.0.0.1 port=$port user=postgres dbname=postgres",
      "zone": "a", "state": "up", "role": "primary", "shard": "s1" }
  ],
  "shards": [ { "id": "s1", "state": "active" } ],
  "migrations": []
}
EOF
}

@test "--help prints the usage line first and exits 0" {
	run --separate-stderr health-probe --help
	assert_status 0
	[ "${lines[0]}" = "usage: health-probe [-c file] [-f format] [-o file] [-t file] [--timeout seconds] [--watch seconds]" ]
	assert_stderr ""
}

@test "--version prints the program and shardkit's version" {
	run --separate-stderr health-probe --version
	assert_status 0
	[ "$output" = "health-probe (shardkit) $(cat "$TOP/VERSION")" ]
}

@test "the usage line matches the manual's synopsis" {
	usage_matches_synopsis health-probe
}

@test "both manual pages pass mandoc's lint" {
	run mandoc -Tlint -Wwarning "$TOP/man/health-probe.1" "$TOP/man/shardkit-health.5"
	assert_status 0
}

@test "truncated topology is rejected with its line and column" {
	printf '{"format": "shardkit-topology/1",\n "version": ' >topo.json
	run --separate-stderr health-probe -t topo.json
	assert_status 3
	assert_stderr "health-probe: topo.json:2:12: unexpected token near end of file"
	[ -z "$output" ]
}

@test "malformed JSON on standard input names <stdin>" {
	run --separate-stderr health-probe <<<'{"version": 1,,}'
	assert_status 3
	assert_stderr "health-probe: <stdin>:1:15: string or '}' expected near ','"
	[ -z "$output" ]
}

@test "an invalid topology is rejected with the JSON path of the problem" {
	topology_on_port | jq '.servers[0].role = "boss"' >topo.json
	run --separate-stderr health-probe -t topo.json
	assert_status 3
	assert_stderr 'health-probe: topo.json: servers[0].role: expected "none", "primary", "replica" or "reserve", found "boss"'
	[ -z "$output" ]
}

@test "a missing topology file is a failure, not bad input" {
	run --separate-stderr health-probe -t missing.json
	assert_status 1
	assert_stderr 'health-probe: could not open "missing.json": No such file or directory'
}

@test "a timeout of zero seconds is a usage error" {
	run --separate-stderr health-probe --timeout 0 </dev/null
	assert_status 2
	[ "${stderr_lines[0]}" = 'health-probe: invalid --timeout "0": expected a number of seconds greater than 0 and at most 86400' ]
	[ "${stderr_lines[1]}" = 'Try "health-probe --help" for more information.' ]
	[ -z "$output" ]
}

@test "a timeout that is not a number is a usage error" {
	run --separate-stderr health-probe --timeout 1s </dev/null
	assert_status 2
	[ "${stderr_lines[0]}" = 'health-probe: invalid --timeout "1s": expected a number of seconds greater than 0 and at most 86400' ]
}

@test "a watch interval that is not a number is a usage error" {
	run --separate-stderr health-probe --watch=-1 </dev/null
	assert_status 2
	[ "${stderr_lines[0]}" = 'health-probe: invalid --watch "-1": expected a number of seconds greater than 0 and at most 86400' ]
}

@test "an unknown format is a usage error" {
	run --separate-stderr health-probe -f xml </dev/null
	assert_status 2
	[ "${stderr_lines[0]}" = 'health-probe: invalid --format "xml": expected "json" or "prometheus"' ]
}

@test "watching in the Prometheus format on standard output is refused" {
	run --separate-stderr health-probe --watch 1 -f prometheus </dev/null
	assert_status 2
	[ "${stderr_lines[0]}" = 'health-probe: --watch with --format prometheus needs --output FILE' ]
}

@test "an argument after the options is a usage error" {
	run --separate-stderr health-probe extra </dev/null
	assert_status 2
	[ "${stderr_lines[0]}" = 'health-probe: unexpected argument "extra"' ]
}

@test "a configuration file with a syntax error exits 4" {
	printf 'probe_timeout = ;\n' >bad.conf
	chmod 0600 bad.conf
	topology_on_port >topo.json
	run --separate-stderr health-probe -c bad.conf -t topo.json
	assert_status 4
	assert_stderr 'health-probe: bad.conf:1: syntax error'
	[ -z "$output" ]
}

@test "a server on a closed loopback port is unreachable and the status is 6" {
	topology_on_port 1 >topo.json
	run --separate-stderr health-probe -t topo.json --timeout 5
	assert_status 6
	assert_stderr ""
	[ "$(jq -r .format <<<"$output")" = "shardkit-health/1" ]
	[ "$(jq -r .topology_version <<<"$output")" = 7 ]
	[ "$(jq -r '.servers[0].reachable' <<<"$output")" = false ]
	[ "$(jq -r '.servers[0].error' <<<"$output")" = 'connection to server at "127.0.0.1", port 1 failed: Connection refused' ]
	[ "$(jq -r '.servers[0].observed_role' <<<"$output")" = null ]
	[ "$(jq -r '.servers[0].matches_topology' <<<"$output")" = null ]
	[ "$(jq -c .summary <<<"$output")" = '{"servers":1,"reachable":0,"down":1,"mismatched":0,"read_only_primaries":0,"status":"down","exit_status":6}' ]
}

@test "every example topology is probed, server by server, in its order" {
	for f in "$EXAMPLES"/*.json; do
		# Each server moved to a closed port of its own loopback address.
		jq '.servers |= (to_entries | map(.value.conninfo =
			"host=127.0.0.\(.key + 1) port=1 user=postgres dbname=postgres" | .value))' \
			"$f" >topo.json
		run --separate-stderr health-probe -t topo.json --timeout 5
		assert_status 6
		assert_stderr ""
		[ "$(jq -c '[.servers[].id]' <<<"$output")" = "$(jq -c '[.servers[].id]' "$f")" ]
		[ "$(jq -c '[.servers[].reachable] | unique' <<<"$output")" = '[false]' ]
		[ "$(jq '.version' "$f")" = "$(jq .topology_version <<<"$output")" ]
	done
}

@test "a full disk on standard output exits 1 with one message" {
	topology_on_port 1 >topo.json
	run --separate-stderr bash -c 'health-probe -t topo.json >/dev/full'
	assert_status 1
	assert_stderr "health-probe: could not write to standard output: No space left on device"
}

@test "every server entry carries every key of the format" {
	topology_on_port 1 >topo.json
	run --separate-stderr health-probe -t topo.json
	assert_status 6
	[ "$(jq -c '.servers[0] | keys_unsorted' <<<"$output")" = \
	  '["id","shard","zone","state","role","expected_role","reachable","error","latency_ms","observed_role","matches_topology","read_only","current_lsn","received_lsn","replayed_lsn","lag_bytes","timeline","connections","max_connections","database_size_bytes"]' ]
	[ "$(jq -r .probed_at <<<"$output" | grep -cE '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z$')" = 1 ]
}

@test "the topology is read from SHARDKIT_TOPOLOGY when -t is not given" {
	topology_on_port 1 >topo.json
	SHARDKIT_TOPOLOGY=topo.json run --separate-stderr health-probe </dev/null
	assert_status 6
	[ "$(jq -r '.servers[0].id' <<<"$output")" = pg1 ]
}

@test "the default timeout comes from the configuration's probe_timeout" {
	printf 'probe_timeout = 0.25;\n' >probe.conf
	chmod 0600 probe.conf
	topology_on_port 1 >topo.json
	run --separate-stderr health-probe -c probe.conf -t topo.json
	assert_status 6
	[ "$(jq -r .timeout <<<"$output")" = 0.25 ]
}

@test "a topology without servers is healthy" {
	topology_on_port | jq '.servers = [] | .shards = []' >topo.json
	run --separate-stderr health-probe -t topo.json
	assert_status 0
	[ "$(jq -c '[.servers, .summary.status]' <<<"$output")" = '[[],"healthy"]' ]
}

@test "a down server is reported as up 0 in the Prometheus format" {
	topology_on_port 1 >topo.json
	run --separate-stderr health-probe -t topo.json -f prometheus
	assert_status 6
	grep -qx 'shardkit_server_up{server="pg1",shard="s1"} 0' <<<"$output"
	grep -qx 'shardkit_servers_down 1' <<<"$output"
	grep -qx 'shardkit_topology_version 7' <<<"$output"
	! grep -q '^shardkit_server_lag_bytes' <<<"$output"
}

@test "--output replaces the file and writes nothing on standard output" {
	topology_on_port 1 >topo.json
	echo old >health.prom
	run --separate-stderr health-probe -t topo.json -f prometheus -o health.prom
	assert_status 6
	[ -z "$output" ]
	grep -qx 'shardkit_server_up{server="pg1",shard="s1"} 0' health.prom
	# No temporary file is left beside it.
	[ -z "$(find . -name 'health.prom.*')" ]
}

@test "--watch writes one JSON document per line until killed" {
	topology_on_port 1 >topo.json
	run timeout 2 health-probe -t topo.json --watch 0.2 --timeout 0.1
	assert_status 124
	[ "${#lines[@]}" -ge 2 ]
	for line in "${lines[@]}"; do
		[ "$(jq -r '.summary.status' <<<"$line")" = down ]
	done
}
