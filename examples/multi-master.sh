#!/bin/sh
# Multi-master: servers, not shards, are on the ring; each key has a
# preference list of replication_factor distinct servers, distinct zones first.
set -eu
here=$(dirname "$0")
ring-place < "$here/multi-master.json" > placed.json
ring-lookup -t placed.json u1 u2 u3 | jq -c '{key, servers: [.servers[].id]}'
