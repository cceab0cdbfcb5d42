/* core/v1 HTTPLogger as middleware (server and virtual host) and as tripperware (ReverseProxyHandler). */
#include "accesslog.h"
#include "middleware.h"

/* The request line, when the request comes in; never answers. */
static int
http_logger_request(void *inst, struct request *r)
{
	accesslog_server_request(inst, r);
	return HANDLER_DECLINED;
}

/* The response line, from what the response writer sent. */
static void
http_logger_done(void *inst, struct request *r)
{
	accesslog_server_response(inst, r);
}

/* The upstream request head, before it is sent. */
static int
http_logger_trip_request(void *inst, struct request *r, struct exchange *x)
{
	accesslog_client_request(inst, r, x);
	return HANDLER_DECLINED;
}

/* The upstream response head, when it has been read. */
static void
http_logger_trip_response(void *inst, struct request *r, struct exchange *x)
{
	accesslog_client_response(inst, r, x);
}

/* The instance is the config object (struct conf_httplogger). */
const struct middleware_ops http_logger_middleware = {
	.name = "core/v1/HTTPLogger",
	.request = http_logger_request,
	.done = http_logger_done,
};

const struct tripperware_ops http_logger_tripperware = {
	.name = "core/v1/HTTPLogger",
	.request = http_logger_trip_request,
	.response = http_logger_trip_response,
};
