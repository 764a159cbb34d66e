# failover-shardkit.sh -- bench-failover's shardkit side: one shard, orchestrator.
# Sourced by bench/bench-failover (uses its helpers and $work); not run alone.
#
# Four servers provisioned by server-init form one shard at replication
# factor 2 (pg1 primary, pg2 replica) with two reserves (pg3, pg4), all
# cloned by replica-attach, as tests/integration/replica-attach.bats forms
# them; ring-place gives the shard its tokens.  `orchestrator` runs in the
# background with its defaults (a sweep every second, every 0.2 s while a
# server is failing, failure_threshold 3 from shardkit.conf's default,
# probe_timeout 2 s, sync count 1) and does every repair; the benchmark only
# kills and restarts servers.
# shellcheck shell=bash
# shellcheck disable=SC2154 # work, writer: set by bench-failover

SK_SERVERS=4
SK_RF=2
SK_RESERVES=2

sk() {   # sk PROGRAM ARGS...: a shardkit program with this run's configuration
	local program=$1
	shift
	SHARDKIT_CONF=$work/shardkit/shardkit.conf "$BIN/$program" "$@"
}

# Back at the replication factor: the topology has one primary, RF-1
# replicas and every other server a reserve, all up, and health-probe finds
# every server live in the role the topology gives it.
shardkit_healthy() {
	local topo=$work/shardkit/topology.json
	[ "$(jq -r --argjson rf "$SK_RF" --argjson n "$SK_SERVERS" '
		[.servers[] | select(.shard == "s1" and .state == "up")] as $s
		| ([$s[] | select(.role == "primary")] | length) == 1
		  and ([$s[] | select(.role == "replica")] | length) == $rf - 1
		  and ($s | length) == $n' "$topo" 2>/dev/null)" = true ] || return 1
	sk health-probe -t "$topo" >"$work/shardkit/health.json" 2>/dev/null
}

shardkit_orchestrator_alive() {
	kill -0 "$orchestrator" 2>/dev/null || die "the orchestrator exited; see $work/shardkit/orchestrator.log"
}

shardkit_acked_after() {   # shardkit_acked_after TIME KILLED
	writer_alive "$work/shardkit/writer.log"
	shardkit_orchestrator_alive
	[ -n "$(first_ack "$work/shardkit/ledger.txt" "$1" s1 "$2")" ]
}

shardkit_recovered() {
	shardkit_orchestrator_alive
	shardkit_healthy
}

# timeline T0 T1: the orchestrator's decisions logged between the kill (T0)
# and the first write on the new primary (T1), as "+START-+END KIND SERVER
# RESULT" seconds after the kill, one line: where the failover's seconds go.
shardkit_timeline() {
	jq -r -s --argjson t0 "$1" --argjson t1 "$2" '
		def epoch: (.[0:19] + "Z" | fromdateiso8601) + (.[19:-1] | if . == "" then 0 else tonumber end);
		[.[] | select(.time != null and (.kind != null or .event == "topology"))
		 | (.time | epoch) as $e | select($e > $t0 and $e <= $t1 + 0.5)
		 | if .event == "topology" then "+\($e - $t0 | . * 100 | round / 100) topology v\(.version) \(.result)"
		   else "+\($e - (.seconds // 0) - $t0 | . * 100 | round / 100)-\($e - $t0 | . * 100 | round / 100) \(.kind) \(.server // .shard // "") \(.result)" end]
		| join("; ")' "$work/shardkit/orchestrator.log" 2>/dev/null || true
}

run_shardkit() {
	local dir=$work/shardkit topo=$work/shardkit/topology.json i id datadir t0 t1 seconds version
	say "shardkit: provisioning $SK_SERVERS servers"
	write_conf "$dir"
	for i in $(seq "$SK_SERVERS"); do
		sk server-init -D "$dir/pg$i" -p "$(free_port)" --id "pg$i" --zone "z$i" >"$dir/pg$i.json"
	done
	jq -s --arg table "$TABLE" --argjson rf "$SK_RF" '
		{version: 1, mode: "primary-replica", replication_factor: $rf, vnodes: 64,
		 tables: [{name: $table, key: "id"}],
		 servers: (to_entries | map(.value + {shard: "s1",
		     role: (if .key == 0 then "primary" elif .key < $rf then "replica" else "reserve" end)})),
		 shards: [{id: "s1", state: "active"}]}' "$dir"/pg?.json | sk ring-place >"$dir/topology.in"
	mv "$dir/topology.in" "$topo"
	for i in $(seq 2 "$SK_SERVERS"); do
		sk replica-attach -t "$topo" "pg$i" >"$dir/attach-pg$i.json"
	done
	wait_until "the shard to be whole" shardkit_healthy
	version=$(sk orchestrator --version 2>/dev/null || echo "orchestrator (unknown version)")
	"$BIN/orchestrator" -c "$dir/shardkit.conf" -t "$topo" --log "$dir/orchestrator.log" \
		>"$dir/orchestrator.out" 2>"$dir/orchestrator.err" &
	orchestrator=$!
	daemons="$daemons $orchestrator"
	echo "$version with its defaults (--interval 1, --reprobe-interval 0.2, failure_threshold 3, --sync-count 1, --timeout 60), shardkit.conf defaults (probe_timeout 2 s, connect_timeout 5 s); $SK_SERVERS servers: 1 shard at replication factor $SK_RF + $SK_RESERVES reserves" \
		>"$work/shardkit.settings"

	start_writer shardkit "$topo" 120
	: >"$work/shardkit.times"
	: >"$work/shardkit.whole"
	: >"$work/shardkit.timeline"
	for i in $(seq "$KILLS"); do
		sleep 2
		id=$(jq -r '.servers[] | select(.shard == "s1" and .role == "primary") | .id' "$topo")
		datadir=$(jq -r --arg id "$id" '.servers[] | select(.id == $id) | .data_directory' "$topo")
		t0=$(now)
		kill -KILL "$(head -n 1 "$datadir/postmaster.pid")"
		say "shardkit: kill $i: $id (postmaster) at $t0"
		wait_until "shardkit failover $i" shardkit_acked_after "$t0" "$id"
		t1=$(first_ack "$dir/ledger.txt" "$t0" s1 "$id")
		seconds=$(fsum "$t1" "-$t0")
		echo "$i $id $seconds" >>"$work/shardkit.times"
		echo "$i $(shardkit_timeline "$t0" "$t1")" >>"$work/shardkit.timeline"
		say "shardkit: kill $i: first write on the new primary ($(awk -F '\t' -v t="$t1" '$2 == t { print $4; exit }' "$dir/ledger.txt")) after $seconds s"
		# The crashed server comes back with its old data: the orchestrator
		# must wipe it and re-clone it into the reserve pool.
		# Its postmaster.pid names a pid that can stay a zombie, or children
		# that outlive it, for a moment after a SIGKILL: retry the start.
		tries=0
		until as_pg "$PG_BINDIR/pg_ctl" -D "$datadir" -l "$datadir/log/postmaster.log" -w -t 60 start \
			>/dev/null 2>&1; do
			tries=$((tries + 1))
			[ "$tries" -lt 40 ] || { say "shardkit: pg_ctl start of $id failed (see $datadir/log)"; break; }
			sleep 0.5
		done
		wait_until "the shard back at replication factor $SK_RF after kill $i" shardkit_recovered
		seconds=$(fsum "$(now)" "-$t0")
		echo "$i $seconds" >>"$work/shardkit.whole"
		say "shardkit: kill $i: whole again after $seconds s"
	done
	sleep 2
	stop_writer shardkit
	kill -TERM "$orchestrator" 2>/dev/null || true
	wait "$orchestrator" || say "orchestrator exited with status $?"
	verify shardkit "$topo"
	jq -c . "$dir/writer.json" >"$work/shardkit.writer" || true
}
