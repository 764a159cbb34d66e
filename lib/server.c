/* server.c -- provisioning one PostgreSQL 15 server for shardkit
 *
 * Crash safety comes from names, not from state kept elsewhere: a data
 * directory is built under DATADIR.initdb.tmp and renamed to DATADIR only
 * once initdb and the configuration are complete, and it is removed by first
 * renaming it to DATADIR.wipe.tmp.  So DATADIR is either absent or complete,
 * a leftover temporary is always safe to delete, and the remaining steps
 * (socket directory, start, passwords) are checked and redone on every run.
 * Concurrent runs on one parent directory are serialised by a flock on it.
 */

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <libpq-fe.h>

#include "clock.h"
#include "config.h"
#include "conn.h"
#include "error.h"
#include "file.h"
#include "runas.h"
#include "server.h"

/* pg_ctl status: 0 running, 3 not running (its documented statuses). */

/* The directory containing path ("/" for "/x"); caller frees. */
static char *
parent_of(const char *path)
{
	char *parent = xstrdup(path);
	char *slash = strrchr(parent, '/');

	if (slash == NULL)
		parent[0] = '\0';
	else
		*(slash == parent ? slash + 1 : slash) = '\0';
	return parent;
}

/* mkdir -p of dir, giving each directory it creates to the server's user. */
static int
make_parents(const char *dir, const struct runas *ra)
{
	char *copy = xstrdup(dir);
	char *p;
	int rc = 0;

	for (p = copy + 1; rc == 0; p++) {
		int last = *p == '\0';

		if (*p != '/' && !last)
			continue;
		*p = '\0';
		if (mkdir(copy, 0755) == 0)
			rc = runas_chown(ra, copy);
		else if (errno != EEXIST) {
			error_report("could not create directory \"%s\": %s", copy, strerror(errno));
			rc = -1;
		}
		if (last)
			break;
		*p = '/';
	}
	free(copy);
	return rc;
}

/*
 * realpath() of the longest existing prefix of path, then the missing
 * components as written, so the result is the same before and after they
 * are created.  ".." in a missing part has no meaning yet: refused.
 */
static char *
canonical(const char *path)
{
	char *copy = xstrdup(path), *cut, *rest = xstrdup(""), *tmp, *joined, *result;
	char real[PATH_MAX];
	size_t n;

	while (realpath(copy[0] != '\0' ? copy : "/", real) == NULL) {
		cut = strrchr(copy, '/');
		if (errno != ENOENT || cut == NULL || strcmp(cut + 1, "..") == 0) {
			error_report("could not resolve \"%s\": %s", path,
			    errno != ENOENT ? strerror(errno) : "\"..\" in a directory that does not exist");
			free(copy);
			free(rest);
			return NULL;
		}
		if (cut[1] != '\0' && strcmp(cut + 1, ".") != 0) {
			tmp = xconcat("/", cut + 1);
			joined = xconcat(tmp, rest);
			free(tmp);
			free(rest);
			rest = joined;
		}
		*cut = '\0';
	}
	n = strlen(real) + strlen(rest) + 1;
	result = xmalloc(n);
	snprintf(result, n, "%s%s", strcmp(real, "/") == 0 && rest[0] != '\0' ? "" : real, rest);
	free(copy);
	free(rest);
	return result;
}

/* Create the missing directories above dir, as make_parents does. */
static int
make_parent(const char *dir, const struct runas *ra)
{
	char *parent = parent_of(dir);
	int rc = strcmp(parent, "/") == 0 ? 0 : make_parents(parent, ra);

	free(parent);
	return rc;
}

char *
server_data_directory(const char *arg)
{
	char cwd[PATH_MAX];
	char *abs, *slash, *parent, *result;
	size_t n;

	if (arg[0] == '/')
		abs = xstrdup(arg);
	else if (getcwd(cwd, sizeof(cwd)) == NULL) {
		error_report("could not get the current directory: %s", strerror(errno));
		return NULL;
	} else {
		n = strlen(cwd) + strlen(arg) + 2;
		abs = xmalloc(n);
		snprintf(abs, n, "%s/%s", cwd, arg);
	}
	n = strlen(abs);
	while (n > 1 && abs[n - 1] == '/')
		abs[--n] = '\0';
	slash = strrchr(abs, '/');
	if (slash[1] == '\0' || strcmp(slash + 1, ".") == 0 || strcmp(slash + 1, "..") == 0) {
		error_report("invalid data directory \"%s\": it must end in a name", arg);
		free(abs);
		return NULL;
	}
	*slash = '\0';
	parent = canonical(abs);
	if (parent == NULL) {
		free(abs);
		return NULL;
	}
	n = strlen(parent) + strlen(slash + 1) + 2;
	result = xmalloc(n);
	snprintf(result, n, "%s/%s", strcmp(parent, "/") == 0 ? "" : parent, slash + 1);
	free(parent);
	free(abs);
	return result;
}

static int
parent_exists(const char *dir)
{
	char *parent = parent_of(dir);
	int found = file_exists(parent);

	free(parent);
	return found;
}

/* Exclusive lock on dir's parent, held until the returned fd is closed. */
static int
lock_parent(const char *dir)
{
	char *parent = parent_of(dir);
	int fd;

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

static int
remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)ftw;
	if ((flag == FTW_DP ? rmdir(path) : unlink(path)) != 0) {
		error_report("could not remove \"%s\": %s", path, strerror(errno));
		return 1;   /* stops the walk; nftw returns it: already reported */
	}
	return 0;
}

/*
 * rm -rf without following symbolic links (a tablespace link is removed, not
 * its target) or crossing into another file system.
 */
static int
remove_tree(const char *path)
{
	if (!file_exists(path))
		return 0;
	switch (nftw(path, remove_entry, 32, FTW_DEPTH | FTW_PHYS | FTW_MOUNT)) {
	case 0:
		return 0;
	case -1:
		error_report("could not remove \"%s\": %s", path, strerror(errno));
		return -1;
	default:
		return -1;
	}
}

static int
fsync_parent(const char *dir)
{
	char *parent = parent_of(dir);
	int fd, rc = 0;

	fd = open(parent, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0 || fsync(fd) != 0) {
		error_report("could not sync directory \"%s\": %s", parent, strerror(errno));
		rc = -1;
	}
	if (fd >= 0)
		close(fd);
	free(parent);
	return rc;
}

static int
is_empty(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int empty = 1;

	if (d == NULL)
		return 0;
	while (empty && (e = readdir(d)) != NULL)
		if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
			empty = 0;
	closedir(d);
	return empty;
}

/* What is at a data directory's path. */
enum dir_kind { DIR_ABSENT, DIR_EMPTY, DIR_PROVISIONED, DIR_FOREIGN_DATA, DIR_OTHER };

static enum dir_kind
classify(const char *dir)
{
	struct stat st;
	char *record = xconcat(dir, "/" SERVER_RECORD_FILE);
	char *version = xconcat(dir, "/PG_VERSION");
	enum dir_kind kind = DIR_OTHER;

	if (lstat(dir, &st) != 0)
		kind = errno == ENOENT ? DIR_ABSENT : DIR_OTHER;
	else if (!S_ISDIR(st.st_mode))
		kind = DIR_OTHER;
	else if (file_exists(record))
		kind = DIR_PROVISIONED;
	else if (file_exists(version))
		kind = DIR_FOREIGN_DATA;
	else if (is_empty(dir))
		kind = DIR_EMPTY;
	free(record);
	free(version);
	return kind;
}

int
server_pg_ctl(const struct config *cfg, const struct runas *ra, const char *dir,
    const char *action, const char *const extra[])
{
	char *argv[16];
	char *path = xconcat(cfg->pg_bindir, "/pg_ctl");
	size_t n = 0;
	int status;

	argv[n++] = path;
	argv[n++] = (char *)action;
	argv[n++] = (char *)"-D";
	argv[n++] = (char *)dir;
	argv[n++] = (char *)"-s";
	while (extra != NULL && *extra != NULL && n < 15)
		argv[n++] = (char *)*extra++;
	argv[n] = NULL;
	status = runas_command(ra, argv, 1);
	free(path);
	return status;
}

static int
seconds(double timeout)
{
	int s = (int)(timeout + 0.999);

	return s < 1 ? 1 : s;
}

/*
 * The last lines of the newest file in DATADIR/log as DETAIL lines: why a
 * start failed (a port in use, a bad setting) is there, in the collector's
 * file or in postmaster.log depending on how far the start got.
 */
static void
detail_log_tail(const char *dir, int lines)
{
	char *log_dir = xconcat(dir, "/log"), *newest = NULL, *text, *start, *p, *line;
	struct timespec best = { 0, 0 };
	int seeked;
	struct dirent *e;
	struct stat st;
	size_t len;
	DIR *d;
	FILE *fp;

	if ((d = opendir(log_dir)) == NULL) {
		free(log_dir);
		return;
	}
	while ((e = readdir(d)) != NULL) {
		char *path = xconcat(log_dir, "/");
		char *full = xconcat(path, e->d_name);

		free(path);
		if (lstat(full, &st) == 0 && S_ISREG(st.st_mode) &&
		    (st.st_mtim.tv_sec > best.tv_sec || (st.st_mtim.tv_sec == best.tv_sec &&
		    st.st_mtim.tv_nsec >= best.tv_nsec))) {
			best = st.st_mtim;
			free(newest);
			newest = full;
		} else
			free(full);
	}
	closedir(d);
	free(log_dir);
	if (newest == NULL || (fp = fopen(newest, "r")) == NULL) {
		free(newest);
		return;
	}
	/* Only the tail: a long-running server's log can be large. */
	seeked = fseeko(fp, 0, SEEK_END) == 0 && ftello(fp) > 8192 &&
	    fseeko(fp, -8192, SEEK_END) == 0;
	if (!seeked)
		rewind(fp);
	text = file_read_stream(fp, newest, &len);
	fclose(fp);
	free(newest);
	if (text == NULL)
		return;
	while (len > 0 && text[len - 1] == '\n')
		text[--len] = '\0';
	/* After a seek the first line is a fragment. */
	start = seeked && strchr(text, '\n') != NULL ? strchr(text, '\n') + 1 : text;
	for (p = text + len; p > start && lines > 0; p--)
		if (p[-1] == '\n' && --lines == 0)
			break;
	for (line = strtok(p, "\n"); line != NULL; line = strtok(NULL, "\n"))
		error_detail("%s", line);
	free(text);
}

static int
ensure_running(const struct server_spec *spec, const struct config *cfg,
    const struct runas *ra)
{
	const char *dir = spec->data_directory;
	char timeout[16];
	char *log = xconcat(dir, "/log/postmaster.log");
	const char *start[] = { "-w", "-t", timeout, "-l", log, NULL };
	int status = server_pg_ctl(cfg, ra, dir, "status", NULL);

	snprintf(timeout, sizeof(timeout), "%d", seconds(spec->timeout));
	if (status == PG_CTL_NOT_RUNNING) {
		status = server_pg_ctl(cfg, ra, dir, "start", start);
		if (status != 0) {
			error_report("could not start the server in \"%s\"", dir);
			detail_log_tail(dir, 6);
			error_hint("see the logs in \"%s/log\"", dir);
		}
	} else if (status != PG_CTL_RUNNING) {
		error_report("could not get the state of the server in \"%s\" (pg_ctl status exited with %d)",
		    dir, status);
	}
	free(log);
	return status == 0 ? 0 : EXIT_STATUS_FAILURE;
}

/* The conninfo over the unix socket, for set-up (trusted, no password). */
static char *
socket_conninfo(const struct server_spec *spec)
{
	struct server_spec local = *spec;
	char *sock = server_socket_directory(spec->data_directory);
	char *conninfo;

	local.host = sock;
	conninfo = server_conninfo(&local);
	free(sock);
	return conninfo;
}

/*
 * Until the server accepts connections: pg_ctl -w has waited for a server
 * it started, but one found running may still be starting or recovering.
 */
static int
wait_ready(const struct server_spec *spec, const char *conninfo)
{
	struct conn_params params;
	double deadline = clock_seconds() + spec->timeout;
	PGPing ping = PQPING_NO_RESPONSE;
	char why[256];

	if (conn_params_init(&params, conninfo, NULL, 0, NULL, why, sizeof(why)) != 0) {
		error_report("invalid socket conninfo for \"%s\": %s", spec->id, why);
		return EXIT_STATUS_FAILURE;
	}
	for (;;) {
		ping = PQpingParams(params.keywords, params.values, 0);
		if (ping == PQPING_OK || ping == PQPING_NO_ATTEMPT || clock_seconds() >= deadline)
			break;
		nanosleep(&(struct timespec){ 0, 100 * 1000 * 1000 }, NULL);
	}
	conn_params_free(&params);
	if (ping == PQPING_OK)
		return 0;
	error_report("server \"%s\" in \"%s\" did not accept connections within %g seconds",
	    spec->id, spec->data_directory, spec->timeout);
	return EXIT_STATUS_FAILURE;
}

static int
ensure_socket_directory(const char *dir, const struct runas *ra)
{
	char *sock = server_socket_directory(dir);
	struct stat st;
	int rc = 0;

	if (lstat(sock, &st) != 0) {
		if (mkdir(sock, 0700) != 0) {
			error_report("could not create directory \"%s\": %s", sock, strerror(errno));
			rc = -1;
		} else
			rc = runas_chown(ra, sock);
	} else if (!S_ISDIR(st.st_mode)) {
		error_report("socket directory \"%s\" is not a directory", sock);
		rc = -1;
	} else if (st.st_uid != ra->uid && !ra->active) {
		error_report("socket directory \"%s\" belongs to another user", sock);
		rc = -1;
	} else if (st.st_uid != ra->uid && runas_chown(ra, sock) != 0) {
		rc = -1;
	} else if ((st.st_mode & 07777) != 0700 && chmod(sock, 0700) != 0) {
		/* Only its owner may enter it: "local trust" depends on that. */
		error_report("could not restrict socket directory \"%s\" to mode 0700: %s",
		    sock, strerror(errno));
		rc = -1;
	}
	free(sock);
	return rc == 0 ? 0 : EXIT_STATUS_FAILURE;
}

struct config_job {
	const char *dir;
	const struct server_spec *spec;
};

static int
config_job_run(void *arg)
{
	const struct config_job *job = arg;

	return server_write_config(job->dir, job->spec);
}

static int
create_data_directory(const struct server_spec *spec, const struct config *cfg,
    const struct runas *ra)
{
	const char *dir = spec->data_directory;
	char *tmp = xconcat(dir, ".initdb.tmp"), *wiping = xconcat(dir, ".wipe.tmp");
	char *initdb = xconcat(cfg->pg_bindir, "/initdb");
	char *user_opt = xconcat("--username=", spec->user);
	char *argv[] = { initdb, (char *)"-D", tmp, user_opt, (char *)"--auth-local=trust",
		(char *)"--auth-host=scram-sha-256", (char *)"--data-checksums",
		(char *)"--encoding=UTF8", (char *)"--locale=C", (char *)"--no-instructions", NULL };
	struct config_job job = { tmp, spec };
	int status = EXIT_STATUS_FAILURE, rc;

	/* Leftovers of an interrupted run: never a complete data directory. */
	if (remove_tree(tmp) != 0 || remove_tree(wiping) != 0)
		goto out;
	if (mkdir(tmp, 0700) != 0) {
		error_report("could not create directory \"%s\": %s", tmp, strerror(errno));
		goto out;
	}
	if (runas_chown(ra, tmp) != 0)
		goto out;
	rc = runas_command(ra, argv, 1);
	if (rc != 0) {
		if (rc > 0)
			error_report("initdb failed for \"%s\" (exit status %d)", dir, rc);
		goto out;
	}
	if (runas_call(ra, config_job_run, &job) != 0)
		goto out;
	/* The directory appears complete or not at all. */
	if (rename(tmp, dir) != 0) {
		error_report("could not rename \"%s\" to \"%s\": %s", tmp, dir, strerror(errno));
		goto out;
	}
	if (fsync_parent(dir) == 0)
		status = 0;
out:
	free(tmp);
	free(wiping);
	free(initdb);
	free(user_opt);
	return status;
}

static int
ensure_data_directory(const struct server_spec *spec, const struct config *cfg,
    const struct runas *ra)
{
	const char *dir = spec->data_directory;

	switch (classify(dir)) {
	case DIR_PROVISIONED:
		return server_check_record(dir, spec);
	case DIR_FOREIGN_DATA:
		error_report("data directory \"%s\" was not provisioned by server-init", dir);
		error_hint("give server-init a directory of its own");
		return EXIT_STATUS_CONFLICT;
	case DIR_OTHER:
		error_report("\"%s\" exists and is not a data directory provisioned by server-init", dir);
		return EXIT_STATUS_CONFLICT;
	case DIR_ABSENT:
	case DIR_EMPTY:
		break;
	}
	return create_data_directory(spec, cfg, ra);
}

static int
check_socket_path(const struct server_spec *spec)
{
	char *sock = server_socket_directory(spec->data_directory);
	/* The longest name PostgreSQL puts there: ".s.PGSQL.PORT.lock". */
	size_t need = strlen(sock) + sizeof("/.s.PGSQL.65535.lock");
	int rc = 0;

	if (need > sizeof(((struct sockaddr_un *)0)->sun_path)) {
		error_report("socket directory \"%s\" is too long for a unix socket (%zu bytes, at most %zu)",
		    sock, strlen(sock), sizeof(((struct sockaddr_un *)0)->sun_path) - sizeof("/.s.PGSQL.65535.lock"));
		error_hint("use a shorter data directory path");
		rc = -1;
	}
	free(sock);
	return rc;
}

int
server_provision(const struct server_spec *spec, const struct config *cfg,
    const struct runas *ra)
{
	struct server_secrets secrets;
	char *conninfo;
	int status, lock;

	if (check_socket_path(spec) != 0)
		return EXIT_STATUS_USAGE;
	status = server_secrets_load(spec, cfg, &secrets);
	if (status != 0)
		return status;
	lock = -1;
	if (make_parent(spec->data_directory, ra) == 0)
		lock = lock_parent(spec->data_directory);
	if (lock < 0) {
		server_secrets_free(&secrets);
		return EXIT_STATUS_FAILURE;
	}
	conninfo = socket_conninfo(spec);
	status = ensure_data_directory(spec, cfg, ra);
	if (status == 0)
		status = ensure_socket_directory(spec->data_directory, ra);
	if (status == 0)
		status = ensure_running(spec, cfg, ra);
	if (status == 0)
		status = wait_ready(spec, conninfo);
	if (status == 0)
		status = server_set_up_roles(spec, cfg, conninfo, &secrets);
	close(lock);
	free(conninfo);
	server_secrets_free(&secrets);
	return status;
}

static int
stop_server(const char *dir, const struct config *cfg, const struct runas *ra,
    double timeout)
{
	char seconds_text[16];
	const char *fast[] = { "-m", "fast", "-w", "-t", seconds_text, NULL };
	const char *immediate[] = { "-m", "immediate", "-w", "-t", seconds_text, NULL };
	int status = server_pg_ctl(cfg, ra, dir, "status", NULL);

	snprintf(seconds_text, sizeof(seconds_text), "%d", seconds(timeout));
	if (status == PG_CTL_NOT_RUNNING)
		return 0;
	if (status != PG_CTL_RUNNING) {
		error_report("could not get the state of the server in \"%s\" (pg_ctl status exited with %d)",
		    dir, status);
		return -1;
	}
	if (server_pg_ctl(cfg, ra, dir, "stop", fast) == 0)
		return 0;
	error_warning("fast shutdown of the server in \"%s\" failed; trying immediate shutdown", dir);
	if (server_pg_ctl(cfg, ra, dir, "stop", immediate) == 0)
		return 0;
	error_report("could not stop the server in \"%s\": not removing it", dir);
	return -1;
}

/* Remove what surrounds a data directory: temporaries and the socket directory. */
static int
remove_leftovers(const char *dir)
{
	/* replica-attach's clone and swap temporaries too (replica_clone.c). */
	static const char *const suffixes[] = { ".clone.tmp", ".clone.new", ".old.tmp", NULL };
	char *tmp = xconcat(dir, ".initdb.tmp"), *wiping = xconcat(dir, ".wipe.tmp");
	char *sock = server_socket_directory(dir), *other;
	int rc = 0, i;

	if (remove_tree(tmp) != 0 || remove_tree(wiping) != 0 || remove_tree(sock) != 0)
		rc = -1;
	for (i = 0; suffixes[i] != NULL && rc == 0; i++) {
		other = xconcat(dir, suffixes[i]);
		rc = remove_tree(other);
		free(other);
	}
	free(tmp);
	free(wiping);
	free(sock);
	return rc;
}

int
server_wipe(const char *dir, const struct config *cfg, const struct runas *ra,
    double timeout)
{
	char *wiping;
	int lock, status = EXIT_STATUS_FAILURE;
	enum dir_kind kind;

	/* No parent directory: there is nothing to wipe. */
	if (!parent_exists(dir))
		return 0;
	lock = lock_parent(dir);
	if (lock < 0)
		return EXIT_STATUS_FAILURE;
	wiping = xconcat(dir, ".wipe.tmp");
	kind = classify(dir);
	if (kind == DIR_OTHER || kind == DIR_FOREIGN_DATA) {
		error_report("\"%s\" is not a data directory provisioned by server-init: not removing it",
		    dir);
		status = EXIT_STATUS_CONFLICT;
		goto out;
	}
	if (kind == DIR_EMPTY && rmdir(dir) != 0) {
		error_report("could not remove \"%s\": %s", dir, strerror(errno));
		goto out;
	}
	if (kind == DIR_PROVISIONED) {
		if (stop_server(dir, cfg, ra, timeout) != 0)
			goto out;
		/* From here DATADIR is gone at once; the rest is cleaning up. */
		if (rename(dir, wiping) != 0) {
			error_report("could not rename \"%s\" to \"%s\": %s", dir, wiping,
			    strerror(errno));
			goto out;
		}
		if (fsync_parent(dir) != 0)
			goto out;
	}
	if (remove_leftovers(dir) == 0)
		status = 0;
out:
	close(lock);
	free(wiping);
	return status;
}
