/* config.c -- shardkit.conf: defaults shared by every program (libconfig)
 *
 * The file is optional: without one every program runs on the built-in
 * defaults below.  What it may hold is a closed list; an unknown setting is
 * an error, because a misspelt "pg_bindr" silently ignored is how a server
 * ends up started with the wrong binaries.
 */

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <libconfig.h>

#include "config.h"
#include "error.h"

static const char *const known_settings[] = {
	"vnodes", "hash_seed", "connect_timeout", "probe_timeout",
	"credentials_file", "replication_user", "replication_password",
	"pg_bindir", "run_as", "listen_address", "failure_threshold", NULL,
};

static void
config_defaults(struct config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->vnodes = CONFIG_DEFAULT_VNODES;
	cfg->hash_seed = 0;
	cfg->connect_timeout = 5.0;
	cfg->probe_timeout = 2.0;
	cfg->replication_user = xstrdup("shardkit_replication");
	cfg->pg_bindir = xstrdup(CONFIG_DEFAULT_PG_BINDIR);
	cfg->run_as = xstrdup("postgres");
	cfg->listen_address = xstrdup("127.0.0.1");
	cfg->failure_threshold = 3;
}

static int
lookup_string(config_t *lc, const char *path, const char *name, char **out)
{
	config_setting_t *s = config_lookup(lc, name);

	if (s == NULL)
		return 0;
	if (config_setting_type(s) != CONFIG_TYPE_STRING) {
		error_report("%s:%d: \"%s\" must be a string", path,
		    config_setting_source_line(s), name);
		return -1;
	}
	free(*out);
	*out = xstrdup(config_setting_get_string(s));
	return 0;
}

static int
lookup_number(config_t *lc, const char *path, const char *name, double min,
    double max, double *out)
{
	config_setting_t *s = config_lookup(lc, name);
	double v;

	if (s == NULL)
		return 0;
	switch (config_setting_type(s)) {
	case CONFIG_TYPE_INT:
	case CONFIG_TYPE_INT64:
		v = (double)config_setting_get_int64(s);
		break;
	case CONFIG_TYPE_FLOAT:
		v = config_setting_get_float(s);
		break;
	default:
		error_report("%s:%d: \"%s\" must be a number", path,
		    config_setting_source_line(s), name);
		return -1;
	}
	if (!(v >= min && v <= max)) {
		error_report("%s:%d: \"%s\" must be between %g and %g", path,
		    config_setting_source_line(s), name, min, max);
		return -1;
	}
	*out = v;
	return 0;
}

static int
check_known(config_t *lc, const char *path)
{
	config_setting_t *root = config_root_setting(lc);
	int i, n = config_setting_length(root);

	for (i = 0; i < n; i++) {
		config_setting_t *s = config_setting_get_elem(root, (unsigned)i);
		const char *name = config_setting_name(s);
		int k;

		for (k = 0; known_settings[k] != NULL; k++)
			if (strcmp(name, known_settings[k]) == 0)
				break;
		if (known_settings[k] == NULL) {
			error_report("%s:%d: unknown setting \"%s\"", path,
			    config_setting_source_line(s), name);
			return -1;
		}
	}
	return 0;
}

static int
check_permissions(const char *path, int holds_secret)
{
	struct stat st;

	if (stat(path, &st) != 0) {
		error_report("could not stat \"%s\": %s", path, strerror(errno));
		return -1;
	}
	if (st.st_mode & (S_IWGRP | S_IWOTH)) {
		error_report("configuration file \"%s\" is writable by group or others (mode %04o)",
		    path, (unsigned)(st.st_mode & 07777));
		error_hint("chmod go-w \"%s\"", path);
		return -1;
	}
	if (holds_secret && (st.st_mode & (S_IRWXG | S_IRWXO))) {
		error_report("configuration file \"%s\" holds a password but has mode %04o, expected 0600",
		    path, (unsigned)(st.st_mode & 07777));
		error_hint("chmod 0600 \"%s\"", path);
		return -1;
	}
	return 0;
}

static int
parse_file(const char *path, struct config *cfg)
{
	config_t lc;
	double v;
	int rc = -1;

	config_init(&lc);
	if (config_read_file(&lc, path) != CONFIG_TRUE) {
		if (config_error_type(&lc) == CONFIG_ERR_FILE_IO)
			error_report("could not read configuration file \"%s\": %s",
			    path, strerror(errno));
		else
			error_report("%s:%d: %s", path, config_error_line(&lc),
			    config_error_text(&lc));
		goto out;
	}
	if (check_known(&lc, path) != 0)
		goto out;
	v = cfg->vnodes;
	if (lookup_number(&lc, path, "vnodes", 1, 65536, &v) != 0)
		goto out;
	cfg->vnodes = (int)v;
	v = (double)cfg->hash_seed;
	if (lookup_number(&lc, path, "hash_seed", 0, 9007199254740991.0, &v) != 0)
		goto out;
	cfg->hash_seed = (uint64_t)v;
	v = cfg->failure_threshold;
	if (lookup_number(&lc, path, "failure_threshold", 1, 1000, &v) != 0)
		goto out;
	if (v != (double)(int)v) {
		error_report("%s:%d: \"failure_threshold\" must be an integer", path,
		    config_setting_source_line(config_lookup(&lc, "failure_threshold")));
		goto out;
	}
	cfg->failure_threshold = (int)v;
	if (lookup_number(&lc, path, "connect_timeout", 0.01, 3600, &cfg->connect_timeout) != 0 ||
	    lookup_number(&lc, path, "probe_timeout", 0.01, 3600, &cfg->probe_timeout) != 0 ||
	    lookup_string(&lc, path, "credentials_file", &cfg->credentials_file) != 0 ||
	    lookup_string(&lc, path, "replication_user", &cfg->replication_user) != 0 ||
	    lookup_string(&lc, path, "replication_password", &cfg->replication_password) != 0 ||
	    lookup_string(&lc, path, "pg_bindir", &cfg->pg_bindir) != 0 ||
	    lookup_string(&lc, path, "run_as", &cfg->run_as) != 0 ||
	    lookup_string(&lc, path, "listen_address", &cfg->listen_address) != 0)
		goto out;
	if (check_permissions(path, cfg->replication_password != NULL) != 0)
		goto out;
	rc = 0;
out:
	config_destroy(&lc);
	return rc;
}

int
config_load(const char *explicit_path, struct config *cfg)
{
	const char *path = explicit_path;

	config_defaults(cfg);
	if (path == NULL) {
		path = getenv("SHARDKIT_CONF");
		if (path != NULL && *path == '\0')
			path = NULL;
	}
	if (path == NULL) {
		if (access(CONFIG_DEFAULT_PATH, F_OK) != 0)
			return 0;
		path = CONFIG_DEFAULT_PATH;
	}
	cfg->path = xstrdup(path);
	if (parse_file(path, cfg) != 0) {
		config_free(cfg);
		return -1;
	}
	return 0;
}

void
config_free(struct config *cfg)
{
	free(cfg->path);
	free(cfg->credentials_file);
	free(cfg->replication_user);
	if (cfg->replication_password != NULL) {
		/* Do not leave the secret in freed heap memory. */
		memset(cfg->replication_password, 0, strlen(cfg->replication_password));
		free(cfg->replication_password);
	}
	free(cfg->pg_bindir);
	free(cfg->run_as);
	free(cfg->listen_address);
	memset(cfg, 0, sizeof(*cfg));
}
