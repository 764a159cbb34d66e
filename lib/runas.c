/* runas.c -- doing work as the server's unprivileged user
 *
 * Every child drops privileges completely and verifies it: if setuid(0)
 * still succeeds afterwards, the child exits before running anything, so a
 * failed drop can never run initdb or pg_ctl as root.
 */

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "error.h"
#include "runas.h"

/* Exit status of a child that could not become the user or exec. */
#define CHILD_SETUP_FAILED 127

int
runas_init(struct runas *ra, const char *user)
{
	struct passwd *pw;

	memset(ra, 0, sizeof(*ra));
	if (geteuid() != 0) {
		ra->uid = geteuid();
		ra->gid = getegid();
		pw = getpwuid(ra->uid);
		ra->name = xstrdup(pw != NULL ? pw->pw_name : "?");
		return 0;
	}
	errno = 0;
	pw = getpwnam(user);
	if (pw == NULL) {
		error_report("user \"%s\" (run_as) does not exist%s%s", user,
		    errno != 0 ? ": " : "", errno != 0 ? strerror(errno) : "");
		return -1;
	}
	if (pw->pw_uid == 0) {
		error_report("run_as user \"%s\" is root: PostgreSQL must run as an unprivileged user", user);
		return -1;
	}
	ra->active = 1;
	ra->uid = pw->pw_uid;
	ra->gid = pw->pw_gid;
	ra->name = xstrdup(pw->pw_name);
	return 0;
}

void
runas_free(struct runas *ra)
{
	free(ra->name);
	memset(ra, 0, sizeof(*ra));
}

/* In a child: become the user for good.  Never returns on failure. */
static void
become_user(const struct runas *ra)
{
	if (!ra->active)
		return;
	if (setgid(ra->gid) != 0 || initgroups(ra->name, ra->gid) != 0 ||
	    setuid(ra->uid) != 0) {
		error_report("could not switch to user \"%s\": %s", ra->name, strerror(errno));
		_exit(CHILD_SETUP_FAILED);
	}
	if (setuid(0) == 0 || geteuid() == 0) {
		error_report("could not drop root privileges for user \"%s\"", ra->name);
		_exit(CHILD_SETUP_FAILED);
	}
}

static void
close_inherited(void)
{
	long fd, max = sysconf(_SC_OPEN_MAX);

	/* A postmaster holding the caller's pipes would keep them open forever. */
	if (close_range(3, ~0U, 0) == 0)
		return;
	for (fd = 3; fd < (max > 0 ? max : 1024); fd++)
		close((int)fd);
}

static int
wait_child(pid_t pid, const char *what)
{
	int wstatus;

	while (waitpid(pid, &wstatus, 0) < 0) {
		if (errno != EINTR) {
			error_report("could not wait for %s: %s", what, strerror(errno));
			return -1;
		}
	}
	if (WIFEXITED(wstatus))
		return WEXITSTATUS(wstatus);
	error_report("%s was terminated by signal %d", what,
	    WIFSIGNALED(wstatus) ? WTERMSIG(wstatus) : 0);
	return -1;
}

/*
 * Fork argv as the user and return the child's pid, or -1 after reporting.
 * own_group: the child leads a new process group, so everything it forks
 * can be killed with it.
 */
static pid_t
spawn(const struct runas *ra, char *const argv[], int quiet, int own_group)
{
	pid_t pid, parent = getpid();

	/* Buffered output must not be written twice, by parent and child. */
	fflush(NULL);
	pid = fork();
	if (pid < 0) {
		error_report("could not fork for \"%s\": %s", argv[0], strerror(errno));
		return -1;
	}
	if (pid > 0) {
		/* Also here, so the group exists before the parent may kill it. */
		if (own_group)
			setpgid(pid, pid);
		return pid;
	}
	if (own_group && setpgid(0, 0) != 0)
		_exit(CHILD_SETUP_FAILED);
	become_user(ra);
	/*
	 * Die with the caller: a pg_basebackup left running by a killed
	 * replica-attach would write into a directory a rerun is replacing.
	 * Set after become_user, which clears it; a pg_ctl-started
	 * postmaster is its grandchild and is not affected.
	 */
	if (prctl(PR_SET_PDEATHSIG, SIGKILL) != 0 || getppid() != parent)
		_exit(CHILD_SETUP_FAILED);
	if (chdir("/") != 0)
		_exit(CHILD_SETUP_FAILED);
	if (quiet) {
		int null = open("/dev/null", O_WRONLY);

		if (null < 0 || dup2(null, STDOUT_FILENO) < 0)
			_exit(CHILD_SETUP_FAILED);
	}
	close_inherited();
	execv(argv[0], argv);
	error_report("could not run \"%s\": %s", argv[0], strerror(errno));
	_exit(CHILD_SETUP_FAILED);
}

int
runas_command(const struct runas *ra, char *const argv[], int quiet)
{
	pid_t pid = spawn(ra, argv, quiet, 0);

	return pid < 0 ? -1 : wait_child(pid, argv[0]);
}

int
runas_command_until(const struct runas *ra, char *const argv[], int quiet, double seconds)
{
	double deadline = clock_seconds() + seconds;
	pid_t pid = spawn(ra, argv, quiet, 1), done;
	int wstatus;

	if (pid < 0)
		return -1;
	for (;;) {
		done = waitpid(pid, &wstatus, WNOHANG);
		if (done < 0 && errno != EINTR) {
			error_report("could not wait for %s: %s", argv[0], strerror(errno));
			return -1;
		}
		if (done == pid)
			break;
		if (clock_seconds() >= deadline) {
			/* The group: pg_basebackup streams WAL from a forked child. */
			kill(-pid, SIGKILL);
			kill(pid, SIGKILL);
			while (waitpid(pid, &wstatus, 0) < 0 && errno == EINTR)
				;
			return RUNAS_TIMED_OUT;
		}
		nanosleep(&(struct timespec){ 0, 20 * 1000 * 1000 }, NULL);
	}
	if (WIFEXITED(wstatus))
		return WEXITSTATUS(wstatus);
	error_report("%s was terminated by signal %d", argv[0],
	    WIFSIGNALED(wstatus) ? WTERMSIG(wstatus) : 0);
	return -1;
}

int
runas_call(const struct runas *ra, int (*fn)(void *), void *arg)
{
	pid_t pid;
	int status;

	if (!ra->active)
		return fn(arg);
	fflush(NULL);
	pid = fork();
	if (pid < 0) {
		error_report("could not fork: %s", strerror(errno));
		return -1;
	}
	if (pid == 0) {
		become_user(ra);
		_exit(fn(arg) == 0 ? 0 : 1);
	}
	status = wait_child(pid, "a child process");
	return status == 0 ? 0 : -1;
}

int
runas_chown(const struct runas *ra, const char *path)
{
	if (!ra->active)
		return 0;
	if (lchown(path, ra->uid, ra->gid) != 0) {
		error_report("could not give \"%s\" to user \"%s\": %s", path, ra->name,
		    strerror(errno));
		return -1;
	}
	return 0;
}
