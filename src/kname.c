/* Name <-> value tables for AILERON's enums (EncodingType, HashAlg, ...). */
#include <string.h>

#include "kname.h"

int
kname_lookup(const struct kname *tab, const char *name, int *value)
{
	for (; tab->name != NULL; tab++) {
		if (strcmp(tab->name, name) == 0) {
			*value = tab->value;
			return 0;
		}
	}
	return -1;
}

const char *
kname_name(const struct kname *tab, int value)
{
	for (; tab->name != NULL; tab++)
		if (tab->value == value)
			return tab->name;
	return NULL;
}
