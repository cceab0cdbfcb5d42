/* Cron expressions (AILERON's zcron): 5 or 6 fields, optional TZ=. */
#ifndef AILERON_CRON_H
#define AILERON_CRON_H

#include <stdint.h>
#include <time.h>

#define CRON_TZ_MAX 64

/*
 * A parsed schedule: one bit per allowed value of each field.  Day of
 * month and day of week must both match (AILERON's rule, not Vixie's).
 */
struct cron {
	uint64_t sec, min, hour, dom, mon, dow;
	char tz[CRON_TZ_MAX]; /* "" local time, "UTC", or a zoneinfo name */
};

/*
 * Parse "[TZ=zone] [sec] min hour dom mon dow" with *, lists, ranges,
 * steps, JAN-DEC, SUN-SAT and @hourly, @daily, @weekly, @monthly,
 * @sunday..@saturday.  0, or -1 with a message in err.
 */
int cron_parse(struct cron *c, const char *expr, char *err, size_t errsize);
/* Does the second t (in c's zone) match? */
int cron_match(const struct cron *c, time_t t);

#endif
