#!/usr/bin/env bats
# shard-plan: planning new shards and shard removal from the command line.

load helper

FIXTURES="$BATS_TEST_DIRNAME/fixtures"

try_help='Try "shard-plan --help" for more information.'

# The plan of the fixture named $1 with the options that follow, in plan.json.
plan() {
	local fixture=$1
	shift
	shard-plan "$@" < "$FIXTURES/$fixture.json" > plan.json
}

@test "eight new servers with replication factor 4 form two shards of four zones each" {
	plan plan-seed
	[ "$(jq '.new_shards | length' plan.json)" -eq 2 ]
	[ "$(jq -c '[.new_shards[].id]' plan.json)" = '["s1","s2"]' ]
	[ "$(jq '[.new_shards[] | .replicas | length] | unique' plan.json)" = "$(jq -n '[3]')" ]
	[ "$(jq '[.new_shards[] | .zones | length] | unique' plan.json)" = "$(jq -n '[4]')" ]
	[ "$(jq '.reserves | length' plan.json)" -eq 0 ]
	[ "$(jq '.moves | length' plan.json)" -eq 0 ]
}

@test "the servers left over become reserves, one per shard" {
	plan plan-new-cluster
	[ "$(jq '.new_shards | length' plan.json)" -eq 2 ]
	[ "$(jq -c '[.reserves[].shard]' plan.json)" = '["s1","s2"]' ]
	[ "$(jq '.reserve_count' plan.json)" -eq 2 ]
	[ "$(jq -r '[.topology.servers[] | select(.role == "reserve") | .shard] | sort | join(",")' plan.json)" = "s1,s2" ]
}

@test "--reserve keeps its target before forming shards" {
	plan plan-new-cluster --reserve 3
	# 10 - 3 = 7 servers: one shard of 4, the 3 left over are reserves too.
	[ "$(jq '.new_shards | length' plan.json)" -eq 1 ]
	[ "$(jq '.reserve_count' plan.json)" -eq 6 ]
	[ "$(jq -r '.reserve_source' plan.json)" = option ]
	[ "$(jq '.notes' plan.json)" = "[]" ]
}

@test "too few servers form no shard and the plan says so instead of failing" {
	run --separate-stderr shard-plan --reserve 8 < "$FIXTURES/plan-new-cluster.json"
	assert_status 0
	assert_stderr "shard-plan: warning: not enough new servers to form a shard: 10 new, 8 kept for the reserve target, 4 needed per shard; all become reserves"
	[ "$(jq '.new_shards | length' <<< "$output")" -eq 0 ]
	[ "$(jq '.reserve_count' <<< "$output")" -eq 10 ]
	[ "$(jq -r '.notes[0]' <<< "$output")" = "not enough new servers to form a shard: 10 new, 8 kept for the reserve target, 4 needed per shard; all become reserves" ]
	[ "$(jq '[.reserves[].shard] | unique' <<< "$output")" = "$(jq -n '[null]')" ]
}

@test "a new shard takes its ranges from every existing shard" {
	plan plan-grow
	[ "$(jq -c '[.new_shards[].id]' plan.json)" = '["s3"]' ]
	[ "$(jq -c '[.moved_from[].owner]' plan.json)" = '["s1","s2"]' ]
	[ "$(jq -c '[.moves[].to] | unique' plan.json)" = '["s3"]' ]
	jq -e '(.moved_fraction - 1/3) | fabs < 0.02' plan.json
	[ "$(jq '.new_shards[0].tokens' plan.json)" -eq 8 ]
}

@test "move fractions add up per source, per target and in total" {
	plan plan-no-replication
	jq -e '([.moves[].fraction] | add) as $sum | ($sum - .moved_fraction | fabs) < 1e-12' plan.json
	jq -e '([.moved_from[].fraction] | add) - .moved_fraction | fabs < 1e-12' plan.json
	jq -e '([.moved_to[].fraction] | add) - .moved_fraction | fabs < 1e-12' plan.json
	jq -e '.moves[] | .ranges[] | (.start | test("^[0-9a-f]{16}$")) and (.end | test("^[0-9a-f]{16}$"))' plan.json
}

@test "the plan's topology passes topo-check and has the next version" {
	plan plan-grow
	jq .topology plan.json > new.json
	run --separate-stderr topo-check -t new.json
	assert_status 0
	assert_stderr ""
	[ "$(jq .version new.json)" -eq 4 ]
	[ "$(jq .base_version plan.json)" -eq 3 ]
}

@test "existing shards keep their tokens" {
	plan plan-grow
	[ "$(jq -c '[.shards[] | select(.id != "s3")]' "$FIXTURES/plan-grow.json")" = \
	  "$(jq -c '[.topology.shards[] | select(.id != "s3")]' plan.json)" ]
}

@test "a reserve target that cannot be reached is a warning and a note" {
	run --separate-stderr shard-plan --reserve 12 -t "$FIXTURES/plan-new-cluster.json"
	assert_status 0
	[ "${stderr_lines[1]}" = "shard-plan: warning: reserve target 12 not reached: 10 reserves" ]
	[ "$(jq -r '.notes[1]' <<< "$output")" = "reserve target 12 not reached: 10 reserves" ]
}

@test "a plan that forms shards prints nothing on standard error" {
	run --separate-stderr shard-plan -t "$FIXTURES/plan-grow.json"
	assert_status 0
	assert_stderr ""
}

@test "a server that is not up stays unassigned" {
	plan plan-grow
	[ "$(jq -c .unassigned plan.json)" = '["pg12"]' ]
	[ "$(jq -c '.topology.servers[] | select(.id == "pg12") | has("role")' plan.json)" = false ]
}

@test "a plan that changes nothing keeps the version" {
	plan plan-grow
	jq .topology plan.json > next.json
	run --separate-stderr shard-plan -t next.json
	assert_status 0
	[ "$(jq .version <<< "$output")" -eq 4 ]
	[ "$(jq '.moves | length' <<< "$output")" -eq 0 ]
	[ "$(jq -S .topology <<< "$output")" = "$(jq -S . next.json)" ]
}

@test "the order of servers in the file does not change the plan" {
	plan plan-grow
	jq '.servers |= reverse' "$FIXTURES/plan-grow.json" | shard-plan > reversed.json
	[ "$(jq -c '[.new_shards, .reserves, .moves]' plan.json)" = \
	  "$(jq -c '[.new_shards, .reserves, .moves]' reversed.json)" ]
}

@test "--crash-prob computes the reserve over every server in service" {
	plan plan-grow --crash-prob 0.1
	# 12 servers, one of them down.
	[ "$(jq .reserve_model.servers plan.json)" -eq 11 ]
	plan plan-new-cluster --crash-prob 0.1 --confidence 0.9
	[ "$(jq -r .reserve_source plan.json)" = crash-prob ]
	[ "$(jq .reserve_model.servers plan.json)" -eq 10 ]
	[ "$(jq .reserve_model.confidence plan.json)" = 0.9 ]
	[ "$(jq .reserve_target plan.json)" = "$(jq .reserve_model.reserve plan.json)" ]
	jq -e '.reserve_model.achieved >= 0.9' plan.json
}

@test "--mtbf-days and --repair-days compute the reserve from the time servers are down" {
	plan plan-grow --mtbf-days 200 --repair-days 2
	[ "$(jq -r .reserve_source plan.json)" = mtbf ]
	jq -e '(.reserve_model.crash_prob - 2/202 | fabs) < 1e-15' plan.json
	[ "$(jq .reserve_model.mtbf_days plan.json)" = 200 ]
	[ "$(jq .reserve_target plan.json)" = "$(jq .reserve_model.reserve plan.json)" ]
	[ "$(reserve-calc -n 11 --crash-prob "$(jq .reserve_model.crash_prob plan.json)" | jq .reserve)" = \
	  "$(jq .reserve_target plan.json)" ]
}

@test "--shard-prefix names the new shards" {
	plan plan-grow --shard-prefix east-
	[ "$(jq -c '[.new_shards[].id]' plan.json)" = '["east-1"]' ]
}

@test "--remove-shard hands its ranges to its successors and its servers to the reserves" {
	plan plan-grow --remove-shard s1
	[ "$(jq -r .action plan.json)" = remove-shard ]
	[ "$(jq -c .removed_shard plan.json)" = '{"id":"s1","servers":["pg1","pg2","pg3","pg7"]}' ]
	[ "$(jq -c '[.moves[] | [.from, .to]] | unique' plan.json)" = '[["s1","s2"]]' ]
	[ "$(jq -c '[.topology.shards[].id]' plan.json)" = '["s2"]' ]
	[ "$(jq -c '[.topology.servers[] | select(.id == "pg1" or .id == "pg2") | [.role, .shard]]' plan.json)" = \
	  '[["reserve","s2"],["reserve","s2"]]' ]
	jq .topology plan.json | topo-check
}

@test "removing an unknown shard is bad input" {
	run --separate-stderr shard-plan --remove-shard s9 < "$FIXTURES/plan-grow.json"
	assert_status 3
	assert_stderr 'shard-plan: cannot remove shard "s9": no such shard'
	[ -z "$output" ]
}

@test "removing the last shard is bad input" {
	run --separate-stderr shard-plan --remove-shard s1 -t "$FIXTURES/plan-one-shard.json"
	assert_status 3
	assert_stderr 'shard-plan: cannot remove shard "s1": it is the last shard and would leave the ring empty'
	[ -z "$output" ]
}

@test "no-replication: every new server is a shard of its own, reserves are spares" {
	plan plan-no-replication --reserve 1
	[ "$(jq -r .replication_factor plan.json)" -eq 1 ]
	[ "$(jq -c '[.new_shards[] | .replicas | length] | unique' plan.json)" = '[0]' ]
	[ "$(jq '.new_shards | length' plan.json)" -eq 2 ]
	[ "$(jq -c .reserves plan.json)" = '[{"server":"pg3","shard":null}]' ]
	jq .topology plan.json | topo-check
}

@test "multi-master: new servers join the ring and moves are between servers" {
	plan plan-multi-master --reserve 1
	[ "$(jq -c '[.new_members[].server]' plan.json)" = '["mm5"]' ]
	[ "$(jq -c '.reserves' plan.json)" = '[{"server":"mm4","shard":null}]' ]
	[ "$(jq -c '[.moved_from[].owner]' plan.json)" = '["mm1","mm2","mm3"]' ]
	[ "$(jq '.topology.servers[] | select(.id == "mm5") | .tokens | length' plan.json)" -eq 8 ]
	[ "$(jq '.topology.servers[] | select(.id == "mm4") | has("tokens")' plan.json)" = false ]
	jq .topology plan.json | topo-check
}

@test "multi-master: planning again keeps the spare off the ring and the version" {
	plan plan-multi-master --reserve 1
	jq .topology plan.json | shard-plan --reserve 1 > again.json
	[ "$(jq .version again.json)" -eq 4 ]
	[ "$(jq -c .reserves again.json)" = '[{"server":"mm4","shard":null}]' ]
	[ "$(jq '.moves | length' again.json)" -eq 0 ]
}

@test "SHARDKIT_TOPOLOGY never overrides the topology piped in" {
	SHARDKIT_TOPOLOGY="$EXAMPLES/multi-master.json" run --separate-stderr shard-plan < "$FIXTURES/plan-seed.json"
	assert_status 0
	[ "$(jq '.new_shards | length' <<< "$output")" -eq 2 ]
}

@test "the example topologies plan to valid topologies" {
	for f in "$EXAMPLES"/*.json; do
		shard-plan --reserve 0 < "$f" | jq .topology | topo-check
	done
}

@test "the man page's pipelines run" {
	cp "$FIXTURES/plan-grow.json" topo.json
	shard-plan --reserve 2 < topo.json | jq .topology > new.json
	topo-check -t new.json
	# server-init prints one entry per server; these stand in for its output.
	for port in 5601 5602 5603 5604; do
		jq -n --argjson p "$port" '{id: "pg\($p)", conninfo: "host=127.0.0.1 port=\($p)", zone: "z\($p % 2)", state: "up"}'
	done > new-servers.json
	jq --slurpfile new new-servers.json '.servers += $new' topo.json |
		shard-plan --crash-prob 0.005 | jq .topology | topo-check --print > new.json
	[ "$(jq '.servers | length' new.json)" -eq 16 ]
	shard-plan --mtbf-days 400 --repair-days 2 --confidence 0.999 < topo.json |
		jq '{reserve_target, new_shards: [.new_shards[].id]}' > summary.json
	[ "$(jq -c '.new_shards' summary.json)" = '["s3"]' ]
	shard-plan -t topo.json | jq -r '.moves[] | [.from, .to, .fraction] | @tsv' > moves.tsv
	[ "$(cut -f 2 moves.tsv | sort -u)" = s3 ]
	shard-plan --remove-shard s2 -t topo.json | jq -c '.moves[]' > removed.jsonl
	[ "$(jq -r .from removed.jsonl | sort -u)" = s2 ]
}

@test "truncated topology is rejected with its line and column" {
	printf '{\n  "version": 1,\n  "mode": ' > t.json
	run --separate-stderr shard-plan -t t.json
	assert_status 3
	assert_stderr "shard-plan: t.json:3:10: unexpected token near end of file"
	[ -z "$output" ]
}

@test "an invalid topology is rejected with its JSON path" {
	jq '.servers[1].role = "primary"' "$FIXTURES/plan-grow.json" > t.json
	run --separate-stderr shard-plan -t t.json
	assert_status 3
	assert_stderr 'shard-plan: t.json: shards[0]: shard "s1" has 2 primaries ("pg1", "pg2"): expected one'
	[ -z "$output" ]
}

@test "a missing topology file is a failure to read" {
	run --separate-stderr shard-plan -t missing.json
	assert_status 1
	assert_stderr 'shard-plan: could not open "missing.json": No such file or directory'
	[ -z "$output" ]
}

@test "a full disk on standard output is an error" {
	run --separate-stderr bash -c 'shard-plan -t "$1" > /dev/full' _ "$FIXTURES/plan-seed.json"
	assert_status 1
	assert_stderr "shard-plan: could not write to standard output: No space left on device"
}

@test "--reserve must be a whole number" {
	run --separate-stderr shard-plan --reserve -1 < "$FIXTURES/plan-seed.json"
	assert_status 2
	assert_stderr $'shard-plan: invalid --reserve "-1": expected an integer from 0 to 1000000000000\n'"$try_help"
	run --separate-stderr shard-plan -r 2x < "$FIXTURES/plan-seed.json"
	assert_status 2
	assert_stderr $'shard-plan: invalid --reserve "2x": expected an integer from 0 to 1000000000000\n'"$try_help"
}

@test "--crash-prob must lie from 0 to 1" {
	run --separate-stderr shard-plan --crash-prob 1.5 < "$FIXTURES/plan-seed.json"
	assert_status 2
	assert_stderr $'shard-plan: invalid --crash-prob "1.5": expected a number from 0 to 1\n'"$try_help"
	run --separate-stderr shard-plan --crash-prob nan < "$FIXTURES/plan-seed.json"
	assert_status 2
	assert_stderr $'shard-plan: invalid --crash-prob "nan": expected a number from 0 to 1\n'"$try_help"
}

@test "--mtbf-days must be positive and --repair-days not negative" {
	run --separate-stderr shard-plan --mtbf-days 0 --repair-days 1 < "$FIXTURES/plan-seed.json"
	assert_status 2
	assert_stderr $'shard-plan: invalid --mtbf-days "0": expected a number greater than 0\n'"$try_help"
	run --separate-stderr shard-plan --mtbf-days 10 --repair-days -1 < "$FIXTURES/plan-seed.json"
	assert_status 2
	assert_stderr $'shard-plan: invalid --repair-days "-1": expected a number of at least 0\n'"$try_help"
}

@test "--confidence must lie strictly between 0 and 1" {
	run --separate-stderr shard-plan --crash-prob 0.1 --confidence 1 < "$FIXTURES/plan-seed.json"
	assert_status 2
	assert_stderr $'shard-plan: invalid --confidence "1": expected a number greater than 0 and less than 1\n'"$try_help"
}

@test "--confidence needs a failure rate" {
	run --separate-stderr shard-plan --confidence 0.9 < "$FIXTURES/plan-seed.json"
	assert_status 2
	assert_stderr $'shard-plan: --confidence needs a failure rate: --crash-prob, or --mtbf-days with --repair-days\n'"$try_help"
}

@test "--reserve and a failure rate are mutually exclusive" {
	run --separate-stderr shard-plan --reserve 1 --crash-prob 0.1 < "$FIXTURES/plan-seed.json"
	assert_status 2
	assert_stderr $'shard-plan: --reserve and a failure rate (--crash-prob, --mtbf-days) are mutually exclusive\n'"$try_help"
}

@test "--crash-prob and --mtbf-days are mutually exclusive" {
	run --separate-stderr shard-plan --crash-prob 0.1 --mtbf-days 10 --repair-days 1 < "$FIXTURES/plan-seed.json"
	assert_status 2
	assert_stderr $'shard-plan: --crash-prob and --mtbf-days/--repair-days are mutually exclusive\n'"$try_help"
}

@test "--mtbf-days and --repair-days go together" {
	run --separate-stderr shard-plan --mtbf-days 10 < "$FIXTURES/plan-seed.json"
	assert_status 2
	assert_stderr $'shard-plan: --mtbf-days needs --repair-days\n'"$try_help"
	run --separate-stderr shard-plan --repair-days 1 < "$FIXTURES/plan-seed.json"
	assert_status 2
	assert_stderr $'shard-plan: --repair-days needs --mtbf-days\n'"$try_help"
}

@test "--remove-shard cannot be combined with the options that form shards" {
	run --separate-stderr shard-plan --remove-shard s1 --shard-prefix x < "$FIXTURES/plan-grow.json"
	assert_status 2
	assert_stderr $'shard-plan: --remove-shard cannot be combined with the options that form shards\n'"$try_help"
}

@test "an invalid --shard-prefix is a usage error" {
	run --separate-stderr shard-plan --shard-prefix '-x' < "$FIXTURES/plan-seed.json"
	assert_status 2
	assert_stderr $'shard-plan: invalid --shard-prefix "-x": expected up to 54 letters, digits, \'_\', \'.\' or \'-\', starting with a letter or digit\n'"$try_help"
}

@test "an unexpected argument is a usage error" {
	run --separate-stderr shard-plan extra < "$FIXTURES/plan-seed.json"
	assert_status 2
	assert_stderr $'shard-plan: unexpected argument "extra"\n'"$try_help"
}

@test "an unknown option is a usage error" {
	run --separate-stderr shard-plan --bogus < "$FIXTURES/plan-seed.json"
	assert_status 2
	assert_stderr $'shard-plan: unrecognized option \'--bogus\'\n'"$try_help"
	[ -z "$output" ]
}

@test "--help prints the usage line first and exits 0" {
	run --separate-stderr shard-plan --help
	assert_status 0
	[ "${lines[0]}" = "usage: shard-plan [-t file] [--reserve n | --crash-prob p | --mtbf-days d --repair-days r] [--confidence c] [--shard-prefix prefix] [--remove-shard shard]" ]
	assert_stderr ""
}

@test "--version prints the program and version" {
	run --separate-stderr shard-plan --version
	assert_status 0
	[ "$output" = "shard-plan (shardkit) $(cat "$TOP/VERSION")" ]
}

@test "usage line matches the man page synopsis" {
	usage_matches_synopsis shard-plan
}
