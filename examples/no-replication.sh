#!/bin/sh
# Without replication a shard marked down loses its data; its keys route to
# the next shard clockwise so new writes still land somewhere.
set -eu
here=$(dirname "$0")
ring-place < "$here/no-replication.json" > placed.json
printf '%s\n' u1 u2 u3 u4 u5 u6 u7 u8 | ring-lookup -t placed.json --format tsv --field shard
jq '.shards[] |= (.state = "active") | .servers[] |= (.state = "up")' placed.json > healed.json
printf '%s\n' u1 u2 u3 u4 u5 u6 u7 u8 | ring-lookup -t healed.json --format tsv --field shard
