/* Name <-> value tables for AILERON's enums (EncodingType, HashAlg, ...). */
#ifndef AILERON_KNAME_H
#define AILERON_KNAME_H

/* One enum value and its AILERON name; a table ends with a NULL name. */
struct kname {
	const char *name;
	int value;
};

/* The value of name in tab (exact, case-sensitive): 0, or -1 if unknown. */
int kname_lookup(const struct kname *tab, const char *name, int *value);
/* The name of value in tab, or NULL. */
const char *kname_name(const struct kname *tab, int value);

#endif
