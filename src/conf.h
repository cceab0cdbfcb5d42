/* Configuration: the structs the YAML loader fills and the rest of aileron reads. */
#ifndef AILERON_CONF_H
#define AILERON_CONF_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "log.h"
#include "netacl.h"
#include "replacer.h"
#include "sockopt.h"

/*
 * Ownership: every string, array and struct reachable from a struct conf is
 * allocated from conf->arena and freed as a whole by conf_free().  Workers
 * inherit the struct through fork(); nothing in it is written after loading
 * except the per-LB shared state that the master maps (conf_lb.shared).
 */

struct arena;
struct loader;
struct health;
struct resolved;
struct conf_httplogger;
struct kind;

/* Method bitmask: bit (1 << enum http_method); 0 means "all methods". */
typedef uint32_t conf_methods;

enum conf_match_type {
	MATCH_EXACT = 0,
	MATCH_PREFIX,
	MATCH_SUFFIX,
	MATCH_CONTAINS,
	MATCH_PATH,
	MATCH_FILEPATH,
	MATCH_REGEX,
	MATCH_REGEX_POSIX
};

enum conf_lb_algorithm {
	LB_ROUND_ROBIN = 0,
	LB_RANDOM,
	LB_RING_HASH,
	LB_MAGLEV,
	LB_DIRECT_HASH
};

enum conf_hash_source {
	HASH_CLIENT_ADDR = 0,
	HASH_HEADER,
	HASH_COOKIE,
	HASH_QUERY,
	HASH_PATH_PARAM
};

/* Where a config value came from, for error messages. */
struct conf_pos {
	const char *file;
	int line;
	int column;
};

struct conf_path_matcher {
	char *match;
	int match_type; /* enum conf_match_type */
	char *rewrite;
	char *trim_prefix;
	char *append_prefix;
	void *compiled; /* regex, set by route code; NULL otherwise */
	struct conf_pos pos;
};

struct conf_param_matcher {
	char *key;
	char **patterns;
	size_t npatterns;
	int match_type;
	void **compiled; /* per pattern, for regex types */
};

/*
 * Health of one upstream, shared by all workers of a generation (mapped
 * MAP_SHARED by health_build in the master); see health.h.
 */
struct conf_upstream_shared {
	uint32_t down;      /* taken out by the active checks */
	uint32_t fails;     /* consecutive passive failures */
	int64_t down_until; /* passive: monotonic ms when it may return */
};

struct conf_upstream {
	char *url;       /* as written, trailing '/' trimmed */
	int tls;         /* https */
	char *host;      /* host name or address, no brackets */
	char *port;      /* port as a string ("80"/"443" by default) */
	char *authority; /* host[:port] as in the URL: the Host header */
	char *query;     /* raw query without '?', or NULL */
	int weight;      /* 1..65535 (0 given => 1); -1 upstreams are dropped */
	/* health-check settings accepted for later issues */
	int enable_passive;
	int enable_active;
	int initial_delay;         /* initialDelay, as written */
	int health_check_interval; /* healthCheckInterval, as written */
	char *health_check_addr;   /* healthCheckAddr, or NULL */
	/* dialConfig.replaceTargets of its HTTPClient: dial this unix
	 * socket ("/path" or "@name") or host and port instead; NULL: none */
	char *dial_unix;
	char *dial_host;
	char *dial_port;
	/* the dialed host's addresses, resolved in the master at each load;
	 * NULL: a unix socket, or the name did not resolve (the worker
	 * resolves it when it dials) */
	struct resolved *addrs;
	struct conf_upstream_shared *shared; /* health; NULL: always up */
	struct conf_pos pos;
};

/* Per-LB state shared by all workers (mapped MAP_SHARED by the master). */
struct conf_lb_shared {
	uint64_t rr_counter;
};

struct conf_lb {
	int algorithm;                   /* enum conf_lb_algorithm */
	struct conf_upstream *upstreams; /* weight -1 entries removed */
	size_t nupstreams;
	uint64_t total_weight;
	struct conf_path_matcher *path_matchers; /* pathMatcher first */
	size_t npath_matchers;
	conf_methods methods;
	char **hosts;
	size_t nhosts;
	struct conf_param_matcher *header_matchers;
	size_t nheader_matchers;
	struct conf_param_matcher *query_matchers;
	size_t nquery_matchers;
	struct conf_param_matcher *path_param_matchers;
	size_t npath_param_matchers;
	int hash_source; /* enum conf_hash_source */
	char *hash_key;
	struct conf_lb_shared *shared; /* set by the master before fork */
	void *balance; /* hash ring / Maglev table built by balance_build */
	struct conf_pos pos;
};

/* A string map entry (ErrorHandler headers). */
struct conf_kv {
	char *key;
	char *value;
};

enum conf_template_type {
	TEMPLATE_TEXT = 0,
	TEMPLATE_GO_TEXT,
	TEMPLATE_GO_HTML
};

/* ErrorHandler mimeContents entry. */
struct conf_mime_content {
	char *mime_type;
	int32_t status_code; /* 0: keep the error's status */
	struct conf_kv *headers;
	size_t nheaders;
	int template_type;   /* enum conf_template_type */
	char *template_text; /* template, or templateFile's contents */
	char *template_file;
};

/* ErrorHandler errorMessages entry. */
struct conf_error_message {
	char **paths; /* regular expressions on the path: and-gate */
	size_t npaths;
	char **codes; /* globs */
	size_t ncodes;
	char **kinds; /* globs */
	size_t nkinds;
	char **messages; /* regular expressions */
	size_t nmessages;
	struct conf_kv *header_template;
	size_t nheader_template;
	struct conf_mime_content *contents;
	size_t ncontents;
	void **paths_re; /* compiled by errpage, lazily */
	void **messages_re;
};

/* core/v1 ErrorHandler (reference 2.5). */
struct conf_errhandler {
	char *id;
	int stack_always;
	struct conf_error_message *messages;
	size_t nmessages;
};

/* One certKeyPairs entry. */
struct conf_cert_pair {
	char *cert_file;
	char *key_file;
};

/* tlsConfig of an HTTPClient: how HTTPS upstreams are verified. */
struct conf_tls_client {
	int set;         /* a tlsConfig was given */
	char **root_cas; /* PEM files added to the system store */
	size_t nroot_cas;
	char *server_name;            /* SNI and the name verified */
	struct conf_cert_pair *pairs; /* client certificate: the first */
	size_t npairs;
	int insecure_skip_verify;
	int32_t min_version; /* 769..772 (TLS 1.0..1.3); 0: TLS 1.2 */
	int32_t max_version; /* 0: TLS 1.3 */
};

/* core/v1 HTTPClient used as a proxy's roundTripper (HTTP/1.1 transport). */
/* "(tcp|example.com:80) > (unix|/run/x.sock)": dial to instead of from. */
struct conf_replace_target {
	char *from; /* host:port as dialled: "localhost:8080" */
	int to_unix;
	char *to; /* "/path" or "@name", or host:port */
};

/*
 * One middleware or tripperware a server or proxy uses: the kind of the
 * document referenced (its runtime ops in kind.h) and its config object.
 */
struct conf_ware {
	const struct kind *kind;
	void *obj;
};

struct conf_client {
	char *id;
	/* tripperwares, first outermost, once each */
	struct conf_ware *tripperwares;
	size_t ntripperwares;
	/* times in milliseconds; 0 means none */
	int64_t dial_timeout;            /* dialConfig.timeout (default 10 s) */
	int64_t idle_timeout;            /* idleConnTimeout (default 60 s) */
	int64_t response_header_timeout; /* responseHeaderTimeout */
	int64_t max_response_header_bytes; /* 0: default (64 KiB) */
	int32_t max_idle_conns;            /* per worker; 0: pool size */
	int32_t max_idle_per_host;         /* per worker; 0: pool size */
	int32_t max_conns_per_host;        /* accepted; see aileron.yaml(5) */
	int disable_keep_alives;
	int disable_compression;
	int64_t tls_handshake_timeout;   /* ms; 0: none */
	struct conf_tls_client tls;      /* httpTransportConfig.tlsConfig */
	struct conf_tls_client dial_tls; /* dialConfig.tlsConfig (wins) */
	struct conf_replace_target *replace_targets; /* dialConfig */
	size_t nreplace_targets;
	void *tls_ctx; /* SSL_CTX built by tlsclient_build, or NULL */
	/* retryConfig; max_retry 0: no retries */
	int32_t max_retry;
	int32_t max_content_length;
	int32_t *retry_status;
	size_t nretry_status;
};

#define CONF_PROXY_REVERSE  0 /* core/v1 ReverseProxyHandler */
#define CONF_PROXY_HEALTH   1 /* app/v1 HealthCheckHandler: 200 {} */
#define CONF_PROXY_METRICS  2 /* app/v1 PrometheusMeter: the scoreboard */
#define CONF_PROXY_STATUS   3 /* app/v1 StatusHandler: mod_status page */
#define CONF_PROXY_ECHO     4 /* app/v1 EchoHandler */
#define CONF_PROXY_STATIC   5 /* core/v1 StaticFileHandler */
#define CONF_PROXY_TEMPLATE 6 /* core/v1 TemplateHandler */
#define CONF_PROXY_WRAPPER  7 /* core/v1 HTTPHandler: middleware + inner */
#define CONF_PROXY_CSRF     8 /* app/v1 CSRFMiddleware: the token endpoint */

struct conf_proxy {
	char *id;                           /* apiVersion/kind/namespace/name */
	int kind;                           /* CONF_PROXY_* */
	struct conf_errhandler *errhandler; /* metadata.errorHandler or NULL */
	struct conf_client *client;         /* roundTripper; NULL: defaults */
	char **patterns;
	size_t npatterns;
	conf_methods methods;
	struct conf_lb *lbs;
	size_t nlbs;
	/* tripperwares (ReverseProxyHandler), first outermost, once each */
	struct conf_ware *tripperwares;
	size_t ntripperwares;
	/* HTTPHandler: the handler it wraps in its middleware (first outermost) */
	struct conf_proxy *inner;
	struct conf_ware *middleware;
	size_t nmiddleware;
};

/* One handler mounted in a virtual host (HTTPHandlerSpec). */
struct conf_handler {
	char *pattern;                /* HTTPHandlerSpec.pattern, may be NULL */
	int kind;                     /* CONF_HANDLER_* */
	struct conf_proxy *proxy;     /* when kind == CONF_HANDLER_PROXY */
	struct conf_ware *middleware; /* first outermost, once each */
	size_t nmiddleware;
};

#define CONF_HANDLER_PROXY 1

struct conf_vhost {
	char **hosts;
	size_t nhosts;
	char *pattern;
	conf_methods methods;
	struct conf_handler *handlers;
	size_t nhandlers;
	/* around each of its handlers, first outermost, once each */
	struct conf_ware *middleware;
	size_t nmiddleware;
};

/* core/v1 HTTPLogger: one ReplacerSpec (header and query masking). */
enum conf_replacer_kind { REPL_FIXED = 1, REPL_VALUE, REPL_REGEXP };

struct conf_replacer {
	int kind;    /* enum conf_replacer_kind */
	char *value; /* fixed */
	char **from; /* value: fromTo keys ... */
	char **to;   /* ... and their replacements */
	size_t nfrom;
	char *pattern; /* regexp */
	char *replace;
	int literal;
	void *compiled; /* pcre2_code * */
};

/* A ReplacerSpec of HTTPLogger as read, and compiled by the loader. */
struct conf_log_repl {
	struct replacer_spec spec;
	struct replacer *r; /* replacer.h; freed by conf_free() */
};

struct conf_log_header {
	char *name; /* "*": every header */
	struct conf_log_repl *replacers;
	size_t nreplacers;
};

/* LogBodySpec: the replacers of the bodies of one media type (journal). */
struct conf_log_body {
	char *mime;
	struct conf_log_repl *replacers;
	size_t nreplacers;
	char **json_fields; /* jsonFields: key paths ("a.b.0.c") */
	size_t njson_fields;
};

/* LoggingSpec: what is logged of a request or a response. */
struct conf_log_spec {
	struct conf_log_header *headers;
	size_t nheaders;
	struct conf_log_repl *queries;
	size_t nqueries;
	char *log_format; /* %tag% template, or NULL for JSON */
	/* journal only */
	struct conf_log_body *bodies;
	size_t nbodies;
	char *body_output_path; /* "": bodies are not written to files */
	int base64;
	int64_t max_content_length;
	char **mimes;
	size_t nmimes;
};

enum conf_access_format { ACCESS_JSON = 0, ACCESS_COMBINED };

struct conf_httplogger {
	char *id;
	struct log_logger *logger; /* NULL: the application log */
	char *time_format;         /* Go layout of request/response "time" */
	int utc;                   /* timezone UTC (else Local) */
	int format;                /* enum conf_access_format (our extension) */
	int journal;               /* log bodies too */
	struct conf_log_spec request;
	struct conf_log_spec response;
};

/* kernel.TLSConfig: clientAuth values, as AILERON numbers them. */
enum conf_client_auth {
	TLS_AUTH_NONE = 0,        /* NoClientCert */
	TLS_AUTH_REQUEST,         /* RequestClientCert */
	TLS_AUTH_REQUIRE_ANY,     /* RequireAnyClientCert */
	TLS_AUTH_VERIFY_IF_GIVEN, /* VerifyClientCertIfGiven */
	TLS_AUTH_REQUIRE_VERIFY   /* RequireAndVerifyClientCert */
};

struct conf_tls_pair {
	char *cert_file;
	char *key_file;
	struct conf_pos cert_pos; /* for errors */
	struct conf_pos key_pos;
};

/*
 * kernel.TLSConfig, for listeners (and, later, upstream clients).  The
 * file names are as written (after ${VAR} substitution); tls.c loads them.
 */
struct conf_tls {
	struct conf_tls_pair
	    *pairs; /* certKeyPairs: the first is the default */
	size_t npairs;
	char **root_cas; /* rootCAs (clients) */
	size_t nroot_cas;
	char **client_cas; /* clientCAs: trusted for client certificates */
	size_t nclient_cas;
	char **next_protos; /* ALPN: "http/1.1" only */
	size_t nnext_protos;
	char *server_name;        /* clients */
	int insecure_skip_verify; /* clients */
	int client_auth;          /* enum conf_client_auth */
	int *ciphers;             /* tlsCipher: IANA numbers, TLS <= 1.2 */
	size_t nciphers;
	int *curves; /* curvePreferences: Go CurveID numbers */
	size_t ncurves;
	int session_tickets_disabled;
	int min_version; /* 0x0301 (TLS 1.0) .. 0x0304 (TLS 1.3) */
	int max_version;
	int dynamic_record_sizing_disabled; /* accepted; no effect */
	int renegotiation;                  /* accepted; never renegotiates */
	struct conf_pos pos;                /* the tlsConfig mapping */
	struct conf_pos client_cas_pos;     /* the clientCAs list */
	struct conf_pos root_cas_pos;       /* the rootCAs list */
	void *rt; /* built by tls.c at load: the SSL_CTXs (struct tls_server) */
};

struct conf_server {
	char *id;
	/*
	 * Middleware of the server: every request, routed or not, first
	 * outermost, once each (virtual hosts and handlers have theirs)
	 */
	struct conf_ware *middleware;
	size_t nmiddleware;
	char *addr; /* as written, e.g. ":8080" */
	char *host; /* NULL or "" for any address */
	char *port;
	int family; /* AF_UNSPEC; AF_INET, AF_INET6 for tcp4://, tcp6:// */
	int shutdown_timeout; /* seconds; 0: no graceful wait */
	/* httpConfig; times in milliseconds, 0 means none */
	int64_t read_header_timeout;
	int64_t read_timeout;
	int64_t write_timeout;
	int64_t idle_timeout;
	int32_t max_header_bytes;
	/* our limits: request line (414), field count (431), trailers */
	int32_t max_request_line_bytes;
	int32_t max_header_count;
	int32_t max_trailer_bytes;
	/* request body bytes gathered while parked; 0: none (streamed) */
	int32_t request_body_buffer;
	int disable_keep_alive;
	int enable_general_options;
	struct conf_tls *tls; /* listenConfig.tlsConfig; NULL: plain TCP */
	/* listenConfig: client allow-list, deadlines from accept (ms; 0:
	 * none), socket options */
	struct netacl networks;
	int64_t read_deadline;
	int64_t write_deadline;
	struct sockopt_set *sockopts;
	struct conf_errhandler *errhandler; /* metadata.errorHandler or NULL */
	struct conf_vhost *vhosts;
	size_t nvhosts;
	struct conf_pos pos;
};

#define CONF_MAX_WORKERS 4096 /* bound of every pool size setting */

/*
 * Process model: our extension, Entrypoint spec.processConfig.  Pool sizes
 * of 0 mean "automatic" (see pool.h); workers > 0 is a fixed-size pool.
 */
struct conf_process {
	int workers; /* fixed pool size; 0 => dynamic pool */
	int start_workers;
	int min_spare_workers;
	int max_spare_workers;
	int max_workers;
	int64_t max_requests_per_worker; /* 0: unlimited */
	char *user;  /* workers' user; NULL: see aileron(8) */
	char *group; /* NULL: the user's primary group */
	int allow_root_workers;
	char *pid_file; /* NULL: none unless -p */
};

struct conf {
	struct arena *arena;
	int has_entrypoint;
	struct conf_process process;
	struct conf_server **servers; /* the Entrypoint runners, in order */
	size_t nservers;
	struct conf_proxy **proxies; /* every proxy referenced, once each */
	size_t nproxies;
	struct health *health; /* upstream health state, see health.h */
	struct conf_errhandler *default_errhandler; /* Entrypoint's, or NULL */
	void *tls_default; /* SSL_CTX for HTTPS upstreams without a tlsConfig */
	struct log_logger
	    *default_logger; /* Entrypoint defaultLogger or NULL */
	int *log_fds; /* log files this config opened (closed by conf_free) */
	size_t nlog_fds;
	struct log_logger **file_loggers; /* File SLoggers that rotate */
	size_t nfile_loggers;
	void **log_regexes; /* compiled replacer patterns (pcre2_code *) */
	size_t nlog_regexes;
	/*
	 * HTTPLogger bodyOutputPath directories this start created: the
	 * master gives them to the worker user, which writes the files.
	 */
	char **body_dirs;
	size_t nbody_dirs;
	/* what kinds built outside the arena, freed last first (conf_at_free) */
	struct conf_cleanup {
		void (*fn)(void *);
		void *arg;
	} * cleanups;
	size_t ncleanups;
};

/* Error reporting sink; the loader calls it once per error. */
typedef void (*conf_error_fn)(void *ctx, const char *msg);

/*
 * Load the config from paths (files or directories, read non-recursively;
 * only .yaml/.yml/.json files).  Every error is reported through err as
 * "file:line:column: message"; returns NULL if there was any error.
 */
struct conf *conf_load(
    char *const *paths, size_t npaths, conf_error_fn err, void *ctx);

/*
 * Whether loading opens the log files of File SLoggers, as a start and -c
 * do (-c only those that exist: it creates no file and no directory, see
 * below); 1 by default.  The config fuzzer sets 0, so that its inputs cannot create
 * files: such loggers then discard their lines.
 */
extern int conf_open_log_files;

/*
 * Whether loading resolves host names that kinds resolve in the master
 * (RedisClient's addrs); 1 by default.  The config fuzzer sets 0, so that
 * its inputs cause no lookups: the names are then left to the workers.
 */
extern int conf_resolve_names;

/*
 * Resolve up's host (or its replaceTargets address) into up->addrs, in
 * the master at load; a name that does not resolve is a warning (the
 * workers then resolve it when they dial).  Unless conf_resolve_names is 0.
 */
void conf_upstream_resolve(struct loader *ld, struct conf_upstream *up);

/*
 * Whether loading creates a missing SLogger logDir (and its parents)
 * before opening its file: set for a start and its reloads, never for
 * -c, -s or -t, which must not touch the file system (a check only warns
 * that the directory will be created); 0 by default.
 */
extern int conf_make_log_dirs;

/* Load from an in-memory text (tests); name is used in messages. */
struct conf *conf_load_string(
    const char *name, const char *text, conf_error_fn err, void *ctx);

void conf_free(struct conf *c);

/* Load KEY=VALUE env file into the environment; -1 on error (reported). */
int conf_load_env_file(const char *path, conf_error_fn err, void *ctx);

#endif
