/* conn.c -- libpq connection parameters, written once and used everywhere */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libpq-fe.h>

#include "conn.h"
#include "error.h"

void
conn_error_line(const char *message, char *out, size_t outlen)
{
	size_t n;

	if (message == NULL)
		message = "";
	/* libpq prefixes some messages with "connection to server ... failed: " */
	n = strcspn(message, "\n");
	if (n >= outlen)
		n = outlen - 1;
	memcpy(out, message, n);
	out[n] = '\0';
}

static int
option_set(PQconninfoOption *opts, const char *keyword)
{
	PQconninfoOption *o;

	for (o = opts; o->keyword != NULL; o++)
		if (strcmp(o->keyword, keyword) == 0)
			return o->val != NULL && o->val[0] != '\0';
	return 0;
}

int
conn_params_init(struct conn_params *params, const char *conninfo,
    const char *passfile, double connect_timeout, const char *dbname_override,
    char *errbuf, size_t errlen)
{
	PQconninfoOption *o;
	char *err = NULL;
	size_t n = 0, i = 0;

	memset(params, 0, sizeof(*params));
	params->parsed = PQconninfoParse(conninfo, &err);
	if (params->parsed == NULL) {
		conn_error_line(err != NULL ? err : "out of memory", errbuf, errlen);
		PQfreemem(err);
		return -1;
	}
	for (o = params->parsed; o->keyword != NULL; o++)
		n++;
	params->keywords = xcalloc(n + 5, sizeof(char *));
	params->values = xcalloc(n + 5, sizeof(char *));
	for (o = params->parsed; o->keyword != NULL; o++) {
		if (o->val == NULL || o->val[0] == '\0')
			continue;
		if (dbname_override != NULL && strcmp(o->keyword, "dbname") == 0)
			continue;
		params->keywords[i] = o->keyword;
		params->values[i] = o->val;
		i++;
	}
	if (dbname_override != NULL) {
		params->keywords[i] = "dbname";
		params->values[i++] = dbname_override;
	}
	if (passfile != NULL && !option_set(params->parsed, "passfile")) {
		params->keywords[i] = "passfile";
		params->values[i++] = passfile;
	}
	if (connect_timeout > 0 && !option_set(params->parsed, "connect_timeout")) {
		int secs = (int)(connect_timeout + 0.999);

		/* libpq's connect_timeout is whole seconds with a floor of 2. */
		params->timeout_text = xmalloc(16);
		snprintf(params->timeout_text, 16, "%d", secs < 2 ? 2 : secs);
		params->keywords[i] = "connect_timeout";
		params->values[i++] = params->timeout_text;
	}
	params->keywords[i] = "fallback_application_name";
	params->values[i++] = error_program();
	params->keywords[i] = NULL;
	params->values[i] = NULL;
	return 0;
}

void
conn_params_free(struct conn_params *params)
{
	if (params->parsed != NULL)
		PQconninfoFree(params->parsed);
	free(params->keywords);
	free(params->values);
	free(params->timeout_text);
	memset(params, 0, sizeof(*params));
}

PGconn *
conn_open(const char *conninfo, const char *label, const char *passfile,
    double connect_timeout, const char *dbname_override)
{
	struct conn_params params;
	char why[512];
	PGconn *conn;

	if (conn_params_init(&params, conninfo, passfile, connect_timeout,
	    dbname_override, why, sizeof(why)) != 0) {
		error_report("invalid connection string for \"%s\": %s", label, why);
		return NULL;
	}
	conn = PQconnectdbParams(params.keywords, params.values, 0);
	conn_params_free(&params);
	if (conn == NULL || PQstatus(conn) != CONNECTION_OK) {
		conn_error_line(conn != NULL ? PQerrorMessage(conn) : "out of memory",
		    why, sizeof(why));
		error_report("could not connect to \"%s\": %s", label, why);
		PQfinish(conn);
		return NULL;
	}
	return conn;
}

int
conninfo_inspect(const char *conninfo, char *host, size_t hostlen,
    char *port, size_t portlen, char *errbuf, size_t errlen)
{
	PQconninfoOption *opts, *o;
	char *err = NULL;

	opts = PQconninfoParse(conninfo, &err);
	if (opts == NULL) {
		conn_error_line(err != NULL ? err : "out of memory", errbuf, errlen);
		PQfreemem(err);
		return -1;
	}
	snprintf(host, hostlen, "%s", "");
	snprintf(port, portlen, "%s", "5432");
	for (o = opts; o->keyword != NULL; o++) {
		if (o->val == NULL || o->val[0] == '\0')
			continue;
		if (strcmp(o->keyword, "password") == 0) {
			snprintf(errbuf, errlen,
			    "a password is not allowed in a conninfo (use a passfile)");
			PQconninfoFree(opts);
			return -1;
		}
		if (strcmp(o->keyword, "host") == 0 || (strcmp(o->keyword, "hostaddr") == 0 && host[0] == '\0'))
			snprintf(host, hostlen, "%s", o->val);
		else if (strcmp(o->keyword, "port") == 0)
			snprintf(port, portlen, "%s", o->val);
	}
	PQconninfoFree(opts);
	return 0;
}
