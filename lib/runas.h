/* runas.h -- doing work as the server's unprivileged user */
#ifndef SHARDKIT_RUNAS_H
#define SHARDKIT_RUNAS_H

#include <sys/types.h>

/*
 * PostgreSQL refuses to run as root, and files in a data directory must
 * belong to the user the server runs as.  When shardkit runs as root, work
 * on a server happens in a forked child that has dropped to that user
 * (setgid, initgroups, setuid, in that order) before it execs initdb or
 * pg_ctl or writes a file; the parent keeps its privileges for what only
 * root may do (creating the data directory's parent, removing a tree).
 * When not root, everything runs as the invoking user and run_as is unused.
 */
struct runas {
	int active;     /* 1: children switch to uid/gid; 0: run as ourselves */
	uid_t uid;
	gid_t gid;
	char *name;     /* the user's name (for initgroups and messages) */
};

/*
 * Resolve user (config run_as) when running as root; otherwise describe the
 * invoking user.  Refuses a user that does not exist or is root itself.
 * Returns 0, or -1 after reporting.  Free with runas_free.
 */
int runas_init(struct runas *ra, const char *user);
void runas_free(struct runas *ra);

/*
 * Run argv (argv[0] an absolute path) as the user, with no file descriptor
 * beyond 0-2 inherited, in "/" (a root-only working directory would make
 * PostgreSQL's programs fail to find themselves), and wait for it.  When
 * quiet, its standard output goes to /dev/null (stdout carries data only);
 * its standard error stays ours.  Returns its exit status (0-255), or -1
 * after reporting a failure to run it or its death by a signal.
 */
int runas_command(const struct runas *ra, char *const argv[], int quiet);

/* What runas_command_until returns when it killed the command for its deadline. */
#define RUNAS_TIMED_OUT (-2)

/*
 * runas_command, bounded: the command runs in a process group of its own,
 * and when it has not ended within seconds the whole group is killed
 * (SIGKILL) and reaped.  Returns its exit status (0-255), RUNAS_TIMED_OUT
 * (nothing reported: the caller says what it was waiting for), or -1 after
 * reporting.  Processes the command left in other groups (a daemon) are
 * not touched.
 */
int runas_command_until(const struct runas *ra, char *const argv[], int quiet,
    double seconds);

/*
 * Call fn(arg) as the user: in a child that drops privileges when active,
 * directly otherwise.  fn returns 0 or -1 (after reporting); that is what
 * runas_call returns.
 */
int runas_call(const struct runas *ra, int (*fn)(void *), void *arg);

/* Give path to the user when active (lchown); 0, or -1 after reporting. */
int runas_chown(const struct runas *ra, const char *path);

#endif
