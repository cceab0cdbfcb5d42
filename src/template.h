/* -t/-o: AILERON's template output. */
#ifndef AILERON_TEMPLATE_H
#define AILERON_TEMPLATE_H

#include <stddef.h>
#include <stdio.h>

/*
 * Print to fp, as YAML or JSON, the default manifest of what
 * ("Group/Version/Kind") or the manifest "Group/Version/Kind/Namespace/
 * Name" found in paths merged over those defaults.  Returns 0, -1 for a
 * bad or unknown kind, -2 when the named manifest is not in paths.
 */
int template_print(
    FILE *fp, const char *what, int json, char *const *paths, size_t npaths);

#endif
