/* serverconf.c -- the files server-init keeps in a data directory
 *
 * pg_hba.conf is replaced whole: trust only on the unix socket, whose
 * directory (mode 0700) only the server's user and root can enter, and
 * SCRAM for every TCP connection, replication included.  The toolkit's
 * settings live in their own file included from postgresql.conf, so an
 * operator's postgresql.conf edits and ALTER SYSTEM (postgresql.auto.conf,
 * read last) keep working.  The settings record is JSON, written last: a
 * rerun compares its request with it field by field and names the first
 * difference.
 */

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <jansson.h>

#include "error.h"
#include "file.h"
#include "json.h"
#include "server.h"
#include "topology.h"

#define INCLUDE_LINE "include = '" SERVER_CONF_FILE "'"

/* A growing string, for the files and the conninfo. */
struct text {
	char *data;
	size_t len, cap;
};

static void
text_add(struct text *t, const char *s, size_t n)
{
	if (t->len + n + 1 > t->cap) {
		t->cap = (t->len + n + 1) * 2;
		t->data = xrealloc(t->data, t->cap);
	}
	memcpy(t->data + t->len, s, n);
	t->len += n;
	t->data[t->len] = '\0';
}

static void
text_puts(struct text *t, const char *s)
{
	text_add(t, s, strlen(s));
}

/* s between quote characters, each quote or backslash escaped with escape. */
static void
text_quoted(struct text *t, const char *s, const char *escape)
{
	text_puts(t, "'");
	for (; *s != '\0'; s++) {
		if (*s == '\'' || *s == '\\')
			text_puts(t, escape);
		text_add(t, s, 1);
	}
	text_puts(t, "'");
}

char *
server_socket_directory(const char *data_directory)
{
	size_t n = strlen(data_directory) + sizeof(".socket");
	char *path = xmalloc(n);

	snprintf(path, n, "%s.socket", data_directory);
	return path;
}

/* "DIR/NAME", caller frees. */
static char *
path_in(const char *dir, const char *name)
{
	size_t n = strlen(dir) + strlen(name) + 2;
	char *path = xmalloc(n);

	snprintf(path, n, "%s/%s", dir, name);
	return path;
}

char *
server_conninfo(const struct server_spec *spec)
{
	const char *keys[] = { "host", "port", "dbname", "user" };
	char port[16];
	const char *values[4];
	struct text t = { 0 };
	size_t i;

	snprintf(port, sizeof(port), "%d", spec->port);
	values[0] = spec->host;
	values[1] = port;
	values[2] = "postgres";
	values[3] = spec->user;
	for (i = 0; i < 4; i++) {
		if (i > 0)
			text_puts(&t, " ");
		text_puts(&t, keys[i]);
		text_puts(&t, "=");
		/* libpq's conninfo syntax: quote empty values and any with a space. */
		if (values[i][0] == '\0' || strpbrk(values[i], " \t\n\r\f\v'\\") != NULL)
			text_quoted(&t, values[i], "\\");
		else
			text_puts(&t, values[i]);
	}
	return t.data;
}

json_t *
server_entry(const struct server_spec *spec)
{
	struct topology topo;
	char *conninfo = server_conninfo(spec);
	json_t *entry;
	int i;

	/* Rendered by topology.c, so the entry has exactly the topology's shape. */
	memset(&topo, 0, sizeof(topo));
	i = topology_add_server(&topo, spec->id, conninfo, spec->zone);
	topo.servers[i].state = SERVER_UP;
	topo.servers[i].data_directory = xstrdup(spec->data_directory);
	entry = topology_server_json(&topo, (size_t)i);
	topology_free(&topo);
	free(conninfo);
	return entry;
}

static int
write_text(const char *dir, const char *name, const struct text *t)
{
	char *path = path_in(dir, name);
	int rc = file_write_atomic(path, t->data, t->len, 0600);

	free(path);
	return rc;
}

static int
write_hba(const char *dir)
{
	struct text t = { 0 };
	int rc;

	text_puts(&t,
	    "# pg_hba.conf -- written by server-init (shardkit); rerunning it does not\n"
	    "# touch this file again.\n"
	    "#\n"
	    "# Unix socket: trusted, because its directory (mode 0700) admits only the\n"
	    "# server's user and root.  TCP: SCRAM only, replication included.\n"
	    "local   all           all                 trust\n"
	    "local   replication   all                 trust\n"
	    "host    all           all     all         scram-sha-256\n"
	    "host    replication   all     all         scram-sha-256\n");
	rc = write_text(dir, "pg_hba.conf", &t);
	free(t.data);
	return rc;
}

static void
setting(struct text *t, const char *name, const char *value, int quote)
{
	text_puts(t, name);
	text_puts(t, " = ");
	if (quote)
		text_quoted(t, value, "'");
	else
		text_puts(t, value);
	text_puts(t, "\n");
}

static int
write_settings(const char *dir, const struct server_spec *spec)
{
	struct text t = { 0 };
	char port[16];
	char *socket_dir = server_socket_directory(spec->data_directory);
	int rc;

	snprintf(port, sizeof(port), "%d", spec->port);
	text_puts(&t,
	    "# " SERVER_CONF_FILE " -- written by server-init (shardkit), included from\n"
	    "# postgresql.conf.  The toolkit relies on these settings: to change them,\n"
	    "# wipe the server (server-init --wipe) and provision it again.\n");
	setting(&t, "cluster_name", spec->id, 1);
	setting(&t, "listen_addresses", spec->listen_address, 1);
	setting(&t, "port", port, 0);
	setting(&t, "unix_socket_directories", socket_dir, 1);
	setting(&t, "password_encryption", "scram-sha-256", 1);
	text_puts(&t, "# Replication: physical replicas, logical decoding for shard moves.\n");
	setting(&t, "wal_level", "logical", 0);
	setting(&t, "max_wal_senders", "16", 0);
	setting(&t, "max_replication_slots", "16", 0);
	setting(&t, "hot_standby", "on", 0);
	/*
	 * How soon a standby retries its upstream after its WAL receiver ended
	 * (default 5s).  A primary that restarts gets its synchronous standbys
	 * back only then, and its commits wait meanwhile; a re-point by reload
	 * is not delayed by it (bench/bench-repoint).  And PostgreSQL 15
	 * finishes a promotion requested during that pause only once it has
	 * elapsed: at 5s one failover in two took 5 s longer, hence 200ms, not
	 * 1s (tests/integration/orchestrator.bats, man/orchestrator.1).
	 */
	setting(&t, "wal_retrieve_retry_interval", "200ms", 1);
	/*
	 * pg_rewind needs hint bits logged (checksums imply it anyway).  The
	 * toolkit itself never rewinds: a diverged server is wiped and
	 * re-cloned; this only keeps pg_rewind open to an operator.
	 */
	setting(&t, "wal_log_hints", "on", 0);
	setting(&t, "logging_collector", "on", 0);
	setting(&t, "log_directory", "log", 1);
	rc = write_text(dir, SERVER_CONF_FILE, &t);
	free(t.data);
	free(socket_dir);
	return rc;
}

/* Append the include line to postgresql.conf, once. */
static int
write_include(const char *dir)
{
	char *path = path_in(dir, "postgresql.conf");
	struct text t = { 0 };
	char *old;
	FILE *fp;
	size_t len;
	int rc = -1;

	fp = fopen(path, "r");
	if (fp == NULL) {
		error_report("could not open \"%s\": %s", path, strerror(errno));
		free(path);
		return -1;
	}
	old = file_read_stream(fp, path, &len);
	fclose(fp);
	if (old == NULL)
		goto out;
	text_add(&t, old, len);
	if (strstr(old, "\n" INCLUDE_LINE "\n") == NULL) {
		if (len > 0 && old[len - 1] != '\n')
			text_puts(&t, "\n");
		/* "include", not include_if_exists: a lost file must stop the server
		 * from starting on port 5432 with no replication settings. */
		text_puts(&t, "\n# shardkit: the toolkit's settings (server-init)\n" INCLUDE_LINE "\n");
	}
	rc = file_write_atomic(path, t.data, t.len, 0600);
out:
	free(old);
	free(t.data);
	free(path);
	return rc;
}

static int
write_record(const char *dir, const struct server_spec *spec)
{
	char *path = path_in(dir, SERVER_RECORD_FILE);
	json_t *doc;
	int rc;

	doc = json_pack("{s:s, s:s, s:s, s:s, s:i, s:s, s:s, s:s}",
	    "format", SERVER_RECORD_FORMAT, "id", spec->id, "zone", spec->zone,
	    "host", spec->host, "port", spec->port,
	    "listen_address", spec->listen_address, "user", spec->user,
	    "replication_user", spec->replication_user);
	rc = json_document_save(doc, path, 0600);
	json_decref(doc);
	free(path);
	return rc;
}

int
server_write_config(const char *dir, const struct server_spec *spec)
{
	char *log_dir = path_in(dir, "log");
	int rc = 0;

	if (mkdir(log_dir, 0700) != 0 && errno != EEXIST) {
		error_report("could not create \"%s\": %s", log_dir, strerror(errno));
		rc = -1;
	}
	free(log_dir);
	if (rc != 0 || write_hba(dir) != 0 || write_settings(dir, spec) != 0 ||
	    write_include(dir) != 0)
		return -1;
	/* Last: a record means every file above is in place. */
	return write_record(dir, spec);
}

/* Compare one string field; 0 when equal, else report and return 1. */
static int
differs_string(json_t *doc, const char *dir, const char *key, const char *what,
    const char *want)
{
	const char *have = json_string_value(json_object_get(doc, key));

	if (have != NULL && strcmp(have, want) == 0)
		return 0;
	error_report("data directory \"%s\" was provisioned with %s \"%s\", not \"%s\"",
	    dir, what, have != NULL ? have : "?", want);
	return 1;
}

int
server_check_record(const char *dir, const struct server_spec *spec)
{
	char *path = path_in(dir, SERVER_RECORD_FILE);
	const char *format;
	json_t *doc, *port;
	int status;

	status = json_document_load(path, &doc);
	if (status != 0) {
		free(path);
		return EXIT_STATUS_FAILURE;
	}
	format = json_string_value(json_object_get(doc, "format"));
	port = json_object_get(doc, "port");
	if (format == NULL || strcmp(format, SERVER_RECORD_FORMAT) != 0 || !json_is_integer(port)) {
		error_report("%s: not a server-init settings record (format \"%s\")", path,
		    SERVER_RECORD_FORMAT);
		status = EXIT_STATUS_FAILURE;
	} else if (json_integer_value(port) != spec->port) {
		error_report("data directory \"%s\" was provisioned with port %lld, not %d",
		    dir, (long long)json_integer_value(port), spec->port);
		status = EXIT_STATUS_CONFLICT;
	} else if (differs_string(doc, dir, "id", "id", spec->id) ||
	    differs_string(doc, dir, "zone", "zone", spec->zone) ||
	    differs_string(doc, dir, "host", "host", spec->host) ||
	    differs_string(doc, dir, "listen_address", "listen address", spec->listen_address) ||
	    differs_string(doc, dir, "user", "user", spec->user) ||
	    differs_string(doc, dir, "replication_user", "replication user", spec->replication_user))
		status = EXIT_STATUS_CONFLICT;
	if (status == EXIT_STATUS_CONFLICT)
		error_hint("rerun with the settings it was provisioned with, or wipe it first: server-init --wipe -D \"%s\"",
		    dir);
	json_decref(doc);
	free(path);
	return status;
}

int
server_record_read(const char *path, struct server_spec *spec, json_t **record)
{
	const char *format;
	json_t *doc;
	int status;

	*record = NULL;
	if ((status = json_document_load(path, &doc)) != 0)
		return EXIT_STATUS_FAILURE;
	memset(spec, 0, sizeof(*spec));
	format = json_string_value(json_object_get(doc, "format"));
	spec->id = json_string_value(json_object_get(doc, "id"));
	spec->zone = json_string_value(json_object_get(doc, "zone"));
	spec->host = json_string_value(json_object_get(doc, "host"));
	spec->listen_address = json_string_value(json_object_get(doc, "listen_address"));
	spec->user = json_string_value(json_object_get(doc, "user"));
	spec->replication_user = json_string_value(json_object_get(doc, "replication_user"));
	spec->port = (int)json_integer_value(json_object_get(doc, "port"));
	if (format == NULL || strcmp(format, SERVER_RECORD_FORMAT) != 0 || !spec->id ||
	    !spec->zone || !spec->host || !spec->listen_address || !spec->user ||
	    !spec->replication_user || spec->port <= 0 || spec->port > 65535) {
		error_report("%s: not a server-init settings record (format \"%s\")", path,
		    SERVER_RECORD_FORMAT);
		json_decref(doc);
		return EXIT_STATUS_FAILURE;
	}
	*record = doc;
	return 0;
}
