/* app/v1 OAuthAuthenticationHandler as AuthenticationMiddleware calls it. */
#ifndef AILERON_MW_OAUTH_AUTHN_H
#define AILERON_MW_OAUTH_AUTHN_H

struct request;
struct conf_errhandler;

/* What a handler made of a request (else a HANDLER_* it answered with). */
#define OAUTH_AUTHN_CONTINUE (-100) /* not this handler's: try the next */

/*
 * Authenticate r with the OAuthAuthenticationHandler spec (its config
 * object): HANDLER_DECLINED when the tokens are good (the request goes
 * on), OAUTH_AUTHN_CONTINUE when there is no token, no session (the
 * session flows) or no context for it, or HANDLER_OK / HANDLER_ABORT once
 * it answered: an error (401, 500, ...) through eh (the
 * AuthenticationMiddleware's errorHandler, may be NULL), a redirect of
 * the login flow, a redeemTokenPath answer.  *fapi_id (set to NULL
 * first by the caller) gets the x-fapi-interaction-id to answer with
 * when the request goes on (resourceServerHandler.enabledFAPI).
 */
int oauth_authn_try(const void *spec, struct request *r,
    const struct conf_errhandler *eh, const char **fapi_id);

#endif
