/* server.h -- provisioning one PostgreSQL 15 server for shardkit
 *
 * A provisioned server is a data directory made by initdb (data checksums,
 * SCRAM for TCP, trust only on a unix socket in a 0700 directory), with the
 * toolkit's settings in an include file, a settings record that later runs
 * compare against, a started postmaster, and two roles with passwords set
 * from shardkit's credentials: the bootstrap superuser named in the
 * conninfo and the replication role.
 *
 * Around DATADIR live only names derived from it: DATADIR.initdb.tmp (a
 * data directory being built; renamed to DATADIR when complete, so DATADIR
 * never exists half made), DATADIR.wipe.tmp (a data directory being
 * removed), DATADIR.socket (the socket directory), and replica-attach's
 * DATADIR.clone.tmp, DATADIR.clone.new and DATADIR.old.tmp (replica.h).
 */
#ifndef SHARDKIT_SERVER_H
#define SHARDKIT_SERVER_H

#include <jansson.h>

#include "config.h"
#include "runas.h"

/* Files server-init keeps in a data directory. */
#define SERVER_CONF_FILE "shardkit-server.conf"    /* included by postgresql.conf */
#define SERVER_RECORD_FILE "shardkit-server.json"  /* the settings it was made with */
#define SERVER_RECORD_FORMAT "shardkit-server/1"

/* What a server is asked to be; every string is required ("" for no zone). */
struct server_spec {
	const char *id;               /* server id in the topology */
	const char *zone;             /* failure domain, "" when none */
	const char *data_directory;   /* absolute (server_data_directory) */
	const char *host;             /* host clients use: the conninfo's */
	const char *listen_address;   /* listen_addresses */
	int port;
	const char *user;             /* bootstrap superuser, in the conninfo */
	const char *replication_user; /* config replication_user */
	double timeout;               /* seconds to wait for a start or a stop */
};

/*
 * The absolute, canonical form of a data directory argument (caller frees):
 * the longest existing part of its parent through realpath(), the rest as
 * written, so it reads the same before and after provisioning creates the
 * missing parents (mode 0755, given to the server's user).  The last
 * component must be a name, not "", "." or "..".  Returns NULL after
 * reporting.
 */
char *server_data_directory(const char *arg);

/*
 * Provision spec: create the data directory (initdb into
 * DATADIR.initdb.tmp, configure, rename) or check that an existing one was
 * made with the same settings, start the server unless it runs, wait until
 * it accepts connections and set the passwords (not on a standby: roles are
 * replicated from its primary).  Every step is idempotent, so a rerun after
 * an interruption at any point converges.  Passwords come from cfg (see
 * shardkit.conf(5)) and are never printed or sent in clear text.
 * Returns an exit status: 0; EXIT_STATUS_CONFIG for missing credentials;
 * EXIT_STATUS_CONFLICT when DATADIR holds other settings or something
 * other than a server-init data directory; EXIT_STATUS_FAILURE otherwise.
 */
int server_provision(const struct server_spec *spec, const struct config *cfg,
    const struct runas *ra);

/*
 * Stop the server in data_directory (fast, then immediate) and remove the
 * directory with its socket directory and leftovers.  A directory that does
 * not exist is already wiped (0).  A directory that is not a PostgreSQL data
 * directory is never removed (EXIT_STATUS_CONFLICT), nor one whose server
 * does not stop (EXIT_STATUS_FAILURE).  Returns an exit status.
 */
int server_wipe(const char *data_directory, const struct config *cfg,
    const struct runas *ra, double timeout);

/*
 * The conninfo clients use: "host=H port=P dbname=postgres user=U", values
 * quoted where libpq needs it; never a password.  Caller frees.
 */
char *server_conninfo(const struct server_spec *spec);

/* The server's topology entry: id, conninfo, zone, state "up", data_directory. */
json_t *server_entry(const struct server_spec *spec);

/*
 * Write the toolkit's files into the data directory dir (pg_hba.conf,
 * SERVER_CONF_FILE, the include line in postgresql.conf, the log directory,
 * SERVER_RECORD_FILE last).  Called as the server's user.  Each file is
 * replaced atomically, so running it twice is harmless.  Returns 0, or -1
 * after reporting.
 */
int server_write_config(const char *dir, const struct server_spec *spec);

/* pg_ctl status's answers: running, and no server running in dir. */
#define PG_CTL_RUNNING 0
#define PG_CTL_NOT_RUNNING 3

/*
 * Run pg_ctl ACTION -D dir -s [extra...] from cfg's pg_bindir as the
 * server's user (ra); returns pg_ctl's exit status.
 */
int server_pg_ctl(const struct config *cfg, const struct runas *ra, const char *dir,
    const char *action, const char *const extra[]);

/*
 * Compare the settings record in dir with spec.  Returns 0 when they agree;
 * EXIT_STATUS_CONFLICT after reporting the first setting that differs;
 * EXIT_STATUS_FAILURE when the record cannot be read or is malformed.
 */
int server_check_record(const char *dir, const struct server_spec *spec);

/*
 * Read a settings record (SERVER_RECORD_FILE, or a copy of it) at path into
 * spec, whose strings point into *record (the caller json_decref()s it;
 * spec's data_directory and timeout are left for the caller).  Returns 0,
 * or EXIT_STATUS_FAILURE after reporting (unreadable, or not a record).
 */
int server_record_read(const char *path, struct server_spec *spec, json_t **record);

/* The passwords server-init sets (cleared by server_secrets_free). */
struct server_secrets {
	char *admin;        /* of spec->user */
	char *replication;  /* of spec->replication_user */
};

/*
 * Find both passwords before anything is touched: the replication role's in
 * cfg->replication_password, else, like the admin user's, in the password
 * file cfg->credentials_file, for spec's host and port and the database
 * "replication" (replication role) or "postgres" (admin).  Returns 0, or
 * EXIT_STATUS_CONFIG after reporting which line the file lacks.
 */
int server_secrets_load(const struct server_spec *spec, const struct config *cfg,
    struct server_secrets *secrets);
void server_secrets_free(struct server_secrets *secrets);

/*
 * Over conninfo (the trusted unix socket): set the admin user's password
 * and create or alter the replication role (REPLICATION LOGIN) with its
 * password, as SCRAM verifiers.  A standby is left alone: it is read-only
 * and its roles are its primary's.  Returns 0 or EXIT_STATUS_FAILURE.
 */
int server_set_up_roles(const struct server_spec *spec, const struct config *cfg,
    const char *conninfo, const struct server_secrets *secrets);

/* The socket directory of a data directory: "DATADIR.socket" (caller frees). */
char *server_socket_directory(const char *data_directory);

#endif
