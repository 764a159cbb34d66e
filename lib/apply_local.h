/* apply_local.h -- what apply.c (the driver) and apply_actions.c (the kinds) share */
#ifndef SHARDKIT_APPLY_LOCAL_H
#define SHARDKIT_APPLY_LOCAL_H

#include "apply.h"

/* The executor's working state. */
struct apply_context {
	const struct apply_options *opt;
	struct topology cur;    /* as stored, plus the effects of the actions that succeeded */
	int64_t stored;         /* the version of the stored topology cur is based on */
	int dirty;              /* cur differs from what is stored */
	char detail[512];       /* what the last action found or did, for its log line */
};

/*
 * Carry out one action.  Each returns 0 when its postcondition holds
 * afterwards, setting *already when it held before and nothing was done,
 * or an exit status after reporting.  c->cur is the topology before this
 * action's effect; the driver applies the effect once it succeeded.
 */
int apply_fence(struct apply_context *c, const struct action *a, int *already);
int apply_promote(struct apply_context *c, const struct action *a, int *already);
int apply_follow(struct apply_context *c, const struct action *a, int *already);
int apply_activate(struct apply_context *c, const struct action *a, int *already);
int apply_detach(struct apply_context *c, const struct action *a, int *already);
int apply_wipe(struct apply_context *c, const struct action *a, int *already);

#endif
