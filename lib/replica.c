/* replica.c -- make a server stream from its shard's primary
 *
 * What to do is decided from what the servers say, never from a state file:
 * a replica that is not in recovery, or whose system identifier is not its
 * primary's, is cloned (replica_clone.c); one of the right cluster whose
 * primary_conninfo names another server is re-pointed with ALTER SYSTEM and
 * a reload; one already configured is only waited for.  So a run killed at
 * any point converges when rerun.  Runs on one data directory's parent are
 * serialised by the flock server-init takes on it.
 */

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>
#include <libpq-fe.h>

#include "clock.h"
#include "config.h"
#include "conn.h"
#include "error.h"
#include "file.h"
#include "json.h"
#include "passfile.h"
#include "replica.h"
#include "replica_local.h"
#include "server.h"
#include "topology.h"

/* Everything one attach works with; freed by context_free. */
struct context {
	const struct topology *topo;
	const struct replica_request *req;
	const struct config *cfg;
	const struct runas *ra;
	int server, primary;
	const char *id, *primary_id;
	char primary_host[256], primary_port[32];
	struct server_spec spec;        /* the replica, from its settings record */
	json_t *record;                 /* owns spec's strings */
	char *slot, *password, *conninfo;
	PGconn *primary_conn, *replica_conn;
	char *primary_sysid;
	struct replica_former former;   /* where it streamed from before; host "" if nowhere */
};

static void
context_free(struct context *c)
{
	free(c->slot);
	passfile_free_password(c->password);
	free(c->conninfo);
	free(c->primary_sysid);
	if (c->primary_conn != NULL)
		PQfinish(c->primary_conn);
	if (c->replica_conn != NULL)
		PQfinish(c->replica_conn);
	json_decref(c->record);
}

static void
pause_briefly(void)
{
	nanosleep(&(struct timespec){ 0, 200 * 1000 * 1000 }, NULL);
}

/* The replica and its primary in the topology; EXIT_STATUS_INPUT when they cannot be. */
static int
resolve(struct context *c)
{
	const struct topology_server *s, *p;
	int shard;

	c->server = topology_find_server(c->topo, c->req->server);
	if (c->server < 0) {
		error_report("unknown server \"%s\"", c->req->server);
		return EXIT_STATUS_INPUT;
	}
	s = &c->topo->servers[c->server];
	c->id = s->id;
	if (s->data_directory == NULL) {
		error_report("server \"%s\" has no data_directory in the topology", s->id);
		error_hint("provision it with server-init and add the data_directory of its entry");
		return EXIT_STATUS_INPUT;
	}
	if (s->role != ROLE_REPLICA && s->role != ROLE_RESERVE) {
		error_report("server \"%s\" has role %s: only a replica or a reserve is attached",
		    s->id, server_role_name(s->role));
		return EXIT_STATUS_INPUT;
	}
	shard = s->shard;
	c->primary = c->req->primary != NULL ? topology_find_server(c->topo, c->req->primary) :
	    shard >= 0 ? topology_shard_primary(c->topo, shard) : -1;
	if (c->req->primary != NULL && c->primary < 0) {
		error_report("unknown primary \"%s\"", c->req->primary);
		return EXIT_STATUS_INPUT;
	}
	if (c->primary < 0) {
		error_report("server \"%s\" has no primary: %s", s->id,
		    shard < 0 ? "it is in no shard" : "its shard has no server with role primary");
		return EXIT_STATUS_INPUT;
	}
	p = &c->topo->servers[c->primary];
	c->primary_id = p->id;
	if (c->primary == c->server || p->shard != shard || p->role == ROLE_RESERVE) {
		error_report("server \"%s\" cannot stream from \"%s\": %s", s->id, p->id,
		    c->primary == c->server ? "it is the same server" :
		    p->shard != shard ? "it is in another shard" : "a reserve is never a primary");
		return EXIT_STATUS_INPUT;
	}
	return 0;
}

/* The replica's settings as server-init recorded them (spec's strings in c->record). */
static int
load_spec(struct context *c)
{
	const char *dir = c->topo->servers[c->server].data_directory;
	char *path = xconcat(dir, "/" SERVER_RECORD_FILE);
	int status = server_record_read(path, &c->spec, &c->record);

	free(path);
	if (status != 0) {
		error_hint("provision server \"%s\" with server-init first", c->id);
		return status;
	}
	c->spec.data_directory = dir;
	c->spec.timeout = c->req->timeout;
	if (strcmp(c->spec.id, c->id) != 0) {
		error_report("data directory \"%s\" belongs to server \"%s\", not \"%s\"", dir,
		    c->spec.id, c->id);
		return EXIT_STATUS_CONFLICT;
	}
	return 0;
}

/* The replication role's password: replication_password, else the passfile. */
static int
load_password(struct context *c)
{
	const struct config *cfg = c->cfg;

	if (cfg->replication_password != NULL && cfg->replication_password[0] != '\0') {
		c->password = xstrdup(cfg->replication_password);
		return 0;
	}
	if (cfg->credentials_file != NULL &&
	    passfile_lookup(cfg->credentials_file, c->primary_host, c->primary_port,
	    "replication", cfg->replication_user, &c->password) != 0)
		return EXIT_STATUS_CONFIG;
	if (c->password != NULL && c->password[0] != '\0')
		return 0;
	error_report("no password for replication user \"%s\" at %s:%s: neither replication_password nor credentials_file in %s has one",
	    cfg->replication_user, c->primary_host, c->primary_port,
	    cfg->path != NULL ? cfg->path : "shardkit.conf (none was read)");
	error_hint("add a line \"%s:%s:replication:%s:PASSWORD\" to the password file named by credentials_file (mode 0600)",
	    c->primary_host, c->primary_port, cfg->replication_user);
	return EXIT_STATUS_CONFIG;
}

/* One value of a one-row query, or NULL after reporting (caller frees). */
static char *
query_value(PGconn *conn, const char *label, const char *sql)
{
	PGresult *res = PQexec(conn, sql);
	char *value = NULL;

	if (PQresultStatus(res) == PGRES_TUPLES_OK && PQntuples(res) == 1)
		value = xstrdup(PQgetisnull(res, 0, 0) ? "" : PQgetvalue(res, 0, 0));
	else
		error_report("query on \"%s\" failed: %s", label, PQerrorMessage(conn));
	PQclear(res);
	return value;
}

/*
 * Why the primary cannot take writes (NULL: it can): in recovery, or made
 * read-only (a fence sets default_transaction_read_only).  Either way a
 * replica attached to it would follow a server that is not the shard's
 * primary any more.
 */
static const char *
not_writable(const char *recovery, const char *read_only)
{
	if (strcmp(recovery, "true") == 0)
		return "it is in recovery";
	if (strcmp(read_only, "on") == 0)
		return "it is read-only (default_transaction_read_only is on)";
	return NULL;
}

/* Connect to the primary, check that it is one, and keep its slot for the replica. */
static int
prepare_primary(struct context *c)
{
	const struct topology_server *p = &c->topo->servers[c->primary];
	char *recovery, *read_only;
	const char *why;
	int status = 0;

	c->primary_conn = conn_open(p->conninfo, p->id, c->cfg->credentials_file,
	    c->cfg->connect_timeout, "postgres");
	if (c->primary_conn == NULL)
		return EXIT_STATUS_DOWN;
	recovery = query_value(c->primary_conn, p->id, "SELECT pg_is_in_recovery()::text");
	read_only = query_value(c->primary_conn, p->id,
	    "SELECT current_setting('default_transaction_read_only')");
	c->primary_sysid = query_value(c->primary_conn, p->id,
	    "SELECT system_identifier::text FROM pg_control_system()");
	if (recovery == NULL || read_only == NULL || c->primary_sysid == NULL)
		status = EXIT_STATUS_FAILURE;
	else if ((why = not_writable(recovery, read_only)) != NULL) {
		error_report("server \"%s\" is not a primary: %s", p->id, why);
		if (strcmp(recovery, "true") == 0)
			error_hint("promote it first, or name the shard's primary with --primary");
		else
			error_hint("a fenced primary is read-only: name the shard's new primary with --primary, or, if \"%s\" is to stay primary, ALTER SYSTEM RESET default_transaction_read_only and reload it",
			    p->id);
		status = EXIT_STATUS_MISMATCH;
	} else
		status = replica_slot_ensure(c->primary_conn, p->id, c->slot);
	free(recovery);
	free(read_only);
	return status;
}

/* Superuser over the replica's trusted unix socket. */
static PGconn *
open_replica(const struct context *c)
{
	struct server_spec local = c->spec;
	char *sock = server_socket_directory(c->spec.data_directory);
	char *conninfo;
	PGconn *conn;

	local.host = sock;
	conninfo = server_conninfo(&local);
	conn = conn_open(conninfo, c->id, NULL, c->cfg->connect_timeout, NULL);
	free(conninfo);
	free(sock);
	return conn;
}

/* What the replica is now, as far as the decision goes. */
enum replica_state { STATE_FOREIGN, STATE_OTHER_UPSTREAM, STATE_CONFIGURED };

static int
inspect(struct context *c, enum replica_state *state)
{
	char *recovery, *sysid, *conninfo, *slot;
	int status = 0;

	recovery = query_value(c->replica_conn, c->id, "SELECT pg_is_in_recovery()::text");
	sysid = query_value(c->replica_conn, c->id,
	    "SELECT system_identifier::text FROM pg_control_system()");
	conninfo = query_value(c->replica_conn, c->id, "SELECT current_setting('primary_conninfo')");
	slot = query_value(c->replica_conn, c->id, "SELECT current_setting('primary_slot_name')");
	if (!recovery || !sysid || !conninfo || !slot)
		status = EXIT_STATUS_FAILURE;
	else if (strcmp(recovery, "true") != 0 || strcmp(sysid, c->primary_sysid) != 0)
		*state = STATE_FOREIGN;
	else if (strcmp(conninfo, c->conninfo) != 0 || strcmp(slot, c->slot) != 0)
		*state = STATE_OTHER_UPSTREAM;
	else
		*state = STATE_CONFIGURED;
	free(recovery);
	free(sysid);
	free(conninfo);
	free(slot);
	return status;
}

/* ALTER SYSTEM SET name = 'value' on the replica. */
static int
alter_system(struct context *c, const char *name, const char *value)
{
	char *literal = PQescapeLiteral(c->replica_conn, value, strlen(value)), *sql;
	PGresult *res;
	size_t n;
	int ok;

	if (literal == NULL) {
		error_report("could not quote %s for \"%s\": %s", name, c->id,
		    PQerrorMessage(c->replica_conn));
		return EXIT_STATUS_FAILURE;
	}
	n = strlen(name) + strlen(literal) + 32;
	sql = xmalloc(n);
	snprintf(sql, n, "ALTER SYSTEM SET %s = %s", name, literal);
	PQfreemem(literal);
	res = PQexec(c->replica_conn, sql);
	ok = PQresultStatus(res) == PGRES_COMMAND_OK;
	if (!ok)
		error_report("could not set %s on \"%s\": %s", name, c->id,
		    PQerrorMessage(c->replica_conn));
	PQclear(res);
	free(sql);
	return ok ? 0 : EXIT_STATUS_FAILURE;
}

/* PostgreSQL 15 restarts the WAL receiver on a reload that changes these. */
static int
repoint(struct context *c)
{
	char *reload;

	if (replica_write_passfile(c->spec.data_directory, c->ra, c->cfg->replication_user,
	    c->password) != 0)
		return EXIT_STATUS_FAILURE;
	if (alter_system(c, "primary_conninfo", c->conninfo) != 0 ||
	    alter_system(c, "primary_slot_name", c->slot) != 0)
		return EXIT_STATUS_FAILURE;
	reload = query_value(c->replica_conn, c->id, "SELECT pg_reload_conf()::text");
	free(reload);
	return reload != NULL ? 0 : EXIT_STATUS_FAILURE;
}

/* Where the server's newest log file ended when waiting began. */
struct log_mark {
	char path[4096];
	off_t size;
};

static void
log_newest(const char *dir, struct log_mark *m)
{
	char logdir[4096], full[4096 + 256];
	struct timespec best = { 0, 0 };
	struct dirent *e;
	struct stat st;
	DIR *d;

	m->path[0] = '\0';
	m->size = 0;
	snprintf(logdir, sizeof(logdir), "%s/log", dir);
	if ((d = opendir(logdir)) == NULL)
		return;
	while ((e = readdir(d)) != NULL) {
		snprintf(full, sizeof(full), "%s/%s", logdir, e->d_name);
		if (lstat(full, &st) == 0 && S_ISREG(st.st_mode) && (st.st_mtim.tv_sec > best.tv_sec ||
		    (st.st_mtim.tv_sec == best.tv_sec && st.st_mtim.tv_nsec >= best.tv_nsec))) {
			best = st.st_mtim;
			memcpy(m->path, full, strnlen(full, sizeof(m->path) - 1));
			m->path[strnlen(full, sizeof(m->path) - 1)] = '\0';
			m->size = st.st_size;
		}
	}
	closedir(d);
}

/*
 * The WAL receiver's complaint, logged since mark, that the replica's history
 * cannot continue on the primary's (caller frees), or NULL.
 */
static char *
log_divergence(const char *dir, const struct log_mark *mark)
{
	static const char *const signs[] = { "is not a child of this server's history",
		"is ahead of the WAL flush position", "does not contain minimum recovery point",
		"database system identifier differs", "is not in this server's history",
		"forked off current database system timeline", NULL };
	struct log_mark cur;
	char *text, *line, *save = NULL, *found = NULL;
	size_t len, i;
	FILE *fp;

	log_newest(dir, &cur);
	if (cur.path[0] == '\0' || (fp = fopen(cur.path, "r")) == NULL)
		return NULL;
	if (strcmp(cur.path, mark->path) == 0 && fseeko(fp, mark->size, SEEK_SET) != 0)
		rewind(fp);
	text = file_read_stream(fp, cur.path, &len);
	fclose(fp);
	for (line = text != NULL ? strtok_r(text, "\n", &save) : NULL; line != NULL && !found;
	    line = strtok_r(NULL, "\n", &save))
		for (i = 0; signs[i] != NULL && !found; i++)
			if (strstr(line, signs[i]) != NULL)
				found = xstrdup(line);
	free(text);
	return found;
}

/*
 * Streaming from the primary (not from an upstream it had before), on the
 * primary's timeline?  The WAL receiver shows "streaming" from its start,
 * and one whose history diverged from a promoted primary's streams the old
 * timeline up to the fork at every retry, for a moment; only a replica
 * that can follow the primary ever receives WAL of its current timeline.
 */
static int
streaming(struct context *c, int *yes)
{
	PGresult *res = PQexec(c->primary_conn,
	    "SELECT ('x' || substr(pg_walfile_name(pg_current_wal_lsn()), 1, 8))::bit(32)::bigint::text");
	const char *params[3] = { c->primary_host, c->primary_port, NULL };
	char timeline[32];
	int ok = PQresultStatus(res) == PGRES_TUPLES_OK && PQntuples(res) == 1;

	if (!ok) {
		error_report("could not read the timeline of \"%s\": %s", c->primary_id,
		    PQerrorMessage(c->primary_conn));
		PQclear(res);
		return EXIT_STATUS_FAILURE;
	}
	snprintf(timeline, sizeof(timeline), "%s", PQgetvalue(res, 0, 0));
	params[2] = timeline;
	PQclear(res);
	res = PQexecParams(c->replica_conn,
	    "SELECT count(*) FROM pg_stat_wal_receiver WHERE status = 'streaming'"
	    " AND sender_host = $1 AND sender_port::text = $2 AND received_tli = $3::int",
	    3, NULL, params, NULL, NULL, 0);
	ok = PQresultStatus(res) == PGRES_TUPLES_OK && PQntuples(res) == 1;
	if (ok)
		*yes = strcmp(PQgetvalue(res, 0, 0), "0") != 0;
	else
		error_report("could not read pg_stat_wal_receiver on \"%s\": %s", c->id,
		    PQerrorMessage(c->replica_conn));
	PQclear(res);
	return ok ? 0 : EXIT_STATUS_FAILURE;
}

static int
wait_streaming(struct context *c, const struct log_mark *mark)
{
	double deadline = clock_seconds() + c->req->timeout;
	char *diverged;
	int yes = 0;

	for (;;) {
		if (streaming(c, &yes) != 0)
			return EXIT_STATUS_FAILURE;
		if (yes)
			return 0;
		if ((diverged = log_divergence(c->spec.data_directory, mark)) != NULL) {
			error_report("server \"%s\" cannot follow \"%s\": its history diverged from the primary's",
			    c->id, c->primary_id);
			error_detail("%s", diverged);
			error_hint("a diverged server is never rewound: the orchestrator wipes and re-clones it; by hand, run server-init --wipe on it, then replica-attach");
			free(diverged);
			return EXIT_STATUS_CONFLICT;
		}
		if (clock_seconds() >= deadline)
			break;
		pause_briefly();
	}
	error_report("server \"%s\" was not streaming from \"%s\" within %g seconds", c->id,
	    c->primary_id, c->req->timeout);
	error_hint("see the logs in \"%s/log\"", c->spec.data_directory);
	return EXIT_STATUS_TIMEOUT;
}

/* Exclusive lock on the data directory's parent, as server-init takes it. */
static int
lock_parent(const char *dir)
{
	char *parent = xstrdup(dir), *slash = strrchr(parent, '/');
	int fd;

	if (slash != NULL)
		*(slash == parent ? slash + 1 : slash) = '\0';
	fd = open(parent, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0 || flock(fd, LOCK_EX) != 0) {
		error_report("could not lock directory \"%s\": %s", parent, strerror(errno));
		if (fd >= 0)
			close(fd);
		fd = -1;
	}
	free(parent);
	return fd;
}

/*
 * Before a clone: the replica's slot must be free for pg_basebackup.  A
 * walsender of a killed earlier run, or of the server being replaced, may
 * hold it for a moment; one that lingers is terminated, as nothing else may
 * use this replica's slot.
 */
static int
release_slot(struct context *c)
{
	const char *params[] = { c->slot };
	double start = clock_seconds(), deadline = start + c->req->timeout;
	PGresult *res;
	char *pid;

	for (;;) {
		res = PQexecParams(c->primary_conn, "SELECT active_pid::text FROM pg_replication_slots"
		    " WHERE slot_name = $1 AND active_pid IS NOT NULL", 1, NULL, params, NULL, NULL, 0);
		if (PQresultStatus(res) != PGRES_TUPLES_OK) {
			error_report("could not read replication slot \"%s\" on \"%s\": %s", c->slot,
			    c->primary_id, PQerrorMessage(c->primary_conn));
			PQclear(res);
			return EXIT_STATUS_FAILURE;
		}
		pid = PQntuples(res) == 1 ? xstrdup(PQgetvalue(res, 0, 0)) : NULL;
		PQclear(res);
		if (pid == NULL)
			return 0;
		if (clock_seconds() >= deadline) {
			error_report("replication slot \"%s\" on \"%s\" was still in use by process %s after %g seconds",
			    c->slot, c->primary_id, pid, c->req->timeout);
			free(pid);
			return EXIT_STATUS_TIMEOUT;
		}
		if (clock_seconds() - start > 2) {
			params[0] = pid;
			PQclear(PQexecParams(c->primary_conn, "SELECT pg_terminate_backend($1::int)", 1,
			    NULL, params, NULL, NULL, 0));
			params[0] = c->slot;
		}
		free(pid);
		pause_briefly();
	}
}

/* Bring the replica to streaming from the primary; *action says how. */
static int
converge(struct context *c, const char **action)
{
	const char *dir = c->spec.data_directory;
	struct replica_link link = { c->conninfo, c->slot, c->password, c->cfg->replication_user,
	    c->primary_id };
	enum replica_state state = STATE_FOREIGN;
	struct log_mark mark;
	int status;

	/* A server that will not start is cloned over: its data is to be replaced anyway. */
	if (replica_server_start(dir, c->cfg, c->ra, c->req->timeout) == 0 &&
	    (c->replica_conn = open_replica(c)) != NULL) {
		status = inspect(c, &state);
		if (status == 0 && state != STATE_CONFIGURED)
			status = replica_former_find(c->replica_conn, c->id, c->topo, &c->former);
		if (status != 0)
			return status;
	} else
		error_warning("cloning \"%s\" from \"%s\" over a server that does not start",
		    c->id, c->primary_id);
	log_newest(dir, &mark);
	if (state == STATE_FOREIGN) {
		*action = "cloned";
		if (c->replica_conn != NULL) {
			PQfinish(c->replica_conn);
			c->replica_conn = NULL;
		}
		status = replica_server_stop(dir, c->cfg, c->ra, c->req->timeout) != 0 ?
		    EXIT_STATUS_FAILURE : release_slot(c);
		if (status == 0)
			status = replica_clone(&c->spec, &link, c->cfg, c->ra);
		if (status != 0)
			return status;
		if ((c->replica_conn = open_replica(c)) == NULL)
			return EXIT_STATUS_FAILURE;
		log_newest(dir, &mark);
		mark.size = 0;  /* the clone's log is all new */
	} else if (state == STATE_OTHER_UPSTREAM) {
		*action = "repointed";
		if ((status = repoint(c)) != 0)
			return status;
	} else
		*action = "unchanged";
	return wait_streaming(c, &mark);
}

int
replica_attach(const struct topology *topo, const struct replica_request *req,
    const struct config *cfg, const struct runas *ra, struct replica_result *res)
{
	struct context c = { .topo = topo, .req = req, .cfg = cfg, .ra = ra,
		.former = { .server = -1 } };
	const char *action = NULL;
	char *passfile = NULL, *lsn = NULL, *names = NULL, why[256];
	char *former_server = NULL, *former_result = NULL;
	int status, lock = -1;

	memset(res, 0, sizeof(*res));
	if ((status = resolve(&c)) != 0)
		return status;
	if (conninfo_inspect(topo->servers[c.primary].conninfo, c.primary_host,
	    sizeof(c.primary_host), c.primary_port, sizeof(c.primary_port), why, sizeof(why)) != 0) {
		error_report("invalid conninfo for \"%s\": %s", c.primary_id, why);
		return EXIT_STATUS_INPUT;
	}
	c.slot = replica_slot_name(c.id);
	if ((lock = lock_parent(topo->servers[c.server].data_directory)) < 0) {
		status = EXIT_STATUS_FAILURE;
		goto out;
	}
	/* A swap cut short leaves DATADIR absent: finish it before reading the record. */
	if (replica_recover(topo->servers[c.server].data_directory, cfg, ra, req->timeout) != 0) {
		status = EXIT_STATUS_FAILURE;
		goto out;
	}
	if ((status = load_spec(&c)) != 0 || (status = load_password(&c)) != 0)
		goto out;
	passfile = replica_passfile_path(c.spec.data_directory);
	c.conninfo = replica_link_conninfo(topo->servers[c.primary].conninfo,
	    cfg->replication_user, c.id, passfile, why, sizeof(why));
	if (c.conninfo == NULL) {
		error_report("invalid conninfo for \"%s\": %s", c.primary_id, why);
		status = EXIT_STATUS_INPUT;
		goto out;
	}
	if ((status = prepare_primary(&c)) != 0 || (status = converge(&c, &action)) != 0)
		goto out;
	lsn = query_value(c.replica_conn, c.id, "SELECT pg_last_wal_replay_lsn()::text");
	names = replica_sync_names(topo, topo->servers[c.server].shard, c.primary,
	    req->sync_count);
	if (lsn == NULL || (status = replica_sync_apply(c.primary_conn, c.primary_id, names)) != 0) {
		status = EXIT_STATUS_FAILURE;
		goto out;
	}
	/*
	 * Only now: until the replica streams from its primary, the old slot is
	 * its way back; and last, so a failover's essentials come first.
	 */
	if (c.former.host[0] != '\0' && c.former.server != c.primary && c.former.server != c.server) {
		replica_former_release(topo, &c.former, c.id, c.slot, cfg, req->timeout);
		former_server = c.former.server >= 0 ? xstrdup(topo->servers[c.former.server].id) :
		    NULL;
		former_result = xstrdup(c.former.result);
	}
	res->server = xstrdup(c.id);
	res->primary = xstrdup(c.primary_id);
	res->slot = xstrdup(c.slot);
	res->action = xstrdup(action);
	res->lsn = lsn;
	res->sync_names = names;
	res->former_server = former_server;
	res->former_result = former_result;
	lsn = names = former_server = former_result = NULL;
out:
	if (lock >= 0)
		close(lock);
	free(passfile);
	free(lsn);
	free(names);
	free(former_server);
	free(former_result);
	context_free(&c);
	return status;
}

json_t *
replica_result_json(const struct replica_result *res)
{
	json_t *former = res->former_result == NULL ? json_null() :
	    json_pack("{s:s?, s:s, s:s}", "server", res->former_server, "slot", res->slot,
	    "result", res->former_result);

	return json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:o}", "server", res->server,
	    "primary", res->primary, "slot", res->slot, "state", "streaming",
	    "action", res->action, "lsn", res->lsn,
	    "synchronous_standby_names", res->sync_names, "former_upstream", former);
}

void
replica_result_free(struct replica_result *res)
{
	free(res->server);
	free(res->primary);
	free(res->slot);
	free(res->action);
	free(res->lsn);
	free(res->sync_names);
	free(res->former_server);
	free(res->former_result);
	memset(res, 0, sizeof(*res));
}
