/* serverroles.c -- the passwords of a provisioned server's two roles
 *
 * Passwords come from shardkit.conf (replication_password) or from the libpq
 * password file it names (credentials_file), looked up exactly as clients
 * will look them up later.  They are turned into SCRAM verifiers here, with
 * PQencryptPasswordConn, so no clear password is ever sent to the server,
 * where a log_statement setting could write it to a log file.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libpq-fe.h>

#include "config.h"
#include "conn.h"
#include "error.h"
#include "passfile.h"
#include "server.h"

void
server_secrets_free(struct server_secrets *s)
{
	passfile_free_password(s->admin);
	passfile_free_password(s->replication);
	memset(s, 0, sizeof(*s));
}

static void
hint_passfile(const struct server_spec *spec, const char *dbname, const char *user)
{
	error_hint("add a line \"%s:%d:%s:%s:PASSWORD\" to the password file named by credentials_file in shardkit.conf (mode 0600)",
	    spec->host, spec->port, dbname, user);
}

/* A password from the passfile, or a reported error; "" counts as none. */
static int
lookup_password(const struct server_spec *spec, const struct config *cfg,
    const char *dbname, const char *user, char **password)
{
	char port[16];

	*password = NULL;
	snprintf(port, sizeof(port), "%d", spec->port);
	if (cfg->credentials_file != NULL &&
	    passfile_lookup(cfg->credentials_file, spec->host, port, dbname, user, password) != 0)
		return -1;
	if (*password != NULL && (*password)[0] == '\0') {
		passfile_free_password(*password);
		*password = NULL;
	}
	if (*password != NULL)
		return 0;
	if (cfg->credentials_file == NULL)
		error_report("no password for user \"%s\": credentials_file is not set in %s",
		    user, cfg->path != NULL ? cfg->path : "shardkit.conf (none was read)");
	else
		error_report("no password for user \"%s\" at %s:%d in password file \"%s\"",
		    user, spec->host, spec->port, cfg->credentials_file);
	hint_passfile(spec, dbname, user);
	return -1;
}

int
server_secrets_load(const struct server_spec *spec, const struct config *cfg,
    struct server_secrets *s)
{
	memset(s, 0, sizeof(*s));
	if (lookup_password(spec, cfg, "postgres", spec->user, &s->admin) != 0)
		return EXIT_STATUS_CONFIG;
	if (cfg->replication_password != NULL && cfg->replication_password[0] != '\0') {
		s->replication = xstrdup(cfg->replication_password);
		return 0;
	}
	if (lookup_password(spec, cfg, "replication", spec->replication_user, &s->replication) != 0) {
		server_secrets_free(s);
		return EXIT_STATUS_CONFIG;
	}
	return 0;
}

static int
exec_ok(PGconn *conn, const char *sql, const char *what)
{
	PGresult *res = PQexec(conn, sql);
	char why[512];
	int ok = PQresultStatus(res) == PGRES_COMMAND_OK;

	if (!ok) {
		conn_error_line(PQerrorMessage(conn), why, sizeof(why));
		error_report("could not %s: %s", what, why);
	}
	PQclear(res);
	return ok ? 0 : -1;
}

/*
 * Create or alter role with a SCRAM verifier computed here, so the clear
 * password never travels to the server or into its logs.
 */
static int
set_password(PGconn *conn, const char *role, const char *password, int create,
    const char *attributes)
{
	char *verifier, *ident = NULL, *literal = NULL, *sql = NULL, what[128];
	char why[512];
	size_t n;
	int rc = -1;

	verifier = PQencryptPasswordConn(conn, password, role, "scram-sha-256");
	if (verifier == NULL) {
		conn_error_line(PQerrorMessage(conn), why, sizeof(why));
		error_report("could not encrypt the password of role \"%s\": %s", role, why);
		return -1;
	}
	ident = PQescapeIdentifier(conn, role, strlen(role));
	literal = PQescapeLiteral(conn, verifier, strlen(verifier));
	if (ident != NULL && literal != NULL) {
		n = strlen(ident) + strlen(literal) + strlen(attributes) + 64;
		sql = xmalloc(n);
		snprintf(sql, n, "%s ROLE %s %s PASSWORD %s", create ? "CREATE" : "ALTER",
		    ident, attributes, literal);
		snprintf(what, sizeof(what), "set the password of role \"%s\"", role);
		rc = exec_ok(conn, sql, what);
	}
	PQfreemem(verifier);
	PQfreemem(ident);
	PQfreemem(literal);
	free(sql);
	return rc;
}

/* 1 when the query's single value is "t", 0 when "f" or no row, -1 on error. */
static int
query_bool(PGconn *conn, const char *sql, const char *param)
{
	PGresult *res = PQexecParams(conn, sql, param != NULL ? 1 : 0, NULL, &param,
	    NULL, NULL, 0);
	char why[512];
	int value = -1;

	if (PQresultStatus(res) == PGRES_TUPLES_OK)
		value = PQntuples(res) > 0 && strcmp(PQgetvalue(res, 0, 0), "t") == 0;
	else {
		conn_error_line(PQerrorMessage(conn), why, sizeof(why));
		error_report("query failed: %s", why);
	}
	PQclear(res);
	return value;
}

int
server_set_up_roles(const struct server_spec *spec, const struct config *cfg,
    const char *conninfo, const struct server_secrets *secrets)
{
	PGconn *conn = conn_open(conninfo, spec->id, NULL, cfg->connect_timeout, NULL);
	int standby, exists_already, rc = -1;

	if (conn == NULL)
		return EXIT_STATUS_FAILURE;
	standby = query_bool(conn, "SELECT pg_is_in_recovery()", NULL);
	if (standby == 1)
		rc = 0;  /* read-only: its roles come from its primary */
	else if (standby == 0 &&
	    set_password(conn, spec->user, secrets->admin, 0, "") == 0) {
		exists_already = query_bool(conn,
		    "SELECT true FROM pg_catalog.pg_roles WHERE rolname = $1",
		    spec->replication_user);
		if (exists_already >= 0)
			rc = set_password(conn, spec->replication_user, secrets->replication,
			    !exists_already, "REPLICATION LOGIN");
	}
	PQfinish(conn);
	return rc == 0 ? 0 : EXIT_STATUS_FAILURE;
}
