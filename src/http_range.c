/* Range requests and conditional requests, as Go's http.ServeContent. */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "http_range.h"

/* Go's textproto.TrimString white space. */
static int
range_is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

/* Trim white space from both ends of [*s, *s + *len). */
static void
range_trim(const char **s, size_t *len)
{
	while (*len > 0 && range_is_space(**s)) {
		(*s)++;
		(*len)--;
	}
	while (*len > 0 && range_is_space((*s)[*len - 1]))
		(*len)--;
}

/*
 * Go's strconv.ParseInt(s, 10, 64): an optional sign and decimal digits,
 * no overflow.  0 and the value in *v, or -1.
 */
static int
range_int(const char *s, size_t len, int64_t *v)
{
	uint64_t x = 0, lim = INT64_MAX;
	size_t i = 0;
	int neg = 0;

	if (len > 0 && (s[0] == '+' || s[0] == '-')) {
		neg = s[0] == '-';
		lim += (uint64_t)neg;
		i = 1;
	}
	if (i == len)
		return -1;
	for (; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		if (x > (lim - (uint64_t)(s[i] - '0')) / 10)
			return -1;
		x = x * 10 + (uint64_t)(s[i] - '0');
	}
	*v = neg ? (int64_t)(0 - x) : (int64_t)x;
	return 0;
}

/* Parse one non-empty, trimmed range-spec into r; 1 when it lies past size. */
static int
range_spec(const char *s, size_t len, int64_t size, struct http_range *r)
{
	const char *dash = memchr(s, '-', len), *e;
	size_t sl, el;
	int64_t i, j;

	if (dash == NULL)
		return HTTP_RANGE_INVALID;
	sl = (size_t)(dash - s);
	e = dash + 1;
	el = len - sl - 1;
	range_trim(&s, &sl);
	range_trim(&e, &el);
	if (sl == 0) {
		/* A suffix: the last j bytes. */
		if (el == 0 || e[0] == '-' || range_int(e, el, &j) < 0 || j < 0)
			return HTTP_RANGE_INVALID;
		if (j > size)
			j = size;
		r->start = size - j;
		r->length = j;
		return 0;
	}
	if (range_int(s, sl, &i) < 0 || i < 0)
		return HTTP_RANGE_INVALID;
	if (i >= size)
		return 1;
	r->start = i;
	if (el == 0) {
		r->length = size - i;
		return 0;
	}
	if (range_int(e, el, &j) < 0 || i > j)
		return HTTP_RANGE_INVALID;
	if (j >= size)
		j = size - 1;
	r->length = j - i + 1;
	return 0;
}

int
http_range_parse(
    const char *s, size_t len, int64_t size, struct http_range *out, size_t *n)
{
	size_t i, start, count = 0;
	int no_overlap = 0, too_many = 0;
	int64_t sum = 0;

	*n = 0;
	if (len < 6 || memcmp(s, "bytes=", 6) != 0)
		return HTTP_RANGE_INVALID;
	for (start = i = 6; i <= len; i++) {
		const char *p = s + start;
		size_t pl = i - start;
		struct http_range r;
		int rv;

		if (i < len && s[i] != ',')
			continue;
		start = i + 1;
		range_trim(&p, &pl);
		if (pl == 0)
			continue;
		if ((rv = range_spec(p, pl, size, &r)) < 0)
			return rv;
		if (rv == 1) {
			no_overlap = 1;
			continue;
		}
		if (count == HTTP_RANGE_MAX) {
			too_many = 1;
			continue;
		}
		out[count++] = r;
		sum += r.length;
	}
	if (no_overlap && count == 0 && !too_many)
		return size == 0 ? 0 : HTTP_RANGE_NO_OVERLAP;
	if (too_many || sum > size)
		return 0;
	*n = count;
	return 0;
}

size_t
http_range_content_range(
    const struct http_range *r, int64_t size, char *buf, size_t bufsize)
{
	int len =
	    snprintf(buf, bufsize, "bytes %" PRId64 "-%" PRId64 "/%" PRId64,
	        r->start, r->start + r->length - 1, size);

	return len < 0 || (size_t)len >= bufsize ? 0 : (size_t)len;
}

static const char *const range_days[] = { "Sun", "Mon", "Tue", "Wed", "Thu",
	"Fri", "Sat" };
static const char *const range_longdays[] = { "Sunday", "Monday", "Tuesday",
	"Wednesday", "Thursday", "Friday", "Saturday" };
static const char *const range_months[] = { "Jan", "Feb", "Mar", "Apr", "May",
	"Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };

/* Read exactly n digits at *s (a leading space allowed when sp); -1 if not. */
static int
range_digits(const char **s, const char *end, int n, int sp)
{
	int v = 0, i;

	if (sp && *s < end && **s == ' ') {
		(*s)++;
		n--;
	}
	if (end - *s < n)
		return -1;
	for (i = 0; i < n; i++) {
		if ((*s)[i] < '0' || (*s)[i] > '9')
			return -1;
		v = v * 10 + ((*s)[i] - '0');
	}
	*s += n;
	return v;
}

/* Match literal lit at *s and step over it. */
static int
range_lit(const char **s, const char *end, const char *lit)
{
	size_t l = strlen(lit);

	if ((size_t)(end - *s) < l || memcmp(*s, lit, l) != 0)
		return -1;
	*s += l;
	return 0;
}

/* Match one name of names[n] at *s; its index, or -1. */
static int
range_name(const char **s, const char *end, const char *const *names, int n)
{
	int i;

	for (i = 0; i < n; i++) {
		size_t l = strlen(names[i]);

		/* Go's time.Parse compares names without regard to case. */
		if ((size_t)(end - *s) >= l &&
		    strncasecmp(*s, names[i], l) == 0) {
			*s += l;
			return i;
		}
	}
	return -1;
}

/* "15:04:05" into tm. */
static int
range_clock(const char **s, const char *end, struct tm *tm)
{
	if ((tm->tm_hour = range_digits(s, end, 2, 0)) < 0 ||
	    range_lit(s, end, ":") < 0 ||
	    (tm->tm_min = range_digits(s, end, 2, 0)) < 0 ||
	    range_lit(s, end, ":") < 0 ||
	    (tm->tm_sec = range_digits(s, end, 2, 0)) < 0)
		return -1;
	return tm->tm_hour > 23 || tm->tm_min > 59 || tm->tm_sec > 59 ? -1 : 0;
}

/* Days in month m (0-11) of year y. */
static int
range_mdays(int m, int y)
{
	static const int d[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30,
		31 };

	if (m == 1 && (y % 4 == 0 && (y % 100 != 0 || y % 400 == 0)))
		return 29;
	return d[m];
}

int
http_date_parse(const char *s, size_t len, time_t *t)
{
	const char *p, *end = s + len;
	struct tm tm;
	int y;

	memset(&tm, 0, sizeof(tm));
	/* IMF-fixdate: "Mon, 02 Jan 2006 15:04:05 GMT". */
	p = s;
	if (range_name(&p, end, range_days, 7) >= 0 &&
	    range_lit(&p, end, ", ") == 0 &&
	    (tm.tm_mday = range_digits(&p, end, 2, 0)) >= 0 &&
	    range_lit(&p, end, " ") == 0 &&
	    (tm.tm_mon = range_name(&p, end, range_months, 12)) >= 0 &&
	    range_lit(&p, end, " ") == 0 &&
	    (y = range_digits(&p, end, 4, 0)) >= 0 &&
	    range_lit(&p, end, " ") == 0 && range_clock(&p, end, &tm) == 0 &&
	    range_lit(&p, end, " GMT") == 0 && p == end)
		goto done;
	/* RFC 850: "Monday, 02-Jan-06 15:04:05 GMT" (any zone name). */
	p = s;
	if (range_name(&p, end, range_longdays, 7) >= 0 &&
	    range_lit(&p, end, ", ") == 0 &&
	    (tm.tm_mday = range_digits(&p, end, 2, 0)) >= 0 &&
	    range_lit(&p, end, "-") == 0 &&
	    (tm.tm_mon = range_name(&p, end, range_months, 12)) >= 0 &&
	    range_lit(&p, end, "-") == 0 &&
	    (y = range_digits(&p, end, 2, 0)) >= 0 &&
	    range_lit(&p, end, " ") == 0 && range_clock(&p, end, &tm) == 0 &&
	    range_lit(&p, end, " GMT") == 0 && p == end) {
		y += y >= 69 ? 1900 : 2000;
		goto done;
	}
	/* asctime: "Mon Jan _2 15:04:05 2006". */
	p = s;
	if (range_name(&p, end, range_days, 7) >= 0 &&
	    range_lit(&p, end, " ") == 0 &&
	    (tm.tm_mon = range_name(&p, end, range_months, 12)) >= 0 &&
	    range_lit(&p, end, " ") == 0 &&
	    (tm.tm_mday = range_digits(&p, end, 2, 1)) >= 0 &&
	    range_lit(&p, end, " ") == 0 && range_clock(&p, end, &tm) == 0 &&
	    range_lit(&p, end, " ") == 0 &&
	    (y = range_digits(&p, end, 4, 0)) >= 0 && p == end)
		goto done;
	return -1;
done:
	if (tm.tm_mday < 1 || tm.tm_mday > range_mdays(tm.tm_mon, y))
		return -1;
	tm.tm_year = y - 1900;
	*t = timegm(&tm);
	return 0;
}

void
http_date_format(time_t t, char *buf)
{
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(buf, 30, "%a, %d %b %Y %H:%M:%S GMT", &tm);
}

/*
 * Scan an entity tag at the start of [*s, end) after white space: W/"x" or
 * "x".  Returns its length with *s at its start, or 0 when there is none.
 */
static size_t
range_etag(const char **s, const char *end)
{
	const char *p;

	while (*s < end && range_is_space(**s))
		(*s)++;
	p = *s;
	if (end - p >= 2 && p[0] == 'W' && p[1] == '/')
		p += 2;
	if (end - p < 2 || *p != '"')
		return 0;
	for (p++; p < end; p++) {
		unsigned char c = (unsigned char)*p;

		if (c == '"')
			return (size_t)(p + 1 - *s);
		if (!(c == 0x21 || (c >= 0x23 && c <= 0x7E) || c >= 0x80))
			return 0;
	}
	return 0;
}

/* Strong comparison (both strong and equal) or weak comparison. */
static int
range_etag_eq(const char *a, size_t al, const char *b, int weak)
{
	size_t bl = strlen(b);

	if (!weak)
		return al == bl && al > 0 && a[0] == '"' &&
		    memcmp(a, b, al) == 0;
	if (al >= 2 && a[0] == 'W' && a[1] == '/') {
		a += 2;
		al -= 2;
	}
	if (bl >= 2 && b[0] == 'W' && b[1] == '/') {
		b += 2;
		bl -= 2;
	}
	return al == bl && memcmp(a, b, al) == 0;
}

/* Conditions: no field, true, false. */
enum range_cond { COND_NONE, COND_TRUE, COND_FALSE };

/*
 * Walk the list of entity tags in a field: COND_TRUE when one matches
 * etag (or "*"), COND_FALSE otherwise.
 */
static enum range_cond
range_etag_list(const char *s, size_t len, const char *etag, int weak)
{
	const char *end = s + len;

	for (;;) {
		size_t tl;

		while (s < end && range_is_space(*s))
			s++;
		if (s == end)
			break;
		if (*s == ',') {
			s++;
			continue;
		}
		if (*s == '*')
			return COND_TRUE;
		if ((tl = range_etag(&s, end)) == 0)
			break;
		if (etag != NULL && range_etag_eq(s, tl, etag, weak))
			return COND_TRUE;
		s += tl;
	}
	return COND_FALSE;
}

/* If-Unmodified-Since or If-Modified-Since: is mtime after the date? */
static enum range_cond
range_after(const char *s, size_t len, time_t mtime)
{
	time_t t;

	if (s == NULL || len == 0 || mtime == 0 ||
	    http_date_parse(s, len, &t) < 0)
		return COND_NONE;
	return mtime > t ? COND_TRUE : COND_FALSE;
}

int
http_cond_check(
    const struct http_cond *c, time_t mtime, const char *etag, int *use_range)
{
	enum range_cond ch = COND_NONE;
	time_t t;

	*use_range = 1;
	if (c->if_match != NULL && c->if_match_len > 0)
		ch = range_etag_list(c->if_match, c->if_match_len, etag, 0);
	else if ((ch = range_after(c->if_unmodified_since,
	              c->if_unmodified_since_len, mtime)) != COND_NONE)
		ch = ch == COND_TRUE ? COND_FALSE : COND_TRUE;
	if (ch == COND_FALSE)
		return 412;
	if (c->if_none_match != NULL && c->if_none_match_len > 0) {
		if (range_etag_list(c->if_none_match, c->if_none_match_len,
		        etag, 1) == COND_TRUE)
			return c->get_or_head ? 304 : 412;
	} else if (c->get_or_head &&
	    range_after(c->if_modified_since, c->if_modified_since_len,
	        mtime) == COND_FALSE)
		return 304;
	/* If-Range: an entity tag compared strongly, or the exact date. */
	if (c->if_range != NULL && c->if_range_len > 0 && c->get_or_head) {
		const char *p = c->if_range;
		size_t tl = range_etag(&p, c->if_range + c->if_range_len);

		if (tl > 0)
			*use_range =
			    etag != NULL && range_etag_eq(p, tl, etag, 0);
		else
			*use_range = mtime != 0 &&
			    http_date_parse(c->if_range, c->if_range_len, &t) ==
			        0 &&
			    t == mtime;
	}
	return 0;
}

size_t
http_range_part_head(char *buf, size_t size, const char *boundary, int first,
    const struct http_range *r, int64_t total, const char *ctype)
{
	int len = snprintf(buf, size,
	    "%s--%s\r\nContent-Range: bytes %" PRId64 "-%" PRId64 "/%" PRId64
	    "\r\nContent-Type: %s\r\n\r\n",
	    first ? "" : "\r\n", boundary, r->start, r->start + r->length - 1,
	    total, ctype);

	return len < 0 || (size_t)len >= size ? 0 : (size_t)len;
}

size_t
http_range_part_tail(char *buf, size_t size, const char *boundary)
{
	int len = snprintf(buf, size, "\r\n--%s--\r\n", boundary);

	return len < 0 || (size_t)len >= size ? 0 : (size_t)len;
}

int64_t
http_range_multipart_size(const struct http_range *r, size_t n,
    const char *boundary, int64_t total, const char *ctype)
{
	char buf[HTTP_RANGE_PART_HEAD_MAX];
	int64_t sum = 0;
	size_t i;

	for (i = 0; i < n; i++)
		sum += (int64_t)http_range_part_head(buf, sizeof(buf), boundary,
		           i == 0, &r[i], total, ctype) +
		    r[i].length;
	return sum + (int64_t)http_range_part_tail(buf, sizeof(buf), boundary);
}
