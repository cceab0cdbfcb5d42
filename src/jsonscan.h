/* A JSON scanner that finds members and values in place, building nothing (log lines, request bodies). */
#ifndef AILERON_JSONSCAN_H
#define AILERON_JSONSCAN_H

/*
 * One member of an object, as spans of the text: key..key_end is the key
 * with its quotes (still escaped), value..value_end the value as written,
 * without the white space around it.
 */
struct jsonscan_member {
	const char *key, *key_end;
	const char *value, *value_end;
};

/* Past the JSON white space (RFC 8259: space, tab, LF, CR) at p. */
const char *jsonscan_ws(const char *p, const char *end);

/* For p at '"': just past the closing quote, or NULL if it does not close. */
const char *jsonscan_string(const char *p, const char *end);

/*
 * For p at the first byte of a value: just past it, or NULL when there is
 * no value at p or it does not end before end.  A string or a nested
 * object or array is skipped whole (its brackets counted, not matched);
 * a number or literal runs to white space, a structural character or a
 * quote, or to end (a body cut short).
 */
const char *jsonscan_value(const char *p, const char *end);

/*
 * The next member of the object at obj ('{'), for m zeroed before the
 * first call and then left as the last call set it: 1 with m set, 0 after
 * the last member, -1 when the text is not such an object (m unchanged
 * but on 1).  A member is yielded before what follows it is checked: in
 * an object cut short, the members before the cut still count.
 */
int jsonscan_next(const char *obj, const char *end, struct jsonscan_member *m);

#endif
