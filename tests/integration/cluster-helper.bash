# cluster-helper.bash -- replicated clusters for the failover scenarios.
#
# A scenario needs a whole cluster (2 shards at replication factor 3 plus a
# reserve each: 8 servers) formed the way an operator forms one: server-init
# on each server, shard-plan and ring-place for the topology, replica-attach
# for every replica and reserve, then rows written through the ring.  Forming
# takes seconds (8 initdb, 6 base backups), and every scenario destroys its
# cluster, so a test file forms one in setup_file, stops it cleanly and keeps
# a copy of its directory; each test restores the copy at the same path (the
# data directories, passfiles and primary_conninfo name absolute paths) and
# starts the servers again, on the ports they were provisioned with.
#
# Each server has its own parent directory ($work/hN/pgN, a "host"), because
# server-init and replica-attach serialise runs on data directories with one
# parent: separate parents let the servers be provisioned in parallel.
#
# Load after helper.bash: load helper; load cluster-helper.

FAILOVER_TABLE=public.failover_test

# cluster_config WORK [SETTING...]: a passfile and a shardkit.conf in WORK,
# with quick probes and failure threshold 1 unless SETTINGs (whole libconfig
# lines such as "failure_threshold = 2;") say otherwise; later lines win.
cluster_config() {
	local work=$1 password
	shift
	password="pw-$RANDOM$RANDOM"
	printf '127.0.0.1:*:*:postgres:%s\n127.0.0.1:*:*:shardkit_replication:%s\n' \
		"$password" "$password" > "$work/passfile"
	chmod 0600 "$work/passfile"
	cluster_settings "$work" "$@"
}

# cluster_settings WORK [SETTING...]: rewrite WORK/shardkit.conf (passfile kept).
cluster_settings() {
	local work=$1 line
	shift
	{
		printf 'credentials_file = "%s";\npg_bindir = "%s";\n' "$work/passfile" "$PG_BINDIR"
		# libconfig refuses a setting given twice: drop defaults overridden.
		for line in "probe_timeout = 1.0;" "connect_timeout = 2.0;" "failure_threshold = 1;" "$@"; do
			printf '%s\n' "$line"
		done | awk -F '=' '{ name = $1; gsub(/ /, "", name); last[name] = $0; order[NR] = name }
			END { for (i = 1; i <= NR; i++) if (!seen[order[i]]++) print last[order[i]] }'
	} > "$work/shardkit.conf"
	chmod 0600 "$work/shardkit.conf"
}

# cluster_provision WORK ID...: server-init each server in WORK/hN/ID in
# parallel (ID is pgN); each entry in WORK/ID.json.
cluster_provision() {
	local work=$1 id n pids="" pid status=0
	shift
	for id in "$@"; do
		n=${id#pg}
		mkdir -p "$work/h$n"
		[ "$(id -u)" -ne 0 ] || chown "${SHARDKIT_TEST_PGUSER:-postgres}" "$work/h$n"
		echo "$work/h$n/$id" >> "$work/started"
		server-init -D "$work/h$n/$id" -p "$(free_port)" --id "$id" > "$work/$id.json" &
		pids="$pids $!"
	done
	for pid in $pids; do
		wait "$pid" || status=1
	done
	return $status
}

# cluster_attach_all WORK: replica-attach every replica and reserve of the
# topology; shards in parallel, the servers of one shard one after another
# (each attach rewrites its primary's synchronous set).
cluster_attach_all() {
	local work=$1 shard id pids="" pid status=0
	for shard in $(jq -r '.shards[].id' "$work/topology.json"); do
		(
			for id in $(jq -r --arg s "$shard" '.servers[] | select(.shard == $s and
			            (.role == "replica" or .role == "reserve")) | .id' "$work/topology.json"); do
				replica-attach -t "$work/topology.json" "$id" > "$work/$id.attach" || exit 1
			done
		) &
		pids="$pids $!"
	done
	for pid in $pids; do
		wait "$pid" || status=1
	done
	return $status
}

# cluster_form_replicated WORK: 8 servers, 2 shards at replication factor 3
# and 2 reserves (shard-plan attaches one to each shard), all streaming.
cluster_form_replicated() {
	local work=$1
	cluster_provision "$work" pg1 pg2 pg3 pg4 pg5 pg6 pg7 pg8 || return 1
	jq -s '{version: 1, mode: "primary-replica", replication_factor: 3, vnodes: 32,
	        tables: [{name: "public.failover_test", key: "id"}], servers: .}' "$work"/pg?.json |
		shard-plan --reserve 2 > "$work/plan.json" || return 1
	jq .topology "$work/plan.json" | ring-place > "$work/topology.json" || return 1
	cluster_attach_all "$work"
}

# cluster_form_single WORK N: N servers in mode no-replication, one shard each.
cluster_form_single() {
	local work=$1 n=$2 ids="" i
	for i in $(seq "$n"); do
		ids="$ids pg$i"
	done
	# shellcheck disable=SC2086
	cluster_provision "$work" $ids || return 1
	jq -s '{version: 1, mode: "no-replication", replication_factor: 1, vnodes: 32,
	        tables: [{name: "public.failover_test", key: "id"}], servers: .}' "$work"/pg?.json |
		shard-plan > "$work/plan.json" || return 1
	jq .topology "$work/plan.json" | ring-place > "$work/topology.json"
}

# cluster_load WORK COUNT PREFIX: COUNT rows through the ring with the example
# writer, each acknowledged one in WORK/ledger.txt.
cluster_load() {
	local work=$1 count=$2 prefix=$3
	"$SHARDKIT_BUILD/examples/shardkit-writer" -t "$work/topology.json" --table "$FAILOVER_TABLE" \
		--key-column id --count "$count" --key-prefix "$prefix" --ledger "$work/ledger.txt" > /dev/null
}

# cluster_data_dirs WORK: every data directory of the cluster.
cluster_data_dirs() {
	local dir
	for dir in "$1"/h*/pg*; do
		case ${dir##*/} in
		*.*) ;;
		*) if [ -d "$dir" ]; then echo "$dir"; fi ;;
		esac
	done
}

# cluster_save WORK SNAPSHOT: stop every server cleanly (replicas first, so a
# primary's last WAL reaches them) and copy WORK to SNAPSHOT.
cluster_save() {
	local work=$1 snap=$2 dir
	for dir in $(cluster_data_dirs "$work"); do
		[ -f "$dir/standby.signal" ] || continue
		as_pg_user "$PG_BINDIR/pg_ctl" -D "$dir" -m fast -w stop > /dev/null || return 1
	done
	for dir in $(cluster_data_dirs "$work"); do
		[ -f "$dir/postmaster.pid" ] || continue
		as_pg_user "$PG_BINDIR/pg_ctl" -D "$dir" -m fast -w stop > /dev/null || return 1
	done
	rm -rf "$snap"
	cp -a "$work" "$snap"
}

# cluster_restore SNAPSHOT WORK: WORK as it was saved, every server started
# and every replica streaming again.
cluster_restore() {
	local snap=$1 work=$2 dir
	rm -rf "$work"
	cp -a "$snap" "$work" || return 1
	# Primaries first: a standby whose primary does not answer yet retries
	# only after wal_retrieve_retry_interval (5 s).
	cluster_start_dirs $(for dir in $(cluster_data_dirs "$work"); do
		[ -f "$dir/standby.signal" ] || echo "$dir"; done) || return 1
	cluster_start_dirs $(for dir in $(cluster_data_dirs "$work"); do
		[ ! -f "$dir/standby.signal" ] || echo "$dir"; done) || return 1
	cluster_wait_streaming "$work"
}

# cluster_start_dirs DATADIR...: start these servers in parallel.
cluster_start_dirs() {
	local dir pids="" pid status=0
	for dir in "$@"; do
		as_pg_user "$PG_BINDIR/pg_ctl" -D "$dir" -w -t 60 -l "$dir/log/postmaster.log" \
			start > /dev/null &
		pids="$pids $!"
	done
	for pid in $pids; do
		wait "$pid" || status=1
	done
	return $status
}

# cluster_wait_streaming WORK: until every replica and reserve of the
# topology streams from its shard's primary.
cluster_wait_streaming() {
	local work=$1 id primary
	for id in $(jq -r '.servers[] | select(.role == "replica" or .role == "reserve") | .id' \
	            "$work/topology.json"); do
		primary=$(shard_primary "$(server_shard "$id")")
		wait_until streams_from "$id" "$primary" || return 1
	done
}

# Where clusters live: a cluster and its saved copy take about 1.2 GB (most
# of it WAL segments), copied once per test, so a memory file system is
# used when it has room (/dev/shm), else /tmp; SHARDKIT_TEST_TMPDIR wins.
cluster_tmpdir() {
	local avail
	if [ -n "${SHARDKIT_TEST_TMPDIR:-}" ]; then
		echo "$SHARDKIT_TEST_TMPDIR"
		return
	fi
	avail=$(df -Pk /dev/shm 2>/dev/null | awk 'NR == 2 { print $4 }')
	if [ -n "$avail" ] && [ "$avail" -gt $((4 * 1024 * 1024)) ]; then
		echo /dev/shm
	else
		echo /tmp
	fi
}

# cluster_setup_file FORM [ARG...]: in setup_file, form a cluster with FORM
# (cluster_form_replicated, or cluster_form_single 3), write 200 rows through
# the ring and save it; exports CLUSTER_WORK and CLUSTER_SNAPSHOT.
cluster_setup_file() {
	local form=$1 start
	shift
	CLUSTER_WORK=$(mktemp -d "$(cluster_tmpdir)/shardkit-fo-XXXXXX")
	CLUSTER_SNAPSHOT="$CLUSTER_WORK-snapshot"
	export CLUSTER_WORK CLUSTER_SNAPSHOT
	chmod 0755 "$CLUSTER_WORK"
	[ "$(id -u)" -ne 0 ] || chown "${SHARDKIT_TEST_PGUSER:-postgres}" "$CLUSTER_WORK"
	cluster_config "$CLUSTER_WORK"
	export SHARDKIT_CONF="$CLUSTER_WORK/shardkit.conf"
	start=$(date +%s.%N)
	"$form" "$CLUSTER_WORK" "$@" || { cluster_teardown_file; return 1; }
	# A TAP comment, so CI logs show what forming costs (nothing asserts it).
	awk -v a="$start" -v b="$(date +%s.%N)" -v f="$form" \
		'BEGIN { printf "# %s: formed in %.1f s\n", f, b - a }' >&3
	cluster_load "$CLUSTER_WORK" 200 pre || { cluster_teardown_file; return 1; }
	cluster_save "$CLUSTER_WORK" "$CLUSTER_SNAPSHOT" || { cluster_teardown_file; return 1; }
}

cluster_teardown_file() {
	local dir
	for dir in $(cluster_data_dirs "$CLUSTER_WORK"); do
		[ -f "$dir/postmaster.pid" ] || continue
		as_pg_user "$PG_BINDIR/pg_ctl" -D "$dir" -m immediate -w stop > /dev/null 2>&1 || true
	done
	rm -rf "$CLUSTER_WORK" "$CLUSTER_SNAPSHOT"
}

# cluster_setup: in setup, the saved cluster restored and running; cd to it.
cluster_setup() {
	work=$CLUSTER_WORK
	PG_WORKDIR=$work
	# helper.bash unsets it each time a test file is loaded.
	export SHARDKIT_CONF="$work/shardkit.conf"
	cluster_restore "$CLUSTER_SNAPSHOT" "$work" || return 1
	cd "$work" || return 1
	cp ledger.txt ledger-all.txt
}

# Helpers below run in a test, with $work the cluster's directory.

# sql ID QUERY...: psql on server ID as the superuser, with the passfile.
sql() {
	local id=$1
	shift
	PGPASSFILE="$work/passfile" "$PG_BINDIR/psql" -X -A -t -q -v ON_ERROR_STOP=1 \
		-d "$(jq -r .conninfo "$work/$id.json") connect_timeout=2" "$@"
}

server_port() {
	jq -r .conninfo "$work/$1.json" | sed 's/.*port=\([0-9]*\).*/\1/'
}

server_data() {
	jq -r .data_directory "$work/$1.json"
}

# The postmaster's pid, from the first line of DATADIR/postmaster.pid.
server_pid() {
	head -n 1 "$(server_data "$1")/postmaster.pid"
}

server_shard() {
	jq -r --arg id "$1" '.servers[] | select(.id == $id) | .shard // ""' "$work/topology.json"
}

# The recorded primary of shard S in the topology.
shard_primary() {
	jq -r --arg s "$1" '.servers[] | select(.shard == $s and .role == "primary") | .id' \
		"$work/topology.json"
}

# "ID:ROLE[:SHARD]" for every server of the topology, in its order.
topology_roles() {
	jq -r '[.servers[] | .id + ":" + (.role // "none") + (if .shard then ":" + .shard else "" end)
	        + (if .state != "up" then "(" + .state + ")" else "" end)] | join(" ")' "$work/topology.json"
}

# "ID:OBSERVED" for every server as health-probe sees it now: primary,
# replica, or down when unreachable.
observed_roles() {
	{ health-probe -t "$work/topology.json" || true; } |
		jq -r '[.servers[] | .id + ":" + (if .reachable then .observed_role else "down" end)] | join(" ")'
}

# Whether server ID's WAL receiver streams from server PRIMARY.
streams_from() {
	[ "$(sql "$1" -c "SELECT sender_port FROM pg_stat_wal_receiver WHERE status = 'streaming'" 2>/dev/null)" = \
		"$(server_port "$2")" ]
}

in_recovery() {
	[ "$(sql "$1" -c "SELECT pg_is_in_recovery()" 2>/dev/null)" = t ]
}

# probed ID FIELD: one field of server ID in a fresh health-probe document.
probed() {
	{ health-probe -t "$work/topology.json" || true; } |
		jq -r --arg id "$1" --arg f "$2" '.servers[] | select(.id == $id) | .[$f]'
}

system_id_of() {
	sql "$1" -c "SELECT system_identifier FROM pg_control_system()"
}

# Wait, bounded (never asserted on time), until COMMAND succeeds.
wait_until() {
	local tries=0
	until "$@"; do
		tries=$((tries + 1))
		[ $tries -lt 600 ] || { echo "gave up waiting for: $*" >&2; return 1; }
		sleep 0.1
	done
}

# Whether server ID has replayed the WAL up to LSN.
replayed_to() {
	[ "$(sql "$1" -c "SELECT pg_wal_lsn_diff(pg_last_wal_replay_lsn(), '$2') >= 0" 2>/dev/null)" = t ]
}

# The number of the keys in LEDGER routed to SHARD that server ID holds.
ledger_rows_on() {
	local id=$1 shard=$2 ledger=$3 keys
	keys=$(awk -F '\t' -v s="$shard" '$3 == s { printf "%s%s", sep, $1; sep = "," }' "$ledger")
	sql "$id" -c "SELECT count(*) FROM $FAILOVER_TABLE WHERE id = ANY ('{$keys}'::text[])"
}

# check_data LEDGER: every acknowledged key of LEDGER is on its shard's
# primary (shardkit-verify, through the current topology) and, once they
# replayed the primary's WAL, on each of the shard's replicas that are up.
check_data() {
	local ledger=$1 out shard primary lsn id want
	out=$("$SHARDKIT_BUILD/examples/shardkit-verify" -t "$work/topology.json" --table "$FAILOVER_TABLE" \
		--key-column id "$ledger") || { echo "shardkit-verify: $out" >&2; return 1; }
	[ "$(jq .missing <<< "$out")" -eq 0 ] || return 1
	[ "$(jq .checked <<< "$out")" -eq "$(wc -l < "$ledger")" ] || return 1
	for shard in $(jq -r '.shards[] | select(.state == "active") | .id' "$work/topology.json"); do
		want=$(awk -F '\t' -v s="$shard" '$3 == s' "$ledger" | wc -l)
		primary=$(shard_primary "$shard")
		lsn=$(sql "$primary" -c "SELECT pg_current_wal_lsn()")
		for id in $(jq -r --arg s "$shard" '.servers[] | select(.shard == $s and .role == "replica" and .state == "up") | .id' \
		            "$work/topology.json"); do
			wait_until replayed_to "$id" "$lsn" || return 1
			[ "$(ledger_rows_on "$id" "$shard" "$ledger")" -eq "$want" ] || {
				echo "replica $id of $shard lacks rows of $ledger" >&2
				return 1
			}
		done
	done
}

# Background processes of a test (writers, orchestrators): started with
# bg_start, stopped by bg_stop_all in teardown, each by its own pid.
bg_start() {
	"$@" &
	echo $! >> "$work/bg.pids"
	bg_pid=$!
}

bg_running() {
	[ -e "/proc/$1" ] && ! grep -q '^State:[[:space:]]*Z' "/proc/$1/status" 2>/dev/null
}

bg_stop_all() {
	local pid pids left i
	pids=$(cat "${work:-/nonexistent}/bg.pids" 2>/dev/null)
	for pid in $pids; do
		kill -TERM "$pid" 2>/dev/null || true
	done
	# A writer blocked in a commit that waits for a synchronous standby (a
	# test that failed half-way through a failover) sees SIGTERM only when
	# the commit returns: whatever is left after 5 s is killed.
	for i in $(seq 50); do
		left=
		for pid in $pids; do
			bg_running "$pid" && left=1
		done
		[ -n "$left" ] || break
		sleep 0.1
	done
	for pid in $pids; do
		kill -KILL "$pid" 2>/dev/null || true
		wait "$pid" 2>/dev/null || true
	done
	rm -f "${work:-/nonexistent}/bg.pids"
}

# start_writer PREFIX: the example writer in the background, writing rows
# PREFIX1, PREFIX2, ... through the ring and retrying across failovers,
# every acknowledged one in WORK/ledger-PREFIX.txt.
start_writer() {
	bg_start "$SHARDKIT_BUILD/examples/shardkit-writer" -t "$work/topology.json" --table "$FAILOVER_TABLE" \
		--key-column id --key-prefix "$1" --ledger "$work/ledger-$1.txt" --duration 600 \
		--retry-for 120 --rate 50 > "$work/writer-$1.json" 2> "$work/writer-$1.err"
	writer_pid=$bg_pid
}

# stop_writer: SIGTERM the writer; it must end as asked (status 0).
stop_writer() {
	local status=0
	kill -TERM "$writer_pid"
	wait "$writer_pid" || status=$?
	[ $status -eq 0 ] || { cat "$work/writer-"*.err >&2; return 1; }
}

# Whether LEDGER holds at least N lines (acknowledged writes).
ledger_has() {
	[ "$(cat "$2" 2>/dev/null | wc -l)" -ge "$1" ]
}

# The server's "sweep" lines aside, whether a decision-log has an action
# line other than an alert after line SKIP.
log_acted_after() {
	tail -n +"$(($2 + 1))" "$1" | jq -e -s 'any(.[]; .kind != null and .kind != "alert")' > /dev/null
}

# converge [MAX]: orchestrator --once, again and again (at most MAX, 10),
# until a sweep has nothing but alerts to do; the decision log accumulates
# in WORK/orchestrator.log.
converge() {
	local max=${1:-10} i skip status
	for i in $(seq "$max"); do
		skip=$(cat "$work/orchestrator.log" 2>/dev/null | wc -l)
		status=0
		orchestrator -t "$work/topology.json" --once --log "$work/orchestrator.log" \
			2>> "$work/orchestrator.err" || status=$?
		echo "orchestrator --once: status $status" >> "$work/orchestrator.err"
		if [ $status -eq 0 ] && ! log_acted_after "$work/orchestrator.log" "$skip"; then
			return 0
		fi
	done
	echo "no convergence after $max sweeps" >&2
	cat "$work/orchestrator.err" >&2
	return 1
}

# sweep_pipeline: one sweep as a pipeline of the three programs; the plan in
# WORK/plan-N.json, decisions appended to WORK/apply.log; returns
# plan-apply's status (0 also when nothing was planned).
sweep_pipeline() {
	local n status=0
	n=$(ls "$work"/plan-*.json 2>/dev/null | wc -l)
	n=$((n + 1))
	{ health-probe -t "$work/topology.json" || true; } |
		orchestrate -t "$work/topology.json" -H - -s "$work/orchestrate.state" > "$work/plan-$n.json" ||
		status=$?
	case $status in
	0) return 0 ;;
	8) ;;
	*) return $status ;;
	esac
	plan-apply -t "$work/topology.json" "$work/plan-$n.json" >> "$work/apply.log" 2>> "$work/apply.err"
}

# Whether LEDGER has at least N writes to SHARD acknowledged by server ID.
ledger_acked_by() {
	[ "$(awk -F '\t' -v s="$2" -v id="$3" '$3 == s && $4 == id' "$4" 2>/dev/null | wc -l)" -ge "$1" ]
}

# disconnect ID: server ID, a replica, stops receiving WAL (no upstream),
# keeping what it received; its received LSN stays where it is.
disconnect() {
	sql "$1" -c "ALTER SYSTEM SET primary_conninfo = ''" -c "SELECT pg_reload_conf()" > /dev/null
	wait_until not_receiving "$1"
}

not_receiving() {
	[ "$(sql "$1" -c "SELECT count(*) FROM pg_stat_wal_receiver" 2>/dev/null)" = 0 ]
}

# sigstop ID / sigcont ID: the postmaster of server ID and its children.
sigstop() {
	local pid
	pid=$(server_pid "$1")
	kill -STOP "$pid"
	pkill -STOP -P "$pid"
}

sigcont() {
	local pid
	pid=$(server_pid "$1")
	pkill -CONT -P "$pid"
	kill -CONT "$pid"
}

# start_server ID: start server ID's data directory again, as an operator
# would after a crash (pg_ctl start as the servers' user).
start_server() {
	wait_until pg_ctl_start "$(server_data "$1")"
}

# Until the backends of a postmaster killed with SIGKILL have all exited,
# its shared memory is in use and a new postmaster refuses to start.
pg_ctl_start() {
	as_pg_user "$PG_BINDIR/pg_ctl" -D "$1" -w -t 60 -l "$1/log/postmaster.log" start > /dev/null 2>&1
}

# The decision-log lines of LOG for action KIND on SERVER with RESULT (a
# regular expression: "done|already").
logged() {
	jq -c --arg k "$2" --arg s "$3" --arg r "^($4)$" \
		'select(.kind == $k and .server == $s and (.result | test($r)))' "$1"
}

# published_versions LOG: the topology versions LOG says were written.
published_versions() {
	jq -r 'select(.event == "topology" and .result == "written") | .version' "$1" | tr '\n' ' '
}

# The servers of SHARD with ROLE in the topology, space-separated.
shard_members() {
	jq -r --arg s "$1" --arg r "$2" '[.servers[] | select(.shard == $s and .role == $r) | .id] | join(" ")' \
		"$work/topology.json"
}

# until_quiet SWEEP [MAX]: run SWEEP (sweep_pipeline) until a sweep plans
# nothing but alerts (at most MAX times, 10).
until_quiet() {
	local sweep=$1 max=${2:-10} i status n
	for i in $(seq "$max"); do
		status=0
		"$sweep" || status=$?
		n=$(ls "$work"/plan-*.json | wc -l)
		if [ $status -eq 0 ] && [ "$(jq '[.actions[] | select(.kind != "alert")] | length' \
		      "$work/plan-$n.json")" -eq 0 ]; then
			return 0
		fi
		echo "sweep $i: status $status" >> "$work/apply.err"
	done
	echo "no convergence after $max sweeps" >&2
	cat "$work/apply.err" >&2
	return 1
}

# routed_write PREFIX N LEDGER: N rows PREFIX1..PREFIXN, each routed by
# ring-lookup to its shard's primary and inserted with psql (a client that
# does not need every shard's primary to answer), acknowledged ones
# appended to LEDGER as the example writer records them.
routed_write() {
	local prefix=$1 n=$2 ledger=$3 key shard primary conninfo
	seq "$n" | sed "s/^/$prefix/" | ring-lookup -t "$work/topology.json" --format json |
		jq -r '[.key, .shard, .primary.id, .primary.conninfo] | join("|")' > "$work/routes" || return 1
	while IFS='|' read -r key shard primary conninfo; do
		PGPASSFILE="$work/passfile" "$PG_BINDIR/psql" -X -A -t -q -v ON_ERROR_STOP=1 -d "$conninfo" \
			-c "INSERT INTO $FAILOVER_TABLE (id, payload) VALUES ('$key', 'routed')" < /dev/null || return 1
		printf '%s\t%s\t%s\t%s\n' "$key" "$(date +%s)" "$shard" "$primary" >> "$ledger"
	done < "$work/routes"
}
