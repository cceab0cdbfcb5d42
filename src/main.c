/* aileron: command line, config loading, then the master process. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "conf.h"
#include "log.h"
#include "master.h"
#include "route.h"
#include "tlsclient.h"

#define MAIN_MAX_PATHS 64

static void
main_usage(FILE *fp)
{
	fprintf(fp,
	    "usage: aileron [-hiv] [-c] [-e file] [-f file|dir] ...\n"
	    "\n"
	    "  -f, --file PATH      config file or directory (repeatable)\n"
	    "  -e, --env PATH       env file of KEY=VALUE lines (repeatable)\n"
	    "  -c, --check          check the config and exit\n"
	    "  -h, --help           show this help\n"
	    "  -v, --version        print the version\n"
	    "  -i, --info           show build information\n");
}

static void
main_info(void)
{
	printf("aileron %s\n", PACKAGE_VERSION);
	printf("compiler: %s\n", __VERSION__);
	printf("built: %s %s\n", __DATE__, __TIME__);
}

int
main(int argc, char *argv[])
{
	static const struct option longopts[] = {
		{ "file", required_argument, NULL, 'f' },
		{ "env", required_argument, NULL, 'e' },
		{ "check", no_argument, NULL, 'c' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'v' },
		{ "info", no_argument, NULL, 'i' },
		{ NULL, 0, NULL, 0 },
	};
	char *paths[MAIN_MAX_PATHS], *envs[MAIN_MAX_PATHS];
	size_t npaths = 0, nenvs = 0, i;
	struct master_opts mo;
	struct conf *c;
	int ch, check = 0, errors = 0;

	log_init();
	if (argc == 1) {
		main_usage(stdout);
		return 0;
	}
	while (
	    (ch = getopt_long(argc, argv, "f:e:chvi", longopts, NULL)) != -1) {
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
	if (npaths == 0) {
		printf("aileron: no config given (-f)\n");
		return 1;
	}
	c = conf_load(paths, npaths, master_conf_error, NULL);
	if (c == NULL) {
		printf("aileron: failed to load configs\n");
		return 1;
	}
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
	mo.paths = paths;
	mo.npaths = npaths;
	return master_run(&mo, c);
}
