/* A JSON scanner that finds members and values in place, building nothing (log lines, request bodies). */
#include <stddef.h>

#include "jsonscan.h"

const char *
jsonscan_ws(const char *p, const char *end)
{
	while (p < end && (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r'))
		p++;
	return p;
}

const char *
jsonscan_string(const char *p, const char *end)
{
	for (p++; p < end; p++) {
		if (*p == '"')
			return p + 1;
		if (*p == '\\' && ++p == end)
			break; /* not past end: an escape cut short */
	}
	return NULL;
}

/* Whether c ends a number or a literal. */
static int
jsonscan_delim(char c)
{
	switch (c) {
	case ' ':
	case '\t':
	case '\n':
	case '\r':
	case '{':
	case '}':
	case '[':
	case ']':
	case ':':
	case ',':
	case '"':
		return 1;
	default:
		return 0;
	}
}

const char *
jsonscan_value(const char *p, const char *end)
{
	const char *s = p;
	int depth = 0;

	if (p >= end)
		return NULL;
	if (*p == '"')
		return jsonscan_string(p, end);
	if (*p != '{' && *p != '[') {
		while (p < end && !jsonscan_delim(*p))
			p++;
		return p > s ? p : NULL;
	}
	for (; p < end; p++) {
		if (*p == '"') {
			if ((p = jsonscan_string(p, end)) == NULL)
				return NULL;
			p--;
		} else if (*p == '{' || *p == '[')
			depth++;
		else if ((*p == '}' || *p == ']') && --depth == 0)
			return p + 1;
	}
	return NULL;
}

int
jsonscan_next(const char *obj, const char *end, struct jsonscan_member *m)
{
	const char *p, *k, *ke, *v, *ve;

	if (m->value_end == NULL) { /* the first call */
		if (obj >= end || *obj != '{')
			return -1;
		p = jsonscan_ws(obj + 1, end);
		if (p < end && *p == '}')
			return 0;
	} else {
		p = jsonscan_ws(m->value_end, end);
		if (p < end && *p == '}')
			return 0;
		if (p >= end || *p != ',')
			return -1;
		p = jsonscan_ws(p + 1, end);
	}
	if (p >= end || *p != '"' || (ke = jsonscan_string(p, end)) == NULL)
		return -1;
	k = p;
	p = jsonscan_ws(ke, end);
	if (p >= end || *p != ':')
		return -1;
	v = jsonscan_ws(p + 1, end);
	if ((ve = jsonscan_value(v, end)) == NULL)
		return -1;
	m->key = k;
	m->key_end = ke;
	m->value = v;
	m->value_end = ve;
	return 1;
}
