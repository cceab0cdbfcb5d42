/* TLS settings of the config: the tables kinds nest as tlsConfig. */
#ifndef AILERON_CONF_TLS_H
#define AILERON_CONF_TLS_H

#include "conf_table.h"

/* A listener's kernel.TLSConfig, into struct conf_tls. */
extern const struct conf_table conf_tls_table;

/* A client's kernel.TLSConfig, into struct conf_tls_client. */
extern const struct conf_table conf_tls_client_table;

#endif
