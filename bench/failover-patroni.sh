# failover-patroni.sh -- bench-failover's baseline: two Patroni nodes on one etcd.
# Sourced by bench/bench-failover (uses its helpers and $work); not run alone.
#
# Patroni runs with its defaults for failover: nothing in bootstrap.dcs, so
# ttl 30, loop_wait 10, retry_timeout 10, maximum_lag_on_failover 1 MiB,
# synchronous_mode off, use_pg_rewind off (the run reads them back from the
# REST API and prints them).  The writer reaches the leader through one
# topology entry whose conninfo names both nodes with
# target_session_attrs=read-write, so libpq finds the writable one.
# shellcheck shell=bash
# shellcheck disable=SC2154 # work, password, last_pid: set by bench-failover
pg_port=() rest_port=() patroni_pid=()

patroni_node_config() {   # patroni_node_config N PG_PORT REST_PORT
	local n=$1 dir=$work/patroni
	cat >"$dir/node$n.yml" <<EOF
scope: bench-failover
name: node$n
restapi:
  listen: 127.0.0.1:$3
  connect_address: 127.0.0.1:$3
etcd3:
  host: 127.0.0.1:$etcd_port
bootstrap:
  dcs: {}
  initdb:
  - encoding: UTF8
  - locale: C
  pg_hba:
  - host replication replicator 127.0.0.1/32 scram-sha-256
  - host all all 127.0.0.1/32 scram-sha-256
postgresql:
  listen: 127.0.0.1:$2
  connect_address: 127.0.0.1:$2
  data_dir: $dir/node$n/data
  bin_dir: $PG_BINDIR
  pgpass: $dir/node$n/pgpass
  authentication:
    superuser:
      username: postgres
      password: "$password"
    replication:
      username: replicator
      password: "$password"
  parameters:
    unix_socket_directories: $dir/node$n
EOF
	chmod 0600 "$dir/node$n.yml"
	mkdir -p "$dir/node$n"
	chmod 0700 "$dir/node$n"
	if [ "$(id -u)" -eq 0 ]; then
		chown "$PGUSER_OS" "$dir/node$n.yml" "$dir/node$n"
	fi
}

patroni_start() {   # patroni_start N: start node N's Patroni; its pid in patroni_pid[N]
	spawn_as_pg "$work/patroni/node$1.log" patroni "$work/patroni/node$1.yml"
	patroni_pid[$1]=$last_pid
}

# Healthy: one node a primary streaming to the other, which is in recovery.
patroni_healthy() {
	local a b
	a=$(sql "${pg_port[1]}" "SELECT pg_is_in_recovery()") || return 1
	b=$(sql "${pg_port[2]}" "SELECT pg_is_in_recovery()") || return 1
	case "$a$b" in
	ft) [ "$(sql "${pg_port[1]}" "SELECT count(*) FROM pg_stat_replication WHERE state = 'streaming'")" = 1 ] ;;
	tf) [ "$(sql "${pg_port[2]}" "SELECT count(*) FROM pg_stat_replication WHERE state = 'streaming'")" = 1 ] ;;
	*) return 1 ;;
	esac
}

patroni_is_primary() {   # patroni_is_primary N
	[ "$(sql "${pg_port[$1]}" "SELECT pg_is_in_recovery()")" = f ]
}

patroni_leader() {   # the node number (1 or 2) whose PostgreSQL is a primary
	if [ "$(sql "${pg_port[1]}" "SELECT pg_is_in_recovery()")" = f ]; then echo 1; else echo 2; fi
}

# Has the writer acknowledged a write after AFTER?  The topology has one
# server entry for both nodes, so the ledger cannot tell them apart: a write
# acknowledged within a second of the kill may be the dying node's answer
# to the write in flight, and Patroni cannot promote that fast (ttl 30).
patroni_acked_after() {
	writer_alive "$work/patroni/writer.log"
	[ -n "$(first_ack "$work/patroni/ledger.txt" "$1" s1 "")" ]
}

run_patroni() {
	local dir=$work/patroni i n t0 t1 seconds
	say "patroni: starting etcd and two nodes"
	etcd_port=$(free_port)
	local peer_port
	peer_port=$(free_port)
	spawn_as_pg "$dir/etcd.log" etcd --name bench --data-dir "$dir/etcd" \
		--listen-client-urls "http://127.0.0.1:$etcd_port" \
		--advertise-client-urls "http://127.0.0.1:$etcd_port" \
		--listen-peer-urls "http://127.0.0.1:$peer_port" \
		--initial-advertise-peer-urls "http://127.0.0.1:$peer_port" \
		--initial-cluster "bench=http://127.0.0.1:$peer_port"
	wait_until "etcd" curl -fs -o /dev/null "http://127.0.0.1:$etcd_port/health"
	for n in 1 2; do
		pg_port[n]=$(free_port)
		rest_port[n]=$(free_port)
		patroni_node_config "$n" "${pg_port[n]}" "${rest_port[n]}"
	done
	patroni_start 1
	wait_until "node1 to bootstrap" patroni_is_primary 1
	patroni_start 2
	wait_until "node2 to stream from node1" patroni_healthy
	# In effect: Patroni's built-in defaults under what the DCS holds (nothing).
	curl -fsS "http://127.0.0.1:${rest_port[1]}/config" >"$dir/dcs-config.json"
	/usr/bin/python3 - "$dir/dcs-config.json" >"$work/patroni.settings" <<'PY'
import json, sys
from patroni.config import Config
from patroni.version import __version__
settings = dict(Config._Config__DEFAULT_CONFIG)
settings.update(json.load(open(sys.argv[1])))
keys = ('ttl', 'loop_wait', 'retry_timeout', 'maximum_lag_on_failover', 'synchronous_mode')
print('%s: %s, use_pg_rewind %s' % (__version__,
    ', '.join('%s %s' % (k, json.dumps(settings[k])) for k in keys),
    json.dumps(settings.get('postgresql', {}).get('use_pg_rewind', False))))
PY
	say "patroni: settings $(cat "$work/patroni.settings")"

	write_conf "$dir"
	jq -n --arg conninfo "host=127.0.0.1,127.0.0.1 port=${pg_port[1]},${pg_port[2]} user=postgres dbname=postgres target_session_attrs=read-write" \
		--arg table "$TABLE" \
		'{version: 1, mode: "primary-replica", replication_factor: 1, vnodes: 16,
		  tables: [{name: $table, key: "id"}],
		  servers: [{id: "patroni", conninfo: $conninfo, shard: "s1", role: "primary"}],
		  shards: [{id: "s1", state: "active"}]}' | "$BIN/ring-place" >"$dir/topology.json"
	start_writer patroni "$dir/topology.json" 120
	: >"$work/patroni.times"
	: >"$work/patroni.whole"
	for i in $(seq "$KILLS"); do
		sleep 2
		n=$(patroni_leader)
		t0=$(now)
		kill -KILL "${patroni_pid[n]}" "$(head -n 1 "$dir/node$n/data/postmaster.pid")"
		say "patroni: kill $i: node$n (Patroni and postmaster) at $t0"
		wait_until "patroni failover $i" patroni_acked_after "$(fsum "$t0" 1)"
		t1=$(first_ack "$dir/ledger.txt" "$(fsum "$t0" 1)" s1 "")
		seconds=$(fsum "$t1" "-$t0")
		echo "$i node$n $seconds" >>"$work/patroni.times"
		say "patroni: kill $i: first write on the new leader after $seconds s"
		# The crashed node comes back empty: Patroni clones it from the leader.
		rm -rf "$dir/node$n/data"
		patroni_start "$n"
		wait_until "node$n to rejoin as a replica" patroni_healthy
		seconds=$(fsum "$(now)" "-$t0")
		echo "$i $seconds" >>"$work/patroni.whole"
		say "patroni: kill $i: whole again after $seconds s"
	done
	sleep 2
	stop_writer patroni
	verify patroni "$dir/topology.json"
	jq -c . "$dir/writer.json" >"$work/patroni.writer" || true
}
