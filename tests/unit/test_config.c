/* test_config.c -- shardkit.conf: defaults, settings, syntax and permission errors */

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "config.h"
#include "conn.h"

static char path[64];

static int
write_config(const char *text, mode_t mode)
{
	FILE *f;
	int fd;

	snprintf(path, sizeof(path), "/tmp/shardkit-config-XXXXXX");
	fd = mkstemp(path);
	if (fd < 0)
		return -1;
	f = fdopen(fd, "w");
	fputs(text, f);
	fclose(f);
	return chmod(path, mode);
}

static int
teardown(void **state)
{
	(void)state;
	if (path[0] != '\0')
		unlink(path);
	path[0] = '\0';
	return 0;
}

static void
config_load__no_file__gives_built_in_defaults(void **state)
{
	struct config cfg;

	(void)state;
	setenv("SHARDKIT_CONF", "", 1);
	/* /etc/shardkit.conf may exist on a developer machine: only check it loads. */
	if (access(CONFIG_DEFAULT_PATH, F_OK) == 0)
		skip();
	assert_int_equal(config_load(NULL, &cfg), 0);
	assert_null(cfg.path);
	assert_int_equal(cfg.vnodes, CONFIG_DEFAULT_VNODES);
	assert_string_equal(cfg.pg_bindir, CONFIG_DEFAULT_PG_BINDIR);
	assert_string_equal(cfg.run_as, "postgres");
	assert_int_equal(cfg.failure_threshold, 3);
	assert_null(cfg.replication_password);
	config_free(&cfg);
}

static void
config_load__every_setting__is_read(void **state)
{
	struct config cfg;

	(void)state;
	assert_int_equal(write_config(
	    "vnodes = 64;\nhash_seed = 12345;\nconnect_timeout = 1.5;\nprobe_timeout = 3;\n"
	    "credentials_file = \"/tmp/pass\";\nreplication_user = \"rep\";\n"
	    "replication_password = \"s3cret\";\npg_bindir = \"/opt/pg/bin\";\n"
	    "run_as = \"pguser\";\nlisten_address = \"::1\";\nfailure_threshold = 5;\n", 0600), 0);
	assert_int_equal(config_load(path, &cfg), 0);
	assert_int_equal(cfg.vnodes, 64);
	assert_true(cfg.hash_seed == 12345);
	assert_true(cfg.connect_timeout == 1.5);
	assert_true(cfg.probe_timeout == 3.0);
	assert_string_equal(cfg.credentials_file, "/tmp/pass");
	assert_string_equal(cfg.replication_user, "rep");
	assert_string_equal(cfg.replication_password, "s3cret");
	assert_string_equal(cfg.pg_bindir, "/opt/pg/bin");
	assert_string_equal(cfg.run_as, "pguser");
	assert_string_equal(cfg.listen_address, "::1");
	assert_int_equal(cfg.failure_threshold, 5);
	config_free(&cfg);
}

static void
config_load__environment__names_the_file(void **state)
{
	struct config cfg;

	(void)state;
	assert_int_equal(write_config("vnodes = 8;\n", 0644), 0);
	setenv("SHARDKIT_CONF", path, 1);
	assert_int_equal(config_load(NULL, &cfg), 0);
	assert_int_equal(cfg.vnodes, 8);
	config_free(&cfg);
	unsetenv("SHARDKIT_CONF");
}

static void
config_load__bad_files__are_rejected(void **state)
{
	static const struct { const char *text; mode_t mode; } cases[] = {
		{ "vnodes = ;\n", 0600 },                         /* syntax */
		{ "vnodes = \"many\";\n", 0600 },                 /* type */
		{ "vnodes = 0;\n", 0600 },                        /* range */
		{ "pg_bindr = \"/x\";\n", 0600 },                 /* unknown setting */
		{ "run_as = 5;\n", 0600 },                        /* type */
		{ "failure_threshold = 0;\n", 0600 },             /* range */
		{ "failure_threshold = 2.5;\n", 0600 },           /* not an integer */
		{ "vnodes = 8;\n", 0666 },                        /* writable by others */
		{ "replication_password = \"x\";\n", 0640 },      /* secret readable by group */
	};
	struct config cfg;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		assert_int_equal(write_config(cases[i].text, cases[i].mode), 0);
		assert_int_equal(config_load(path, &cfg), -1);
		unlink(path);
	}
	assert_int_equal(config_load("/nonexistent/shardkit.conf", &cfg), -1);
}

static void
conninfo_inspect__host_and_port__identify_the_server(void **state)
{
	char host[64], port[16], why[256];

	(void)state;
	assert_int_equal(conninfo_inspect("host=127.0.0.1 port=5433 dbname=app", host,
	    sizeof(host), port, sizeof(port), why, sizeof(why)), 0);
	assert_string_equal(host, "127.0.0.1");
	assert_string_equal(port, "5433");
	assert_int_equal(conninfo_inspect("postgresql://[::1]:6000/app?sslmode=require", host,
	    sizeof(host), port, sizeof(port), why, sizeof(why)), 0);
	assert_string_equal(host, "::1");
	assert_string_equal(port, "6000");
	assert_int_equal(conninfo_inspect("dbname=app", host, sizeof(host), port,
	    sizeof(port), why, sizeof(why)), 0);
	assert_string_equal(port, "5432");
	assert_int_equal(conninfo_inspect("host=a password=b", host, sizeof(host), port,
	    sizeof(port), why, sizeof(why)), -1);
	assert_int_equal(conninfo_inspect("host=a junk", host, sizeof(host), port,
	    sizeof(port), why, sizeof(why)), -1);
}

static void
conn_params_init__defaults__are_added_unless_set(void **state)
{
	struct conn_params params;
	char why[256];
	size_t i;
	int saw_passfile = 0, saw_timeout = 0, saw_app = 0, saw_ssl = 0;

	(void)state;
	assert_int_equal(conn_params_init(&params, "host=127.0.0.1 sslmode=verify-full connect_timeout=9",
	    "/tmp/pass", 1.0, "postgres", why, sizeof(why)), 0);
	for (i = 0; params.keywords[i] != NULL; i++) {
		if (strcmp(params.keywords[i], "passfile") == 0)
			saw_passfile = 1;
		if (strcmp(params.keywords[i], "connect_timeout") == 0) {
			saw_timeout++;
			assert_string_equal(params.values[i], "9");
		}
		if (strcmp(params.keywords[i], "fallback_application_name") == 0)
			saw_app = 1;
		if (strcmp(params.keywords[i], "sslmode") == 0) {
			saw_ssl = 1;
			assert_string_equal(params.values[i], "verify-full");
		}
		if (strcmp(params.keywords[i], "dbname") == 0)
			assert_string_equal(params.values[i], "postgres");
	}
	assert_true(saw_passfile && saw_app && saw_ssl);
	assert_int_equal(saw_timeout, 1);
	conn_params_free(&params);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(config_load__no_file__gives_built_in_defaults, teardown),
		cmocka_unit_test_teardown(config_load__every_setting__is_read, teardown),
		cmocka_unit_test_teardown(config_load__environment__names_the_file, teardown),
		cmocka_unit_test_teardown(config_load__bad_files__are_rejected, teardown),
		cmocka_unit_test(conninfo_inspect__host_and_port__identify_the_server),
		cmocka_unit_test(conn_params_init__defaults__are_added_unless_set),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
