/* Daemon life: detaching, the pid file, signalling a running master, privileges. */
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "daemon.h"
#include "log.h"

#define DAEMON_DEFAULT_USER "nobody"

static int daemon_ready_fd = -1; /* tells the waiting parent */
/* The directory the daemon was started in: relative config paths. */
static int daemon_home_fd = -1;
static char *daemon_pid_path;  /* the pid file we created */
static pid_t daemon_pid_owner; /* ... in this process */
static int daemon_pid_fd = -1;

/* Parse a decimal id; -1 if s is not one. */
static long
daemon_numeric_id(const char *s)
{
	char *end;
	long v;

	if (*s < '0' || *s > '9')
		return -1;
	errno = 0;
	v = strtol(s, &end, 10);
	if (errno != 0 || *end != '\0' || v < 0 || v > INT_MAX)
		return -1;
	return v;
}

int
daemon_privs_resolve(const struct conf_process *p, struct daemon_privs *pv)
{
	const char *user = p->user;
	struct passwd *pw;
	struct group *gr;
	long id;

	memset(pv, 0, sizeof(*pv));
	if (geteuid() != 0) {
		if (p->user != NULL || p->group != NULL)
			log_warnx("processConfig user and group are ignored: "
			          "aileron was not started as root");
		return 0;
	}
	if (user == NULL) {
		if (p->allow_root_workers)
			return 0;
		user = DAEMON_DEFAULT_USER;
	}
	if ((pw = getpwnam(user)) == NULL &&
	    ((id = daemon_numeric_id(user)) < 0 ||
	        (pw = getpwuid((uid_t)id)) == NULL)) {
		log_error("processConfig.user: unknown user \"%s\"", user);
		return -1;
	}
	pv->uid = pw->pw_uid;
	pv->gid = pw->pw_gid;
	snprintf(pv->user, sizeof(pv->user), "%s", pw->pw_name);
	if (p->group != NULL) {
		if ((gr = getgrnam(p->group)) == NULL &&
		    ((id = daemon_numeric_id(p->group)) < 0 ||
		        (gr = getgrgid((gid_t)id)) == NULL)) {
			log_error("processConfig.group: unknown group \"%s\"",
			    p->group);
			return -1;
		}
		pv->gid = gr->gr_gid;
	}
	if (pv->uid == 0 && !p->allow_root_workers) {
		log_error(
		    "processConfig.user \"%s\" is root: workers would run "
		    "as root; set processConfig.allowRootWorkers: true "
		    "to allow it",
		    user);
		return -1;
	}
	pv->drop = pv->uid != 0 || pv->gid != 0;
	/*
	 * The group database is read here, once: a worker that did it
	 * would load the NSS modules and their data into each process.
	 */
	pv->ngroups = DAEMON_MAX_GROUPS;
	if (getgrouplist(pv->user, pv->gid, pv->groups, &pv->ngroups) < 0)
		pv->ngroups = -1;
	return 0;
}

void
daemon_privs_drop(const struct daemon_privs *pv)
{
	if (!pv->drop)
		return;
	if (pv->ngroups >= 0) {
		if (setgroups((size_t)pv->ngroups, pv->groups) < 0)
			fatal("setgroups");
	} else if (initgroups(pv->user, pv->gid) < 0 &&
	    setgroups(1, &pv->gid) < 0)
		fatal("setgroups");
	if (setgid(pv->gid) < 0)
		fatal("setgid %lu", (unsigned long)pv->gid);
	if (setuid(pv->uid) < 0)
		fatal("setuid %lu", (unsigned long)pv->uid);
	/* Paranoia: root must be gone for good. */
	if (pv->uid != 0 && setuid(0) == 0)
		fatalx("could still become root after dropping privileges");
}

void
daemon_detach(void)
{
	int fds[2], status;
	ssize_t r;
	pid_t pid;
	char c = 0;

	fflush(stdout);
	fflush(stderr);
	if (pipe2(fds, O_CLOEXEC) < 0)
		fatal("pipe2");
	if ((pid = fork()) < 0)
		fatal("fork");
	if (pid > 0) {
		/* The parent waits for the word of the daemon's readiness. */
		close(fds[1]);
		do
			r = read(fds[0], &c, 1);
		while (r < 0 && errno == EINTR);
		if (r == 1 && c == 'R')
			_exit(0);
		/* Startup failed: reap the child if it is already gone. */
		while (waitpid(pid, &status, WNOHANG) < 0 && errno == EINTR)
			;
		_exit(1);
	}
	close(fds[0]);
	daemon_ready_fd = fds[1];
	if (setsid() < 0)
		fatal("setsid");
	daemon_home_fd = open(".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (chdir("/") < 0)
		fatal("chdir /");
}

void
daemon_home_enter(void)
{
	if (daemon_home_fd >= 0 && fchdir(daemon_home_fd) < 0)
		log_warn("cannot change to the start directory");
}

void
daemon_home_leave(void)
{
	if (daemon_home_fd >= 0 && chdir("/") < 0)
		log_warn("chdir /");
}

void
daemon_ready(void)
{
	int fd;

	if (daemon_ready_fd < 0)
		return;
	/* From now on errors go to the log only. */
	if ((fd = open("/dev/null", O_RDWR)) >= 0) {
		dup2(fd, STDIN_FILENO);
		dup2(fd, STDOUT_FILENO);
		dup2(fd, STDERR_FILENO);
		if (fd > STDERR_FILENO)
			close(fd);
	}
	while (write(daemon_ready_fd, "R", 1) < 0 && errno == EINTR)
		;
	close(daemon_ready_fd);
	daemon_ready_fd = -1;
}

/* Lock the whole of fd for writing, without waiting. */
static int
daemon_lock(int fd)
{
	struct flock fl;

	memset(&fl, 0, sizeof(fl));
	fl.l_type = F_WRLCK;
	fl.l_whence = SEEK_SET;
	return fcntl(fd, F_SETLK, &fl);
}

/* Pid of the process holding a lock on fd; 0 if none, -1 on error. */
static pid_t
daemon_lock_holder(int fd)
{
	struct flock fl;

	/* A read lock conflicts with the owner's write lock: works O_RDONLY. */
	memset(&fl, 0, sizeof(fl));
	fl.l_type = F_RDLCK;
	fl.l_whence = SEEK_SET;
	if (fcntl(fd, F_GETLK, &fl) < 0)
		return -1;
	return fl.l_type == F_UNLCK ? 0 : fl.l_pid;
}

int
daemon_pidfile_create(const char *path)
{
	struct stat st1, st2;
	char buf[32];
	pid_t holder;
	int fd, n, tries;

	for (tries = 0; tries < 10; tries++) {
		fd =
		    open(path, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0644);
		if (fd < 0) {
			printf("aileron: pid file %s: %s\n", path,
			    strerror(errno));
			return -1;
		}
		if (daemon_lock(fd) < 0) {
			holder = (errno == EACCES || errno == EAGAIN)
			    ? daemon_lock_holder(fd)
			    : -1;
			if (holder > 0)
				printf("aileron: already running (pid %ld, pid "
				       "file %s)\n",
				    (long)holder, path);
			else
				printf("aileron: cannot lock pid file %s: %s\n",
				    path, strerror(errno));
			close(fd);
			return -1;
		}
		/* The previous owner may have removed it before we locked. */
		if (fstat(fd, &st1) == 0 && stat(path, &st2) == 0 &&
		    st1.st_dev == st2.st_dev && st1.st_ino == st2.st_ino)
			break;
		close(fd);
		fd = -1;
	}
	if (fd < 0) {
		printf("aileron: pid file %s keeps changing\n", path);
		return -1;
	}
	if (!S_ISREG(st1.st_mode)) {
		printf("aileron: pid file %s is not a regular file\n", path);
		close(fd);
		return -1;
	}
	n = snprintf(buf, sizeof(buf), "%ld\n", (long)getpid());
	if (ftruncate(fd, 0) < 0 || pwrite(fd, buf, (size_t)n, 0) != n) {
		printf("aileron: pid file %s: %s\n", path, strerror(errno));
		close(fd);
		unlink(path);
		return -1;
	}
	free(daemon_pid_path);
	if ((daemon_pid_path = strdup(path)) == NULL)
		fatal("strdup");
	daemon_pid_fd = fd;
	daemon_pid_owner = getpid();
	return 0;
}

void
daemon_pidfile_remove(void)
{
	/* Workers exit through the same atexit handlers: only the owner. */
	if (daemon_pid_path == NULL || getpid() != daemon_pid_owner)
		return;
	if (unlink(daemon_pid_path) < 0 && errno != ENOENT)
		log_warn("removing pid file %s", daemon_pid_path);
	close(daemon_pid_fd);
	daemon_pid_fd = -1;
	free(daemon_pid_path);
	daemon_pid_path = NULL;
}

int
daemon_pidfile_signal(const char *path, int sig)
{
	pid_t pid;
	int fd;

	if ((fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)) < 0) {
		printf("aileron: not running (pid file %s: %s)\n", path,
		    strerror(errno));
		return 1;
	}
	pid = daemon_lock_holder(fd);
	close(fd);
	if (pid < 0) {
		printf("aileron: pid file %s: %s\n", path, strerror(errno));
		return 1;
	}
	if (pid == 0) {
		printf("aileron: not running (pid file %s is stale)\n", path);
		return 1;
	}
	if (kill(pid, sig) < 0) {
		printf("aileron: cannot signal pid %ld: %s\n", (long)pid,
		    strerror(errno));
		return 1;
	}
	return 0;
}
