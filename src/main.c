/* aileron: command line, config loading, then the master process. */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "compat.h"
#include "conf.h"
#include "daemon.h"
#include "log.h"
#include "master.h"
#include "route.h"
#include "tlsclient.h"
#include "template.h"

#define MAIN_MAX_PATHS 64

static void
main_usage(FILE *fp)
{
	fprintf(fp,
	    "usage: aileron [-cDhivX] [-e file] [-l file] [-p file] "
	    "[-s signal] -f file|dir ...\n"
	    "       aileron [-e file] [-f file|dir] -t template [-o "
	    "yaml|json]\n"
	    "\n"
	    "  -f, --file PATH      config file or directory (repeatable)\n"
	    "  -e, --env PATH       env file of KEY=VALUE lines (repeatable)\n"
	    "  -c, --check          check the config and exit\n"
	    "  -D, --daemon         detach and run in the background\n"
	    "  -p, --pid-file FILE  write and lock a pid file\n"
	    "  -s, --signal SIG     send reload, stop, quit or reopen to the\n"
	    "                       master named by the pid file, and exit\n"
	    "  -l, --log-file FILE  append the log to FILE (reopened on "
	    "SIGUSR1)\n"
	    "  -X, --single-process serve in one process (for debuggers)\n"
	    "  -t, --template KIND  show the template of Group/Version/Kind\n"
	    "                       or Group/Version/Kind/Namespace/Name\n"
	    "  -o, --out FORMAT     template output format yaml|json "
	    "(default yaml)\n"
	    "  -h, --help           show this help\n"
	    "  -v, --version        print the version\n"
	    "  -i, --info           show build information\n");
}

/* The signal -s name stands for; 0 if none. */
static int
main_signal_number(const char *name)
{
	static const struct {
		const char *name;
		int sig;
	} sigs[] = { { "reload", SIGHUP }, { "stop", SIGTERM },
		{ "quit", SIGQUIT }, { "reopen", SIGUSR1 } };
	size_t i;

	for (i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
		if (strcmp(name, sigs[i].name) == 0)
			return sigs[i].sig;
	return 0;
}

/*
 * An absolute form of path (the daemon changes to "/"): the real path of
 * an existing file, else path under the current directory.
 */
static char *
main_abspath(const char *path)
{
	char cwd[PATH_MAX], *p;

	if (path[0] == '/') {
		if ((p = strdup(path)) == NULL)
			fatal("strdup");
		return p;
	}
	if ((p = realpath(path, NULL)) != NULL)
		return p;
	if (getcwd(cwd, sizeof(cwd)) == NULL)
		fatal("getcwd");
	if (asprintf(&p, "%s/%s", cwd, path) < 0)
		fatal("asprintf");
	return p;
}

static void
main_info(void)
{
	printf("aileron %s\n", PACKAGE_VERSION);
	printf("compiler: %s\n", __VERSION__);
	printf("built: %s %s\n", __DATE__, __TIME__);
}

/* -t: load the configs (if any), then print the template; exit status. */
static int
main_template(const char *what, const char *out, char **paths, size_t npaths)
{
	struct conf *c;
	int rc;

	if (npaths > 0) {
		if ((c = conf_load(paths, npaths, master_conf_error, NULL)) ==
		    NULL) {
			printf("aileron: failed to load configs\n");
			return 1;
		}
		conf_free(c);
	}
	rc = template_print(
	    stdout, what, strcmp(out, "json") == 0, paths, npaths);
	if (rc == -1)
		fprintf(stderr,
		    "aileron: -t: unknown template \"%s\" (Group/Version/Kind "
		    "or Group/Version/Kind/Namespace/Name of a supported "
		    "kind)\n",
		    what);
	else if (rc == -2)
		fprintf(stderr, "aileron: -t: no manifest %s in the configs\n",
		    what);
	return rc == 0 ? 0 : 2;
}

int
main(int argc, char *argv[])
{
	static const struct option longopts[] = {
		{ "file", required_argument, NULL, 'f' },
		{ "env", required_argument, NULL, 'e' },
		{ "check", no_argument, NULL, 'c' },
		{ "template", required_argument, NULL, 't' },
		{ "out", required_argument, NULL, 'o' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'v' },
		{ "info", no_argument, NULL, 'i' },
		{ "daemon", no_argument, NULL, 'D' },
		{ "pid-file", required_argument, NULL, 'p' },
		{ "signal", required_argument, NULL, 's' },
		{ "log-file", required_argument, NULL, 'l' },
		{ "single-process", no_argument, NULL, 'X' },
		{ NULL, 0, NULL, 0 },
	};
	char *paths[MAIN_MAX_PATHS], *envs[MAIN_MAX_PATHS];
	const char *pid_file = NULL, *log_file = NULL;
	char *pid_abs = NULL;
	size_t npaths = 0, nenvs = 0, i;
	struct master_opts mo;
	struct conf *c;
	const char *tmpl = NULL, *out = "yaml";
	int ch, check = 0, errors = 0, daemon = 0, single = 0, sig = 0, rc;

	setproctitle_init(argc, argv);
	log_init();
	if (argc == 1) {
		main_usage(stdout);
		return 0;
	}
	while ((ch = getopt_long(argc, argv, "f:e:chviDp:s:l:Xt:o:", longopts,
	            NULL)) != -1) {
		switch (ch) {
		case 'f':
		case 'e':
			if ((ch == 'f' ? npaths : nenvs) >= MAIN_MAX_PATHS) {
				fprintf(stderr, "aileron: too many -%c\n", ch);
				return 2;
			}
			if (ch == 'f')
				paths[npaths++] = optarg;
			else
				envs[nenvs++] = optarg;
			break;
		case 'c':
			check = 1;
			break;
		case 'D':
			daemon = 1;
			break;
		case 'p':
			pid_file = optarg;
			break;
		case 'l':
			log_file = optarg;
			break;
		case 'X':
			single = 1;
			break;
		case 's':
			if ((sig = main_signal_number(optarg)) == 0) {
				fprintf(stderr,
				    "aileron: unknown signal \"%s\" (use "
				    "reload, stop, quit or reopen)\n",
				    optarg);
				return 2;
			}
			break;
		case 't':
			tmpl = optarg;
			break;
		case 'o':
			out = optarg;
			break;
		case 'h':
			main_usage(stdout);
			return 0;
		case 'v':
			printf("%s\n", PACKAGE_VERSION);
			return 0;
		case 'i':
			main_info();
			return 0;
		default:
			main_usage(stderr);
			return 2;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "aileron: unexpected argument \"%s\"\n",
		    argv[optind]);
		main_usage(stderr);
		return 2;
	}
	for (i = 0; i < nenvs; i++)
		if (conf_load_env_file(envs[i], master_conf_error, NULL) < 0)
			errors++;
	if (errors > 0)
		return 1;
	if (daemon && single) {
		fprintf(stderr, "aileron: -D and -X cannot be combined\n");
		return 2;
	}
	if (sig != 0 && pid_file != NULL)
		return daemon_pidfile_signal(pid_file, sig);
	if (strcmp(out, "yaml") != 0 && strcmp(out, "json") != 0) {
		fprintf(stderr,
		    "aileron: -o: unknown format \"%s\" (yaml or "
		    "json)\n",
		    out);
		return 2;
	}
	if (tmpl != NULL)
		return main_template(tmpl, out, paths, npaths);
	if (npaths == 0) {
		printf("aileron: no config given (-f)\n");
		return 1;
	}
	/* A start creates missing log directories; -c and -s touch nothing. */
	conf_make_log_dirs = !check && sig == 0;
	c = conf_load(paths, npaths, master_conf_error, NULL);
	if (c == NULL) {
		printf("aileron: failed to load configs\n");
		return 1;
	}
	if (pid_file == NULL)
		pid_file = c->process.pid_file;
	if (sig != 0) {
		/* -s with the pid file named by the configuration. */
		rc = 1;
		if (pid_file == NULL)
			printf("aileron: no pid file: give -p or set "
			       "processConfig.pidFile\n");
		else
			rc = daemon_pidfile_signal(pid_file, sig);
		conf_free(c);
		return rc;
	}
	log_use(c->default_logger);
	if (check) {
		/* Patterns, regular expressions and TLS files too. */
		struct routes *rt = route_build(c);
		int ok = rt != NULL && tlsclient_build(c) == 0;

		route_free(rt);
		tlsclient_free(c);
		conf_free(c);
		if (!ok) {
			printf("aileron: failed to load configs\n");
			return 1;
		}
		printf("aileron: configuration is valid\n");
		return 0;
	}
	if (c->nservers == 0) {
		/* An Entrypoint without runners has nothing to do. */
		conf_free(c);
		return 0;
	}
	/* The daemon runs in "/": every path it keeps must be absolute. */
	for (i = 0; i < npaths; i++)
		paths[i] = main_abspath(paths[i]);
	if (pid_file != NULL)
		pid_abs = main_abspath(pid_file);
	if (log_file != NULL) {
		char *l = main_abspath(log_file);

		rc = log_set_file(l);
		free(l);
		if (rc < 0) {
			printf("aileron: log file %s: %s\n", log_file,
			    strerror(errno));
			rc = 1;
			goto out;
		}
	}
	if (daemon)
		daemon_detach();
	if (pid_abs != NULL) {
		if (daemon_pidfile_create(pid_abs) < 0) {
			rc = 1;
			goto out;
		}
		atexit(daemon_pidfile_remove);
	}
	memset(&mo, 0, sizeof(mo));
	mo.paths = paths;
	mo.npaths = npaths;
	mo.single = single;
	mo.ready = daemon_ready;
	rc = master_run(&mo, c);
	c = NULL; /* master_run took it */
out:
	conf_free(c);
	for (i = 0; i < npaths; i++)
		free(paths[i]);
	free(pid_abs);
	return rc;
}
