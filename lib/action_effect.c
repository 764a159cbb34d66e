/* action_effect.c -- what each kind of action changes in the topology
 *
 * One table of effects, the "Topology:" line of each kind in
 * man/shardkit-actions.5, shared by the executor (which publishes the
 * effects of the actions that succeeded) and checked against the planner's
 * resulting topology by tests/unit/test_action_effect.c.
 */

#include "orchestrate.h"

static void
leave_shard(struct topology *topo, int server, enum server_state state)
{
	topo->servers[server].state = state;
	topo->servers[server].role = ROLE_NONE;
	topo->servers[server].shard = -1;
}

void
action_effect(struct topology *topo, const struct action *a)
{
	struct topology_server *s = a->server >= 0 ? &topo->servers[a->server] : NULL;

	switch (a->kind) {
	case ACTION_FENCE:
		leave_shard(topo, a->server, SERVER_FENCED);
		break;
	case ACTION_PROMOTE:
		s->role = ROLE_PRIMARY;
		break;
	case ACTION_MARK_DOWN:
		s->state = SERVER_DOWN;
		if (a->shard_down && a->shard >= 0)
			topo->shards[a->shard].state = SHARD_DOWN;
		break;
	case ACTION_MARK_ACTIVE:
		s->state = SERVER_UP;
		if (a->shard >= 0)
			topo->shards[a->shard].state = SHARD_ACTIVE;
		break;
	case ACTION_DETACH:
		s->role = ROLE_NONE;
		s->shard = -1;
		break;
	case ACTION_WIPE:
		leave_shard(topo, a->server, SERVER_WIPED);
		break;
	case ACTION_CLONE:
		s->state = SERVER_UP;
		s->role = ROLE_RESERVE;
		s->shard = a->shard;
		break;
	case ACTION_ACTIVATE_RESERVE:
		s->role = ROLE_REPLICA;
		break;
	case ACTION_REPOINT:
	case ACTION_ALERT:
		break;
	}
}
