/* conn.h -- libpq connection parameters, written once and used everywhere */
#ifndef SHARDKIT_CONN_H
#define SHARDKIT_CONN_H

#include <libpq-fe.h>

/*
 * Keyword/value arrays for PQconnectdbParams/PQconnectStartParams, built
 * from a conninfo string or URI (PQconninfoParse) merged with defaults:
 * fallback_application_name is the program's name, connect_timeout and
 * passfile come from the configuration unless the conninfo sets them.
 * Everything else, TLS settings included, is passed through untouched.
 */
struct conn_params {
	const char **keywords;
	const char **values;
	PQconninfoOption *parsed;   /* owns the strings of conninfo's options */
	char *timeout_text;
};

/*
 * Fill params.  passfile may be NULL; connect_timeout <= 0 leaves libpq's
 * default.  dbname_override, when not NULL, replaces the conninfo's dbname
 * (server-init connects to "postgres").  Returns 0, or -1 with a message in
 * errbuf (the conninfo itself is never echoed: it could hold a secret).
 */
int conn_params_init(struct conn_params *params, const char *conninfo,
    const char *passfile, double connect_timeout, const char *dbname_override,
    char *errbuf, size_t errlen);
void conn_params_free(struct conn_params *params);

/*
 * Blocking connect; on failure reports "could not connect to LABEL: why"
 * and returns NULL.  label names the server in messages (its id).
 */
PGconn *conn_open(const char *conninfo, const char *label, const char *passfile,
    double connect_timeout, const char *dbname_override);

/* The first line of a libpq error message, without its trailing newline. */
void conn_error_line(const char *message, char *out, size_t outlen);

/*
 * Inspect a conninfo for the topology's rules: it must parse, must not
 * carry a password, and its host and port identify the server.  Returns 0
 * and fills host/port (port "5432" when absent), or -1 with why in errbuf.
 */
int conninfo_inspect(const char *conninfo, char *host, size_t hostlen,
    char *port, size_t portlen, char *errbuf, size_t errlen);

#endif
