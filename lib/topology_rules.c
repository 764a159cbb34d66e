/* topology_rules.c -- the rules of a topology that span objects
 *
 * The second loading pass, over a model whose shape is sound: one primary
 * per shard, the replication factor (a warning), duplicate ids and tokens,
 * one PostgreSQL server named twice, and each mode's constraints.  Every
 * broken rule is added to the problem list with its JSON path.
 */

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conn.h"
#include "error.h"
#include "hash.h"
#include "names.h"
#include "tokensort.h"
#include "topology.h"
#include "topology_private.h"

/*
 * Duplicates are found through a name index (names.h), not by comparing
 * every pair: at thousands of servers the pairs cost more than the parse.
 * The problems come out in the order the pairwise loop gave them: by entry,
 * then by the earlier entry it repeats.
 */
static void
validate_ids(const struct topology *topo, struct problems *problems)
{
	size_t n = topo->server_count > topo->shard_count ? topo->server_count : topo->shard_count;
	const char **names;
	struct name_index x;
	size_t i, k, first, dups;
	char p[64];

	if (topo->table_count > n)
		n = topo->table_count;
	names = xmalloc((n ? n : 1) * sizeof(*names));
	for (i = 0; i < topo->shard_count; i++)
		names[i] = topo->shards[i].id;
	name_index_build(&x, names, topo->shard_count);
	for (i = 0; i < topo->shard_count; i++) {
		snprintf(p, sizeof(p), "shards[%zu].id", i);
		if (!topology_id_valid(topo->shards[i].id))
			ERR(p, "invalid id \"%s\": expected 1 to %d letters, digits, '_', '.' or '-'",
			    topo->shards[i].id, TOPOLOGY_ID_MAX);
		dups = name_index_earlier(&x, i, &first);
		for (k = 0; k < dups; k++)
			ERR(p, "duplicate shard id \"%s\" (also shards[%zu])", topo->shards[i].id,
			    x.sorted[first + k].index);
	}
	name_index_free(&x);
	for (i = 0; i < topo->server_count; i++)
		names[i] = topo->servers[i].id;
	name_index_build(&x, names, topo->server_count);
	for (i = 0; i < topo->server_count; i++) {
		snprintf(p, sizeof(p), "servers[%zu].id", i);
		if (!topology_id_valid(topo->servers[i].id))
			ERR(p, "invalid id \"%s\": expected 1 to %d letters, digits, '_', '.' or '-'",
			    topo->servers[i].id, TOPOLOGY_ID_MAX);
		dups = name_index_earlier(&x, i, &first);
		for (k = 0; k < dups; k++)
			ERR(p, "duplicate server id \"%s\" (also servers[%zu])", topo->servers[i].id,
			    x.sorted[first + k].index);
	}
	name_index_free(&x);
	for (i = 0; i < topo->table_count; i++)
		names[i] = topo->tables[i].name;
	name_index_build(&x, names, topo->table_count);
	for (i = 0; i < topo->table_count; i++) {
		dups = name_index_earlier(&x, i, &first);
		for (k = 0; k < dups; k++) {
			snprintf(p, sizeof(p), "tables[%zu].name", i);
			ERR(p, "duplicate table \"%s\" (also tables[%zu])", topo->tables[i].name,
			    x.sorted[first + k].index);
		}
	}
	name_index_free(&x);
	free(names);
}

/*
 * Two entries naming one PostgreSQL server (same host and port) would let a
 * "replica" be the primary itself: two copies of a shard on one server.
 */
static void
validate_conninfos(const struct topology *topo, struct problems *problems)
{
	size_t n = topo->server_count;
	char (*where)[300] = xcalloc(n + 1, sizeof(*where));
	const char **names = xmalloc((n + 1) * sizeof(*names));
	unsigned char *bad = xcalloc(n + 1, 1);
	struct name_index x;
	size_t i, k, first, dups;

	for (i = 0; i < n; i++) {
		char host[256], port[32], why[256];

		names[i] = where[i];
		if (conninfo_inspect(topo->servers[i].conninfo, host, sizeof(host), port,
		    sizeof(port), why, sizeof(why)) != 0)
			bad[i] = 1;
		else
			snprintf(where[i], sizeof(where[i]), "%s:%s", host, port);
	}
	/* A bad conninfo's "" never equals a good one's "host:port". */
	name_index_build(&x, names, n);
	for (i = 0; i < n; i++) {
		const struct topology_server *s = &topo->servers[i];
		char host[256], port[32], why[256], p[64];

		snprintf(p, sizeof(p), "servers[%zu].conninfo", i);
		if (bad[i]) {
			/* Rare: inspected again for its message rather than keeping 256 bytes a server. */
			conninfo_inspect(s->conninfo, host, sizeof(host), port, sizeof(port),
			    why, sizeof(why));
			ERR(p, "%s", why);
			continue;
		}
		dups = name_index_earlier(&x, i, &first);
		for (k = 0; k < dups; k++) {
			size_t j = x.sorted[first + k].index;

			if (s->shard >= 0 && s->shard == topo->servers[j].shard)
				ERR(p, "servers \"%s\" and \"%s\" are the same PostgreSQL server (%s): two copies of shard \"%s\" on one server",
				    topo->servers[j].id, s->id, where[i], topo->shards[s->shard].id);
			else
				ERR(p, "servers \"%s\" and \"%s\" are the same PostgreSQL server (%s)",
				    topo->servers[j].id, s->id, where[i]);
		}
	}
	name_index_free(&x);
	free(bad);
	free(names);
	free(where);
}

struct owned_token {
	uint64_t token;
	int owner;
};

/* Every token on the ring must be distinct: a tie has no owner. */
static void
validate_tokens(const struct topology *topo, struct problems *problems)
{
	int multi = topo->mode == MODE_MULTI_MASTER;
	size_t owners = multi ? topo->server_count : topo->shard_count;
	size_t i, k, n = 0, total = 0;
	struct owned_token *all;

	for (i = 0; i < owners; i++)
		total += multi ? topo->servers[i].token_count : topo->shards[i].token_count;
	all = xmalloc((total ? total : 1) * sizeof(*all));
	for (i = 0; i < owners; i++) {
		const uint64_t *t = multi ? topo->servers[i].tokens : topo->shards[i].tokens;
		size_t c = multi ? topo->servers[i].token_count : topo->shards[i].token_count;

		for (k = 0; k < c; k++) {
			all[n].token = t[k];
			all[n++].owner = (int)i;
		}
	}
	/* Stable, and filled in owner order: ties come out by owner, as before. */
	token_sort(all, n, sizeof(*all));
	for (i = 1; i < n; i++) {
		char text[TOKEN_TEXT_LEN + 1], p[64];

		if (all[i].token != all[i - 1].token)
			continue;
		token_format(all[i].token, text);
		snprintf(p, sizeof(p), "%s[%d].tokens", multi ? "servers" : "shards", all[i].owner);
		if (all[i].owner == all[i - 1].owner)
			ERR(p, "duplicate token \"%s\"", text);
		else
			ERR(p, "duplicate token \"%s\" (also %s[%d])", text,
			    multi ? "servers" : "shards", all[i - 1].owner);
	}
	free(all);
}

/*
 * servers[member[first[s]]] ... are shard s's servers, in server order:
 * one pass over the servers instead of one per shard.
 */
static size_t *
shard_members(const struct topology *topo, size_t **member_out)
{
	size_t *first = xcalloc(topo->shard_count + 1, sizeof(*first));
	size_t *next = xcalloc(topo->shard_count + 1, sizeof(*next));
	size_t *member = xcalloc(topo->server_count ? topo->server_count : 1, sizeof(*member));
	size_t i;

	for (i = 0; i < topo->server_count; i++)
		if (topo->servers[i].shard >= 0 &&
		    (size_t)topo->servers[i].shard < topo->shard_count)
			first[topo->servers[i].shard + 1]++;
	for (i = 0; i < topo->shard_count; i++)
		first[i + 1] += first[i];
	memcpy(next, first, topo->shard_count * sizeof(*next));
	for (i = 0; i < topo->server_count; i++)
		if (topo->servers[i].shard >= 0 &&
		    (size_t)topo->servers[i].shard < topo->shard_count)
			member[next[topo->servers[i].shard]++] = i;
	free(next);
	*member_out = member;
	return first;
}

static void
validate_shard_members(const struct topology *topo, size_t shard, const size_t *first,
    const size_t *member, struct problems *problems)
{
	const struct topology_shard *sh = &topo->shards[shard];
	size_t k, primaries = 0, active = 0;
	char p[64], names[256] = "";

	for (k = first[shard]; k < first[shard + 1]; k++) {
		const struct topology_server *s = &topo->servers[member[k]];

		if (s->role == ROLE_PRIMARY) {
			size_t used = strlen(names);

			snprintf(names + used, sizeof(names) - used, "%s\"%s\"",
			    primaries ? ", " : "", s->id);
			primaries++;
		}
		if ((s->role == ROLE_PRIMARY || s->role == ROLE_REPLICA) && s->state == SERVER_UP)
			active++;
	}
	snprintf(p, sizeof(p), "shards[%zu]", shard);
	if (primaries > 1)
		ERR(p, "shard \"%s\" has %zu primaries (%s): expected one", sh->id, primaries, names);
	if (primaries == 0 && sh->state == SHARD_ACTIVE && active > 0)
		ERR(p, "shard \"%s\" has replicas but no primary", sh->id);
	if (sh->state != SHARD_DOWN && active < (size_t)topo->replication_factor)
		WARN(p, "shard \"%s\" has %zu of the %d active servers its replication factor requires",
		    sh->id, active, topo->replication_factor);
}

static void
validate_server_roles(const struct topology *topo, struct problems *problems)
{
	size_t i;

	for (i = 0; i < topo->server_count; i++) {
		const struct topology_server *s = &topo->servers[i];
		char p[64], pr[64];

		snprintf(p, sizeof(p), "servers[%zu]", i);
		snprintf(pr, sizeof(pr), "servers[%zu].role", i);
		if (topo->mode == MODE_MULTI_MASTER) {
			if (s->shard >= 0)
				ERR(p, "multi-master servers belong to no shard: remove \"shard\"");
			if (s->role != ROLE_NONE)
				ERR(pr, "multi-master servers have no role, found \"%s\"",
				    server_role_name(s->role));
			continue;
		}
		if (s->token_count > 0)
			ERR(p, "tokens belong to shards in %s mode, not to servers",
			    topology_mode_name(topo->mode));
		if ((s->role == ROLE_PRIMARY || s->role == ROLE_REPLICA) && s->shard < 0)
			ERR(pr, "a %s must belong to a shard", server_role_name(s->role));
		if (s->role == ROLE_NONE && s->shard >= 0)
			ERR(pr, "a server in shard \"%s\" needs a role (primary, replica or reserve)",
			    topo->shards[s->shard].id);
		if (topo->mode == MODE_NO_REPLICATION && s->shard >= 0 && s->role != ROLE_PRIMARY)
			ERR(pr, "no-replication shards have a primary only, found \"%s\"",
			    server_role_name(s->role));
	}
}

void
topology_validate(const struct topology *topo, struct problems *problems)
{
	size_t i, *first, *member;

	validate_ids(topo, problems);
	validate_conninfos(topo, problems);
	validate_tokens(topo, problems);
	validate_server_roles(topo, problems);
	if (topo->mode == MODE_NO_REPLICATION && topo->replication_factor != 1)
		ERR("replication_factor", "no-replication mode requires replication_factor 1, found %d",
		    topo->replication_factor);
	if (topo->mode == MODE_MULTI_MASTER) {
		if (topo->shard_count > 0)
			ERR("shards", "multi-master mode places servers on the ring: expected no shards");
		if (topo->server_count < (size_t)topo->replication_factor)
			WARN("servers", "%zu servers cannot hold %d distinct copies of each key",
			    topo->server_count, topo->replication_factor);
		return;
	}
	first = shard_members(topo, &member);
	for (i = 0; i < topo->shard_count; i++)
		validate_shard_members(topo, i, first, member, problems);
	free(first);
	free(member);
}
