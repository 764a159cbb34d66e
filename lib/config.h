/* config.h -- shardkit.conf: defaults shared by every program (libconfig) */
#ifndef SHARDKIT_CONFIG_H
#define SHARDKIT_CONFIG_H

#include <stdint.h>

#define CONFIG_DEFAULT_PATH "/etc/shardkit.conf"
#define CONFIG_DEFAULT_VNODES 256
#define CONFIG_DEFAULT_PG_BINDIR "/usr/lib/postgresql/15/bin"

struct config {
	char *path;                 /* the file read, or NULL for built-in defaults */
	int vnodes;                 /* vnodes = 256 */
	uint64_t hash_seed;         /* hash_seed = 0 */
	double connect_timeout;     /* connect_timeout = 5.0 (seconds) */
	double probe_timeout;       /* probe_timeout = 2.0 (seconds) */
	char *credentials_file;     /* credentials_file: a libpq passfile */
	char *replication_user;     /* replication_user = "shardkit_replication" */
	char *replication_password; /* only in a 0600 file; never printed */
	char *pg_bindir;            /* pg_bindir = "/usr/lib/postgresql/15/bin" */
	char *run_as;               /* run_as = "postgres": user servers run as under root */
	char *listen_address;       /* listen_address = "127.0.0.1" for server-init */
	int failure_threshold;      /* failure_threshold = 3: consecutive failed probes before failover */
};

/*
 * Load the configuration: explicit_path if not NULL (from --config), else
 * $SHARDKIT_CONF, else /etc/shardkit.conf if it exists, else built-in
 * defaults.  A file that holds a password must be mode 0600 or stricter
 * (owner only), and no configuration file may be writable by group or
 * others.  On error reports "prog: FILE:LINE: message" or the permission
 * problem and returns -1 (callers exit with EXIT_STATUS_CONFIG).
 */
int config_load(const char *explicit_path, struct config *cfg);
void config_free(struct config *cfg);

#endif
