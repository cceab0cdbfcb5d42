/* TLS settings of the config: kernel.TLSConfig of listeners and of clients. */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

#include "conf_table.h"
#include "conf_tls.h"

/* Go's cipher suite names with their IANA numbers (tls.go). */
static const struct kname conf_tls_ciphers[] = {
	{ "TLS_RSA_WITH_RC4_128_SHA", 0x0005 },
	{ "TLS_RSA_WITH_3DES_EDE_CBC_SHA", 0x000a },
	{ "TLS_RSA_WITH_AES_128_CBC_SHA", 0x002f },
	{ "TLS_RSA_WITH_AES_256_CBC_SHA", 0x0035 },
	{ "TLS_RSA_WITH_AES_128_CBC_SHA256", 0x003c },
	{ "TLS_RSA_WITH_AES_128_GCM_SHA256", 0x009c },
	{ "TLS_RSA_WITH_AES_256_GCM_SHA384", 0x009d },
	{ "TLS_ECDHE_ECDSA_WITH_RC4_128_SHA", 0xc007 },
	{ "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA", 0xc009 },
	{ "TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA", 0xc00a },
	{ "TLS_ECDHE_RSA_WITH_RC4_128_SHA", 0xc011 },
	{ "TLS_ECDHE_RSA_WITH_3DES_EDE_CBC_SHA", 0xc012 },
	{ "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA", 0xc013 },
	{ "TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA", 0xc014 },
	{ "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256", 0xc023 },
	{ "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256", 0xc027 },
	{ "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256", 0xc02f },
	{ "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256", 0xc02b },
	{ "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384", 0xc030 },
	{ "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384", 0xc02c },
	{ "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256", 0xcca8 },
	{ "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256", 0xcca9 },
	/* TLS 1.3 suites: accepted, not configurable (as in Go). */
	{ "TLS_AES_128_GCM_SHA256", 0x1301 },
	{ "TLS_AES_256_GCM_SHA384", 0x1302 },
	{ "TLS_CHACHA20_POLY1305_SHA256", 0x1303 },
	{ NULL, 0 },
};

/* Go's CurveID names and numbers. */
static const struct kname conf_tls_curves[] = {
	{ "CurveP256", 23 },
	{ "CurveP384", 24 },
	{ "CurveP521", 25 },
	{ "X25519", 29 },
	{ NULL, 0 },
};

static const struct kname conf_tls_client_auths[] = {
	{ "NoClientCert", TLS_AUTH_NONE },
	{ "RequestClientCert", TLS_AUTH_REQUEST },
	{ "RequireAnyClientCert", TLS_AUTH_REQUIRE_ANY },
	{ "VerifyClientCertIfGiven", TLS_AUTH_VERIFY_IF_GIVEN },
	{ "RequireAndVerifyClientCert", TLS_AUTH_REQUIRE_VERIFY },
	{ NULL, 0 },
};

static const struct kname conf_tls_renegotiations[] = {
	{ "RenegotiateNever", 0 },
	{ "RenegotiateOnceAsClient", 1 },
	{ "RenegotiateFreelyAsClient", 2 },
	{ NULL, 0 },
};

static void
conf_tls_check_pair(struct loader *ld, void *obj, yaml_node_t *node)
{
	struct conf_tls_pair *p = obj;

	p->cert_pos = conf_node_pos(ld, conf_field_node(ld, node, "certFile"));
	p->key_pos = conf_node_pos(ld, conf_field_node(ld, node, "keyFile"));
}

static const struct conf_field conf_tls_pair_fields[] = {
	FSTR("certFile", struct conf_tls_pair, cert_file),
	FSTR("keyFile", struct conf_tls_pair, key_file),
	FEND,
};
static const struct conf_table conf_tls_pair_table = { conf_tls_pair_fields,
	conf_tls_check_pair };

/* A TLS version number: 0 (default) or 769 (TLS 1.0) .. 772 (TLS 1.3). */
static int
conf_tls_check_version(
    struct loader *ld, yaml_node_t *node, const char *key, int *v, int def)
{
	if (*v == 0) {
		*v = def;
		return 0;
	}
	if (*v >= 0x0301 && *v <= 0x0304)
		return 0;
	conf_errorn(ld, conf_field_node(ld, node, key),
	    "field \"%s\": unsupported TLS version %d (769 = TLS 1.0, 770 = "
	    "TLS 1.1, 771 = TLS 1.2, 772 = TLS 1.3)",
	    key, *v);
	return -1;
}

static void
conf_tls_check(struct loader *ld, void *obj, yaml_node_t *node)
{
	struct conf_tls *t = obj;
	yaml_node_t *list;
	size_t i;
	int bad;

	t->pos = conf_node_pos(ld, node);
	t->client_cas_pos =
	    conf_node_pos(ld, conf_field_node(ld, node, "clientCAs"));
	t->root_cas_pos =
	    conf_node_pos(ld, conf_field_node(ld, node, "rootCAs"));
	bad = conf_tls_check_version(
	          ld, node, "minVersion", &t->min_version, 0x0303) < 0;
	bad |= conf_tls_check_version(
	           ld, node, "maxVersion", &t->max_version, 0x0304) < 0;
	if (!bad && t->min_version > t->max_version)
		conf_errorn(ld, conf_field_node(ld, node, "minVersion"),
		    "field \"minVersion\": %d is above maxVersion %d",
		    t->min_version, t->max_version);
	list = conf_field_node(ld, node, "nextProtos");
	for (i = 0; i < t->nnext_protos; i++) {
		yaml_node_t *n =
		    list != node && list->type == YAML_SEQUENCE_NODE
		    ? yaml_document_get_node(
		          ld->doc, list->data.sequence.items.start[i])
		    : node;

		if (strcmp(t->next_protos[i], "h2") == 0)
			conf_errorn(ld, n,
			    "field \"nextProtos\": \"h2\": HTTP/2 is not "
			    "supported");
		else if (strcmp(t->next_protos[i], "http/1.1") != 0)
			conf_errorn(ld, n,
			    "field \"nextProtos\": unsupported protocol "
			    "\"%s\" (only \"http/1.1\")",
			    t->next_protos[i]);
	}
	for (i = 0; i < t->npairs; i++)
		if (t->pairs[i].cert_file == NULL ||
		    t->pairs[i].key_file == NULL ||
		    *t->pairs[i].cert_file == '\0' ||
		    *t->pairs[i].key_file == '\0')
			conf_error(ld, &t->pairs[i].cert_pos,
			    "field \"certKeyPairs\": certFile and keyFile are "
			    "both required");
}

static const struct conf_field conf_tls_fields[] = {
	FLIST("certKeyPairs", struct conf_tls, pairs, npairs,
	    struct conf_tls_pair, &conf_tls_pair_table),
	FSTRS("rootCAs", struct conf_tls, root_cas, nroot_cas, CF_UNIQUE),
	FSTRS("nextProtos", struct conf_tls, next_protos, nnext_protos,
	    CF_UNIQUE),
	FSTR("serverName", struct conf_tls, server_name),
	FENUM(
	    "clientAuth", struct conf_tls, client_auth, conf_tls_client_auths),
	FSTRS("clientCAs", struct conf_tls, client_cas, nclient_cas, CF_UNIQUE),
	FBOOL("insecureSkipVerify", struct conf_tls, insecure_skip_verify),
	FENUMS(
	    "tlsCipher", struct conf_tls, ciphers, nciphers, conf_tls_ciphers),
	FBOOL("sessionTicketsDisabled", struct conf_tls,
	    session_tickets_disabled),
	FINT("minVersion", struct conf_tls, min_version, 0, 65535),
	FINT("maxVersion", struct conf_tls, max_version, 0, 65535),
	FENUMS("curvePreferences", struct conf_tls, curves, ncurves,
	    conf_tls_curves),
	FBOOL("dynamicRecordSizingDisabled", struct conf_tls,
	    dynamic_record_sizing_disabled),
	FENUM("renegotiation", struct conf_tls, renegotiation,
	    conf_tls_renegotiations),
	FEND,
};
const struct conf_table conf_tls_table = { conf_tls_fields, conf_tls_check };

/* A client tlsConfig was given: check that its files can be read. */
static void
conf_tls_check_client(struct loader *ld, void *obj, yaml_node_t *node)
{
	struct conf_tls_client *t = obj;
	size_t i, k;

	t->set = 1;
	for (i = 0; i < t->nroot_cas; i++)
		if (access(t->root_cas[i], R_OK) != 0)
			conf_errorn(ld, conf_field_node(ld, node, "rootCAs"),
			    "field \"rootCAs\": %s: %s", t->root_cas[i],
			    strerror(errno));
	for (i = 0; i < t->npairs; i++) {
		const char *files[2] = { t->pairs[i].cert_file,
			t->pairs[i].key_file };

		for (k = 0; k < 2; k++) {
			if (files[k] == NULL)
				conf_errorn(ld,
				    conf_field_node(ld, node, "certKeyPairs"),
				    "field \"certKeyPairs\": certFile and "
				    "keyFile are required");
			else if (access(files[k], R_OK) != 0)
				conf_errorn(ld,
				    conf_field_node(ld, node, "certKeyPairs"),
				    "field \"certKeyPairs\": %s: %s", files[k],
				    strerror(errno));
		}
	}
	if ((t->min_version != 0 &&
	        (t->min_version < 769 || t->min_version > 772)) ||
	    (t->max_version != 0 &&
	        (t->max_version < 769 || t->max_version > 772)))
		conf_errorn(ld, node,
		    "%s: minVersion and maxVersion must be 769 (TLS 1.0) to "
		    "772 (TLS 1.3)",
		    ld->path);
}

static const struct conf_field conf_tls_cert_pair_fields[] = {
	FSTR("certFile", struct conf_cert_pair, cert_file),
	FSTR("keyFile", struct conf_cert_pair, key_file),
	FEND,
};
static const struct conf_table conf_tls_cert_pair_table = {
	conf_tls_cert_pair_fields, NULL
};

static const struct conf_field conf_tls_client_fields[] = {
	FLIST("certKeyPairs", struct conf_tls_client, pairs, npairs,
	    struct conf_cert_pair, &conf_tls_cert_pair_table),
	FSTRS(
	    "rootCAs", struct conf_tls_client, root_cas, nroot_cas, CF_UNIQUE),
	FSTR("serverName", struct conf_tls_client, server_name),
	FBOOL(
	    "insecureSkipVerify", struct conf_tls_client, insecure_skip_verify),
	FINT("minVersion", struct conf_tls_client, min_version, 0, 65535),
	FINT("maxVersion", struct conf_tls_client, max_version, 0, 65535),
	FUNSUP("nextProtos", NULL),
	FUNSUP("clientAuth", NULL),
	FUNSUP("clientCAs", NULL),
	FUNSUP("tlsCipher", NULL),
	FUNSUP("sessionTicketsDisabled", NULL),
	FUNSUP("curvePreferences", NULL),
	FUNSUP("dynamicRecordSizingDisabled", NULL),
	FUNSUP("renegotiation", NULL),
	FEND,
};
const struct conf_table conf_tls_client_table = { conf_tls_client_fields,
	conf_tls_check_client };
