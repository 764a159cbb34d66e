# failover-report.sh -- bench-failover's report: a Markdown section for bench/RESULTS.md.
# Sourced by bench/bench-failover after the runs; reads $work/SYSTEM.* files:
#   .times     "KILL KILLED SECONDS" per kill (kill to first acknowledged write)
#   .whole     "KILL SECONDS" per kill (kill to cluster whole again)
#   .settings  one line: the failover settings in effect
#   .verify    shardkit-verify's summary; .writer the writer's summary
#   .timeline  "KILL TEXT" per kill: the orchestrator's actions until the first write
# shellcheck shell=bash
# shellcheck disable=SC2154 # work: set by bench-failover

# median FILE COLUMN / worst FILE COLUMN: of the numbers in COLUMN ("-" if none).
median() {
	[ -s "$1" ] || { echo "-"; return; }
	awk -v c="$2" '{ print $c }' "$1" | sort -g | awk '
		{ v[NR] = $1 }
		END { if (NR == 0) print "-"; else if (NR % 2) printf "%.2f\n", v[(NR + 1) / 2];
		      else printf "%.2f\n", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}
worst() {
	[ -s "$1" ] || { echo "-"; return; }
	awk -v c="$2" 'NR == 1 || $c > m { m = $c } END { if (NR) printf "%.2f\n", m; else print "-" }' "$1"
}

# column SYSTEM KILL FIELD: one cell of the per-kill table.
cell() {
	local file=$work/$1.$3
	[ -f "$file" ] || { echo "-"; return; }
	case $3 in
	times) awk -v k="$2" '$1 == k { printf "%s %.2f\n", $2, $3 }' "$file" ;;
	whole) awk -v k="$2" '$1 == k { printf "%.1f\n", $2 }' "$file" ;;
	esac
}

ratio() {
	case "$1$2" in *-*) echo "-" ;; *) awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.1f\n", a / b; else print "-" }' ;; esac
}

verdict() {   # verdict VALUE LIMIT
	case $1 in -) echo "not measured" ;; *) awk -v v="$1" -v l="$2" 'BEGIN { print (v <= l ? "met" : "MISSED") }' ;; esac
}

writes_line() {   # writes_line SYSTEM
	if [ -f "$work/$1.verify" ]; then
		jq -r --slurpfile w "$work/$1.writer" '"\(.checked) acknowledged, \(.missing) missing"
		    + (if .missing > 0 then " (" + (.missing_keys[:10] | join(", ")) + ")" else "" end)
		    + "; \($w[0].unknown) unknown (in flight at a kill, never in the ledger)"' "$work/$1.verify"
	else
		echo "not run"
	fi
}

report() {
	local p_med s_med p_worst s_worst s_lost i
	p_med=$(median "$work/patroni.times" 3)
	s_med=$(median "$work/shardkit.times" 3)
	p_worst=$(worst "$work/patroni.times" 3)
	s_worst=$(worst "$work/shardkit.times" 3)
	s_lost=$(jq -r .missing "$work/shardkit.verify" 2>/dev/null || echo "-")
	echo "## Chaos failover: shardkit orchestrator against Patroni (bench-failover)"
	echo
	echo "- Date: $(date -u '+%Y-%m-%d %H:%M UTC')"
	echo "- Machine: \`nproc\` = $(nproc), $(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1), $("$PG_BINDIR/postgres" --version)"
	echo "- Command: \`make bench\` (or \`KILLS=$KILLS bench/bench-failover\`), $KILLS kills per system"
	echo "- Writer: \`shardkit-writer --retry-for 120 --timeout 5\`, one write at a time, unthrottled; a failover is timed from the SIGKILL to the first write the new primary acknowledged (ledger), the missing writes counted by \`shardkit-verify\` at the end."
	echo "- Patroni: $(cat "$work/patroni.settings" 2>/dev/null || echo "not run"); two nodes on one etcd; a kill is SIGKILL of the leader's Patroni and postmaster; the node then restarts with an empty data directory and Patroni re-clones it."
	echo "- shardkit: $(cat "$work/shardkit.settings" 2>/dev/null || echo "not run"); a kill is SIGKILL of the primary's postmaster; the server then restarts on its old data directory and the orchestrator wipes and re-clones it into the reserve pool."
	echo
	echo "| kill | Patroni: node killed, s to first write | Patroni: s until whole | shardkit: server killed, s to first write | shardkit: s until whole |"
	echo "|---|---|---|---|---|"
	for i in $(seq "$KILLS"); do
		echo "| $i | $(cell patroni "$i" times) | $(cell patroni "$i" whole) | $(cell shardkit "$i" times) | $(cell shardkit "$i" whole) |"
	done
	echo "| median | $p_med | $(median "$work/patroni.whole" 2) | $s_med | $(median "$work/shardkit.whole" 2) |"
	echo "| worst | $p_worst | $(worst "$work/patroni.whole" 2) | $s_worst | $(worst "$work/shardkit.whole" 2) |"
	echo
	if [ -s "$work/shardkit.timeline" ]; then
		echo "Where shardkit's seconds go (orchestrator decision log, seconds after the kill, start-end of each action, until the first write):"
		echo
		awk '{ k = $1; $1 = ""; printf "- kill %s:%s\n", k, $0 }' "$work/shardkit.timeline"
		echo
	fi
	echo "Ratio Patroni / shardkit, kill to first write: median $(ratio "$p_med" "$s_med"), worst $(ratio "$p_worst" "$s_worst")."
	echo
	echo "Acknowledged writes: Patroni $(writes_line patroni); shardkit $(writes_line shardkit)."
	echo
	echo "Targets (shardkit, default settings): median <= 3 s: $(verdict "$s_med" 3); worst <= 5 s: $(verdict "$s_worst" 5); zero acknowledged writes lost: $(verdict "$s_lost" 0)."
}
