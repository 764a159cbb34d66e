/* replica_clone.c -- replacing a data directory with a base backup of its primary
 *
 * Crash safety comes from names, as in server.c: the base backup is taken
 * into DATADIR.clone.tmp (always safe to delete), renamed DATADIR.clone.new
 * once it is configured and complete, and only then swapped in: DATADIR to
 * DATADIR.old.tmp, DATADIR.clone.new to DATADIR, DATADIR.old.tmp removed.
 * replica_recover() finishes or undoes a swap cut short at any of these
 * points, so the old data is never deleted before the new is in place.
 */

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include <libpq-fe.h>

#include "config.h"
#include "error.h"
#include "file.h"
#include "replica.h"
#include "replica_local.h"
#include "runas.h"
#include "server.h"


/* A growing string. */
struct buf {
	char *data;
	size_t len, cap;
};

static void
buf_add(struct buf *b, const char *s, size_t n)
{
	if (b->len + n + 1 > b->cap) {
		b->cap = (b->len + n + 1) * 2;
		b->data = xrealloc(b->data, b->cap);
	}
	memcpy(b->data + b->len, s, n);
	b->len += n;
	b->data[b->len] = '\0';
}

static void
buf_puts(struct buf *b, const char *s)
{
	buf_add(b, s, strlen(s));
}

/* s with each character of special preceded by escape. */
static void
buf_escaped(struct buf *b, const char *s, const char *special, const char *escape)
{
	for (; *s != '\0'; s++) {
		if (strchr(special, *s) != NULL)
			buf_puts(b, escape);
		buf_add(b, s, 1);
	}
}

/* One keyword=value of a conninfo, quoted where libpq needs it. */
static void
conninfo_add(struct buf *b, const char *keyword, const char *value)
{
	if (b->len > 0)
		buf_puts(b, " ");
	buf_puts(b, keyword);
	buf_puts(b, "=");
	if (value[0] != '\0' && strpbrk(value, " \t\n\r\f\v'\\") == NULL) {
		buf_puts(b, value);
		return;
	}
	buf_puts(b, "'");
	buf_escaped(b, value, "'\\", "\\");
	buf_puts(b, "'");
}

char *
replica_link_conninfo(const char *primary_conninfo, const char *user,
    const char *application_name, const char *passfile, char *errbuf, size_t errlen)
{
	/* Set here, or meaningless for a replication connection. */
	static const char *const replaced[] = { "user", "dbname", "password", "passfile",
		"application_name", "fallback_application_name", "replication", "options", NULL };
	PQconninfoOption *opts, *o;
	struct buf b = { 0 };
	char *err = NULL;
	size_t i;

	opts = PQconninfoParse(primary_conninfo, &err);
	if (opts == NULL) {
		snprintf(errbuf, errlen, "%s", err != NULL ? err : "out of memory");
		errbuf[strcspn(errbuf, "\n")] = '\0';
		PQfreemem(err);
		return NULL;
	}
	for (o = opts; o->keyword != NULL; o++) {
		if (o->val == NULL || o->val[0] == '\0')
			continue;
		for (i = 0; replaced[i] != NULL && strcmp(replaced[i], o->keyword) != 0; i++)
			;
		if (replaced[i] == NULL)
			conninfo_add(&b, o->keyword, o->val);
	}
	PQconninfoFree(opts);
	conninfo_add(&b, "user", user);
	conninfo_add(&b, "application_name", application_name);
	conninfo_add(&b, "passfile", passfile);
	return b.data;
}

char *
replica_passfile_path(const char *data_directory)
{
	return xconcat(data_directory, "/" REPLICA_PASSFILE);
}

struct passfile_job {
	const char *dir, *user, *password;
};

static int
passfile_job_run(void *arg)
{
	const struct passfile_job *job = arg;
	char *path = replica_passfile_path(job->dir);
	struct buf b = { 0 };
	int rc;

	/* Any host: a re-pointed replica keeps its passfile (one role, one password). */
	buf_puts(&b, "*:*:*:");
	buf_escaped(&b, job->user, ":\\", "\\");
	buf_puts(&b, ":");
	buf_escaped(&b, job->password, ":\\", "\\");
	buf_puts(&b, "\n");
	rc = file_write_atomic(path, b.data, b.len, 0600);
	explicit_bzero(b.data, b.len);
	free(b.data);
	free(path);
	return rc;
}

int
replica_write_passfile(const char *dir, const struct runas *ra, const char *user,
    const char *password)
{
	struct passfile_job job = { dir, user, password };

	return runas_call(ra, passfile_job_run, &job);
}

static void
seconds_text(char *out, size_t len, double timeout)
{
	int s = (int)(timeout + 0.999);

	snprintf(out, len, "%d", s < 1 ? 1 : s);
}

int
replica_server_running(const char *dir, const struct config *cfg, const struct runas *ra)
{
	return server_pg_ctl(cfg, ra, dir, "status", NULL) == PG_CTL_RUNNING;
}

int
replica_server_start(const char *dir, const struct config *cfg, const struct runas *ra,
    double timeout)
{
	char secs[16];
	char *log = xconcat(dir, "/log/postmaster.log");
	const char *start[] = { "-w", "-t", secs, "-l", log, NULL };
	int status = server_pg_ctl(cfg, ra, dir, "status", NULL);

	seconds_text(secs, sizeof(secs), timeout);
	if (status == PG_CTL_NOT_RUNNING && (status = server_pg_ctl(cfg, ra, dir, "start", start)) != 0) {
		error_report("could not start the server in \"%s\"", dir);
		error_hint("see the logs in \"%s/log\"", dir);
	} else if (status != 0)
		error_report("could not get the state of the server in \"%s\" (pg_ctl status exited with %d)",
		    dir, status);
	free(log);
	return status == 0 ? 0 : -1;
}

int
replica_server_stop(const char *dir, const struct config *cfg, const struct runas *ra,
    double timeout)
{
	char secs[16];
	const char *fast[] = { "-m", "fast", "-w", "-t", secs, NULL };
	const char *immediate[] = { "-m", "immediate", "-w", "-t", secs, NULL };
	int status = server_pg_ctl(cfg, ra, dir, "status", NULL);

	seconds_text(secs, sizeof(secs), timeout);
	if (status == PG_CTL_NOT_RUNNING)
		return 0;
	if (status == PG_CTL_RUNNING && (server_pg_ctl(cfg, ra, dir, "stop", fast) == 0 ||
	    server_pg_ctl(cfg, ra, dir, "stop", immediate) == 0))
		return 0;
	error_report("could not stop the server in \"%s\"", dir);
	return -1;
}

static int
remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)ftw;
	if ((flag == FTW_DP ? rmdir(path) : unlink(path)) != 0) {
		error_report("could not remove \"%s\": %s", path, strerror(errno));
		return 1;
	}
	return 0;
}

/* rm -rf, never following a symbolic link or crossing a mount point. */
static int
remove_tree(const char *path)
{
	int rc;

	if (!file_exists(path))
		return 0;
	rc = nftw(path, remove_entry, 32, FTW_DEPTH | FTW_PHYS | FTW_MOUNT);
	if (rc == -1)
		error_report("could not remove \"%s\": %s", path, strerror(errno));
	return rc == 0 ? 0 : -1;
}

static int
move(const char *from, const char *to)
{
	if (rename(from, to) == 0)
		return 0;
	error_report("could not rename \"%s\" to \"%s\": %s", from, to, strerror(errno));
	return -1;
}

/* fsync the directory holding path, so a rename survives a crash. */
static int
sync_parent(const char *path)
{
	char *parent = xstrdup(path), *slash = strrchr(parent, '/');
	int fd, rc = -1;

	if (slash != NULL)
		*(slash == parent ? slash + 1 : slash) = '\0';
	fd = open(parent, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd >= 0 && fsync(fd) == 0)
		rc = 0;
	else
		error_report("could not sync directory \"%s\": %s", parent, strerror(errno));
	if (fd >= 0)
		close(fd);
	free(parent);
	return rc;
}

int
replica_recover(const char *dir, const struct config *cfg, const struct runas *ra,
    double timeout)
{
	char *tmp = xconcat(dir, ".clone.tmp"), *fresh = xconcat(dir, ".clone.new");
	char *old = xconcat(dir, ".old.tmp");
	int rc = 0;

	if (file_exists(fresh)) {
		/* A complete clone: finish the swap. */
		if (file_exists(dir) && (replica_server_stop(dir, cfg, ra, timeout) != 0 ||
		    remove_tree(old) != 0 || move(dir, old) != 0))
			rc = -1;
		if (rc == 0 && (move(fresh, dir) != 0 || sync_parent(dir) != 0))
			rc = -1;
	} else if (!file_exists(dir) && file_exists(old)) {
		/* Cannot happen in the order clone uses; undo rather than lose it. */
		if (move(old, dir) != 0 || sync_parent(dir) != 0)
			rc = -1;
	}
	if (rc == 0 && (remove_tree(tmp) != 0 || (file_exists(dir) && remove_tree(old) != 0)))
		rc = -1;
	free(tmp);
	free(fresh);
	free(old);
	return rc;
}

/* Remove the files in dir/log: the primary's logs came with the base backup. */
static int
clear_logs(const char *dir)
{
	char *log = xconcat(dir, "/log");
	DIR *d = opendir(log);
	struct dirent *e;
	int rc = 0;

	if (d != NULL) {
		while ((e = readdir(d)) != NULL) {
			char *p = xconcat(log, "/"), *full = xconcat(p, e->d_name);
			struct stat st;

			if (lstat(full, &st) == 0 && S_ISREG(st.st_mode) && unlink(full) != 0) {
				error_report("could not remove \"%s\": %s", full, strerror(errno));
				rc = -1;
			}
			free(p);
			free(full);
		}
		closedir(d);
	}
	free(log);
	return rc;
}

/*
 * postgresql.auto.conf with primary_conninfo and primary_slot_name set (the
 * base backup may carry the primary's own, if it was a replica once), every
 * other line kept: it is where ALTER SYSTEM writes, and re-pointing later
 * goes through ALTER SYSTEM.
 */
static int
write_auto_conf(const char *dir, const struct replica_link *link)
{
	char *path = xconcat(dir, "/postgresql.auto.conf");
	struct buf b = { 0 };
	char *old = NULL, *line, *save = NULL;
	FILE *fp = fopen(path, "r");
	size_t len;
	int rc;

	if (fp != NULL) {
		old = file_read_stream(fp, path, &len);
		fclose(fp);
	}
	buf_puts(&b, "");
	for (line = old != NULL ? strtok_r(old, "\n", &save) : NULL; line != NULL;
	    line = strtok_r(NULL, "\n", &save)) {
		const char *p = line + strspn(line, " \t");
		size_t name = strcspn(p, " \t=");

		if ((name == strlen("primary_conninfo") && strncasecmp(p, "primary_conninfo", name) == 0) ||
		    (name == strlen("primary_slot_name") && strncasecmp(p, "primary_slot_name", name) == 0))
			continue;
		buf_puts(&b, line);
		buf_puts(&b, "\n");
	}
	buf_puts(&b, "primary_conninfo = '");
	buf_escaped(&b, link->conninfo, "'", "'");
	buf_puts(&b, "'\nprimary_slot_name = '");
	buf_escaped(&b, link->slot, "'", "'");
	buf_puts(&b, "'\n");
	rc = file_write_atomic(path, b.data, b.len, 0600);
	free(b.data);
	free(old);
	free(path);
	return rc;
}

struct configure_job {
	const char *dir;                    /* the clone */
	const struct server_spec *spec;     /* the replica, as server-init made it */
	const struct replica_link *link;
};

static int
configure_job_run(void *arg)
{
	const struct configure_job *job = arg;
	char *signal = xconcat(job->dir, "/standby.signal");
	int rc = -1;

	/* The primary's files came along: make them this server's again. */
	if (clear_logs(job->dir) == 0 && server_write_config(job->dir, job->spec) == 0 &&
	    replica_write_passfile(job->dir, &(struct runas){ 0 }, job->link->user,
	    job->link->password) == 0 && write_auto_conf(job->dir, job->link) == 0 &&
	    file_write_atomic(signal, "", 0, 0600) == 0)
		rc = 0;
	free(signal);
	return rc;
}

/*
 * pg_basebackup into tmp, bounded by timeout: a primary that stops
 * answering mid-backup would otherwise hold replica-attach forever.  On a
 * timeout pg_basebackup (with its WAL streaming child) is killed and tmp
 * removed, so nothing partial is left for a rerun to trip over.  Returns 0,
 * EXIT_STATUS_TIMEOUT or EXIT_STATUS_FAILURE, after reporting.
 */
static int
base_backup(const char *tmp, const struct server_spec *spec, const struct replica_link *link,
    const struct config *cfg, const struct runas *ra)
{
	char *path = xconcat(cfg->pg_bindir, "/pg_basebackup");
	char *argv[] = { path, (char *)"-D", (char *)tmp, (char *)"-X", (char *)"stream",
		(char *)"-S", (char *)link->slot, (char *)"-c", (char *)"fast", (char *)"-w",
		(char *)"-d", link->conninfo, NULL };
	int rc;

	if (mkdir(tmp, 0700) != 0) {
		error_report("could not create directory \"%s\": %s", tmp, strerror(errno));
		free(path);
		return EXIT_STATUS_FAILURE;
	}
	rc = runas_chown(ra, tmp);
	/* The password is in the passfile the conninfo names, never here. */
	if (rc == 0)
		rc = runas_command_until(ra, argv, 1, spec->timeout);
	free(path);
	if (rc == RUNAS_TIMED_OUT) {
		error_report("server \"%s\" was not cloned from \"%s\" within %g seconds: the base backup was stopped",
		    spec->id, link->primary_id, spec->timeout);
		error_hint("check that \"%s\" answers, then run replica-attach again", link->primary_id);
		return remove_tree(tmp) == 0 ? EXIT_STATUS_TIMEOUT : EXIT_STATUS_FAILURE;
	}
	if (rc > 0)
		error_report("pg_basebackup into \"%s\" failed (exit status %d)", tmp, rc);
	return rc == 0 ? 0 : EXIT_STATUS_FAILURE;
}

int
replica_clone(const struct server_spec *spec, const struct replica_link *link,
    const struct config *cfg, const struct runas *ra)
{
	const char *dir = spec->data_directory;
	char *tmp = xconcat(dir, ".clone.tmp"), *fresh = xconcat(dir, ".clone.new");
	char *old = xconcat(dir, ".old.tmp");
	struct configure_job job = { tmp, spec, link };
	int rc = EXIT_STATUS_FAILURE;

	/* pg_basebackup reads the passfile where primary_conninfo will name it. */
	if (replica_server_stop(dir, cfg, ra, spec->timeout) != 0 ||
	    replica_write_passfile(dir, ra, link->user, link->password) != 0 ||
	    remove_tree(tmp) != 0)
		goto out;
	if ((rc = base_backup(tmp, spec, link, cfg, ra)) != 0)
		goto out;
	rc = EXIT_STATUS_FAILURE;
	if (runas_call(ra, configure_job_run, &job) != 0)
		goto out;
	/* Complete: from here a rerun finishes the swap instead of cloning again. */
	if (move(tmp, fresh) != 0 || sync_parent(fresh) != 0 ||
	    move(dir, old) != 0 || move(fresh, dir) != 0 || sync_parent(dir) != 0 ||
	    remove_tree(old) != 0)
		goto out;
	if (replica_server_start(dir, cfg, ra, spec->timeout) == 0)
		rc = 0;
out:
	free(tmp);
	free(fresh);
	free(old);
	return rc;
}
