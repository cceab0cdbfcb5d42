/* Cron expressions (AILERON's zcron): parse once, test each second. */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "cron.h"

#define CRON_EXPR_MAX 256

static const char *const cron_months[] = { "JAN", "FEB", "MAR", "APR", "MAY",
	"JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC", NULL };
static const char *const cron_days[] = { "SUN", "MON", "TUE", "WED", "THU",
	"FRI", "SAT", NULL };

/* @aliases, as zcron expands them (five fields). */
static const struct {
	const char *name;
	const char *expr;
} cron_aliases[] = {
	{ "@monthly", "0 0 1 * *" },
	{ "@weekly", "0 0 * * 0" },
	{ "@daily", "0 0 * * *" },
	{ "@hourly", "0 * * * *" },
	{ "@sunday", "0 0 * * 0" },
	{ "@monday", "0 0 * * 1" },
	{ "@tuesday", "0 0 * * 2" },
	{ "@wednesday", "0 0 * * 3" },
	{ "@thursday", "0 0 * * 4" },
	{ "@friday", "0 0 * * 5" },
	{ "@saturday", "0 0 * * 6" },
	{ NULL, NULL },
};

/* One number or a name of names[] (offset by base); -1 if neither. */
static int
cron_number(const char *s, size_t len, const char *const *names, int base)
{
	char *end;
	long v;
	size_t i;

	if (len == 0)
		return -1;
	if (isdigit((unsigned char)s[0])) {
		errno = 0;
		v = strtol(s, &end, 10);
		if (errno != 0 || (size_t)(end - s) != len || v > INT_MAX)
			return -1;
		return (int)v;
	}
	for (i = 0; names != NULL && names[i] != NULL; i++)
		if (len == 3 && strncasecmp(s, names[i], 3) == 0)
			return (int)i + base;
	return -1;
}

/*
 * One field: comma-separated *, n, a-b, each with an optional /step
 * (n/step runs from n to the maximum, as zcron does).  0 or -1.
 */
static int
cron_field(const char *s, size_t len, int lo, int hi, const char *const *names,
    int base, uint64_t *bits)
{
	const char *p = s, *end = s + len, *item, *slash, *dash;
	int a, b, step, v, stepped;

	*bits = 0;
	while (p <= end) {
		item = p;
		while (p < end && *p != ',')
			p++;
		slash = memchr(item, '/', (size_t)(p - item));
		step = 1;
		stepped = slash != NULL;
		if (stepped) {
			step = cron_number(
			    slash + 1, (size_t)(p - slash - 1), NULL, 0);
			if (step <= 0)
				return -1;
		} else
			slash = p;
		if (slash - item == 1 && *item == '*') {
			a = lo;
			b = hi;
		} else {
			dash = memchr(item, '-', (size_t)(slash - item));
			if (dash == NULL)
				dash = slash;
			a = cron_number(
			    item, (size_t)(dash - item), names, base);
			b = dash == slash
			    ? a
			    : cron_number(dash + 1, (size_t)(slash - dash - 1),
			          names, base);
			if (a < lo || b > hi || a > b)
				return -1;
			if (dash == slash && stepped)
				b = hi;
		}
		for (v = a; v <= b; v += step)
			*bits |= (uint64_t)1 << v;
		p++;
	}
	return 0;
}

/* Is zone a name we can use: UTC, Local, or a zoneinfo file? */
static int
cron_zone_ok(const char *zone)
{
	const char *dir = getenv("TZDIR");
	char path[PATH_MAX];
	const char *p;

	if (strcmp(zone, "UTC") == 0 || strcmp(zone, "Local") == 0)
		return 1;
	if (zone[0] == '\0' || zone[0] == '/' || strstr(zone, "..") != NULL)
		return 0;
	for (p = zone; *p != '\0'; p++)
		if (!isalnum((unsigned char)*p) && strchr("/_+-", *p) == NULL)
			return 0;
	snprintf(path, sizeof(path), "%s/%s",
	    dir != NULL && dir[0] != '\0' ? dir : "/usr/share/zoneinfo", zone);
	return access(path, R_OK) == 0;
}

/* Can the schedule ever fire (a day of month that some month has)? */
static int
cron_schedulable(const struct cron *c)
{
	static const int mdays[13] = { 0, 31, 29, 31, 30, 31, 30, 31, 31, 30,
		31, 30, 31 };
	int m, d;

	for (m = 1; m <= 12; m++)
		for (d = 1; d <= mdays[m]; d++)
			if ((c->mon & ((uint64_t)1 << m)) &&
			    (c->dom & ((uint64_t)1 << d)))
				return 1;
	return 0;
}

int
cron_parse(struct cron *c, const char *expr, char *err, size_t errsize)
{
	static const char *const what[] = { "second", "minute", "hour",
		"day of month", "month", "day of week" };
	static const int lo[] = { 0, 0, 0, 1, 1, 0 };
	static const int hi[] = { 59, 59, 23, 31, 12, 6 };
	uint64_t *bits[6];
	char buf[CRON_EXPR_MAX], *f[8], *p, *save = NULL;
	const char *const *names;
	int n = 0, i, first;
	size_t a;

	memset(c, 0, sizeof(*c));
	bits[0] = &c->sec, bits[1] = &c->min, bits[2] = &c->hour;
	bits[3] = &c->dom, bits[4] = &c->mon, bits[5] = &c->dow;
	if (strlen(expr) >= sizeof(buf)) {
		snprintf(err, errsize, "cron expression too long");
		return -1;
	}
	snprintf(buf, sizeof(buf), "%s", expr);
	for (p = strtok_r(buf, " \t\r\n\f", &save); p != NULL;
	     p = strtok_r(NULL, " \t\r\n\f", &save)) {
		if (n == 8) {
			snprintf(err, errsize,
			    "cron \"%s\": invalid number of fields", expr);
			return -1;
		}
		f[n++] = p;
	}
	first = 0;
	if (n > 0 &&
	    (strncmp(f[0], "TZ=", 3) == 0 ||
	        strncmp(f[0], "CRON_TZ=", 8) == 0)) {
		p = strchr(f[0], '=') + 1;
		if (!cron_zone_ok(p) || strlen(p) >= sizeof(c->tz)) {
			snprintf(err, errsize,
			    "cron \"%s\": unknown time zone \"%s\"", expr, p);
			return -1;
		}
		if (strcmp(p, "Local") != 0)
			snprintf(c->tz, sizeof(c->tz), "%s", p);
		first = 1;
	}
	if (n > first && f[first][0] == '@') {
		for (a = 0; cron_aliases[a].name != NULL; a++)
			if (strcasecmp(f[first], cron_aliases[a].name) == 0)
				break;
		if (cron_aliases[a].name == NULL || n - first != 1) {
			snprintf(err, errsize,
			    "cron \"%s\": unknown alias %s (@every is not "
			    "supported)",
			    expr, f[first]);
			return -1;
		}
		snprintf(buf, sizeof(buf), "%s", cron_aliases[a].expr);
		n = first = 0;
		for (p = strtok_r(buf, " ", &save); p != NULL;
		     p = strtok_r(NULL, " ", &save))
			f[n++] = p;
	}
	n -= first;
	if (n != 5 && n != 6) {
		snprintf(err, errsize,
		    "cron \"%s\": invalid number of fields (5 or 6 wanted)",
		    expr);
		return -1;
	}
	if (n == 5)
		c->sec = 1; /* second 0 */
	for (i = n == 5 ? 1 : 0; i < 6; i++) {
		p = f[first + i - (n == 5 ? 1 : 0)];
		names = i == 4 ? cron_months : i == 5 ? cron_days : NULL;
		if (cron_field(p, strlen(p), lo[i], hi[i], names,
		        i == 4 ? 1 : 0, bits[i]) < 0) {
			snprintf(err, errsize, "cron \"%s\": invalid %s \"%s\"",
			    expr, what[i], p);
			return -1;
		}
	}
	if (!cron_schedulable(c)) {
		snprintf(err, errsize, "cron \"%s\": never scheduled", expr);
		return -1;
	}
	return 0;
}

/* t broken down in zone ("" local time); a named zone switches TZ briefly. */
static void
cron_localtime(const char *zone, time_t t, struct tm *tm)
{
	char *old;

	if (zone[0] == '\0') {
		localtime_r(&t, tm);
		return;
	}
	if (strcmp(zone, "UTC") == 0) {
		gmtime_r(&t, tm);
		return;
	}
	old = getenv("TZ");
	if (old != NULL && (old = strdup(old)) == NULL) {
		localtime_r(&t, tm);
		return;
	}
	setenv("TZ", zone, 1);
	tzset();
	localtime_r(&t, tm);
	if (old != NULL)
		setenv("TZ", old, 1);
	else
		unsetenv("TZ");
	tzset();
	free(old);
}

int
cron_match(const struct cron *c, time_t t)
{
	struct tm tm;

	cron_localtime(c->tz, t, &tm);
	return (c->sec & ((uint64_t)1 << tm.tm_sec)) &&
	    (c->min & ((uint64_t)1 << tm.tm_min)) &&
	    (c->hour & ((uint64_t)1 << tm.tm_hour)) &&
	    (c->dom & ((uint64_t)1 << tm.tm_mday)) &&
	    (c->mon & ((uint64_t)1 << (tm.tm_mon + 1))) &&
	    (c->dow & ((uint64_t)1 << tm.tm_wday));
}
