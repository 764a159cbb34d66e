#!/bin/sh
# Three new servers join the example primary-replica cluster (replication
# factor 3): shard-plan forms one new shard of them, lists the token ranges
# that move to it from each existing shard, and the resulting topology is
# valid.
set -eu
here=$(dirname "$0")
ring-place < "$here/primary-replica.json" |
	jq '.servers += [range(9; 12) as $i |
	    {id: "pg\($i)", conninfo: "host=127.0.0.1 port=\(5500 + $i) dbname=app user=postgres",
	     zone: (["a", "b", "c"][$i % 3]), state: "up"}]' > grown.json
shard-plan --reserve 2 < grown.json > plan.json
jq -c '.new_shards[] | {id, primary, replicas}' plan.json
jq -c '.moves[] | {from, to, ranges: (.ranges | length), fraction}' plan.json
jq .topology plan.json | topo-check
