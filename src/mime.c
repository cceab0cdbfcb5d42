/* MIME types of files: by name extension, or sniffed as Go does. */
#include <stdint.h>
#include <string.h>
#include <strings.h>

#include "mime.h"

/* Extensions (lower case, sorted for bsearch) and their types. */
static const struct mime_ext {
	const char *ext;
	const char *type;
} mime_exts[] = {
	{ "7z", "application/x-7z-compressed" },
	{ "avif", "image/avif" },
	{ "bmp", "image/bmp" },
	{ "css", "text/css; charset=utf-8" },
	{ "csv", "text/csv; charset=utf-8" },
	{ "gif", "image/gif" },
	{ "gz", "application/gzip" },
	{ "htm", "text/html; charset=utf-8" },
	{ "html", "text/html; charset=utf-8" },
	{ "ico", "image/vnd.microsoft.icon" },
	{ "jpeg", "image/jpeg" },
	{ "jpg", "image/jpeg" },
	{ "js", "text/javascript; charset=utf-8" },
	{ "json", "application/json" },
	{ "md", "text/markdown; charset=utf-8" },
	{ "mjs", "text/javascript; charset=utf-8" },
	{ "mp3", "audio/mpeg" },
	{ "mp4", "video/mp4" },
	{ "oga", "audio/ogg" },
	{ "ogg", "audio/ogg" },
	{ "ogv", "video/ogg" },
	{ "otf", "font/otf" },
	{ "pdf", "application/pdf" },
	{ "png", "image/png" },
	{ "svg", "image/svg+xml" },
	{ "tar", "application/x-tar" },
	{ "tif", "image/tiff" },
	{ "tiff", "image/tiff" },
	{ "ttf", "font/ttf" },
	{ "txt", "text/plain; charset=utf-8" },
	{ "wasm", "application/wasm" },
	{ "wav", "audio/x-wav" },
	{ "webm", "video/webm" },
	{ "webp", "image/webp" },
	{ "woff", "font/woff" },
	{ "woff2", "font/woff2" },
	{ "xhtml", "application/xhtml+xml" },
	{ "xml", "text/xml; charset=utf-8" },
	{ "yaml", "application/yaml" },
	{ "yml", "application/yaml" },
	{ "zip", "application/zip" },
};

#define MIME_NEXTS (sizeof(mime_exts) / sizeof(mime_exts[0]))

const char *
mime_by_name(const char *name, size_t len)
{
	size_t i, lo = 0, hi = MIME_NEXTS, elen;
	const char *ext = NULL;
	char low[8];

	/* Go's filepath.Ext: from the last '.' of the last element. */
	for (i = len; i > 0; i--) {
		if (name[i - 1] == '/')
			break;
		if (name[i - 1] == '.') {
			ext = name + i;
			break;
		}
	}
	if (ext == NULL)
		return NULL;
	elen = len - (size_t)(ext - name);
	if (elen == 0 || elen >= sizeof(low))
		return NULL;
	for (i = 0; i < elen; i++) {
		char c = ext[i];

		low[i] = (char)(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
		if (c == '\0')
			return NULL;
	}
	low[elen] = '\0';
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int cmp = strcmp(low, mime_exts[mid].ext);

		if (cmp == 0)
			return mime_exts[mid].type;
		if (cmp < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return NULL;
}

/* Kinds of signatures, as in Go's net/http/sniff.go. */
enum mime_sig_kind {
	MIME_SIG_HTML,      /* case-insensitive tag after white space */
	MIME_SIG_EXACT,     /* prefix */
	MIME_SIG_MASKED,    /* prefix under a mask */
	MIME_SIG_MASKED_WS, /* the same after white space */
	MIME_SIG_MP4,       /* an ftyp box naming an mp4 brand */
};

static const struct mime_sig {
	enum mime_sig_kind kind;
	const char *pat;
	const char *mask; /* MIME_SIG_MASKED*: as long as pat */
	size_t len;
	const char *type;
} mime_sigs[] = {
#define HTML(p)                                        \
	{                                              \
		MIME_SIG_HTML, p, NULL, sizeof(p) - 1, \
		    "text/html; charset=utf-8"         \
	}
#define EXACT(p, t)                                       \
	{                                                 \
		MIME_SIG_EXACT, p, NULL, sizeof(p) - 1, t \
	}
#define MASKED(p, m, t)                                 \
	{                                               \
		MIME_SIG_MASKED, p, m, sizeof(p) - 1, t \
	}
	HTML("<!DOCTYPE HTML"),
	HTML("<HTML"),
	HTML("<HEAD"),
	HTML("<SCRIPT"),
	HTML("<IFRAME"),
	HTML("<H1"),
	HTML("<DIV"),
	HTML("<FONT"),
	HTML("<TABLE"),
	HTML("<A"),
	HTML("<STYLE"),
	HTML("<TITLE"),
	HTML("<B"),
	HTML("<BODY"),
	HTML("<BR"),
	HTML("<P"),
	HTML("<!--"),
	{ MIME_SIG_MASKED_WS, "<?xml", "\xFF\xFF\xFF\xFF\xFF", 5,
	    "text/xml; charset=utf-8" },
	EXACT("%PDF-", "application/pdf"),
	EXACT("%!PS-Adobe-", "application/postscript"),
	MASKED("\xFE\xFF\x00\x00", "\xFF\xFF\x00\x00",
	    "text/plain; charset=utf-16be"),
	MASKED("\xFF\xFE\x00\x00", "\xFF\xFF\x00\x00",
	    "text/plain; charset=utf-16le"),
	MASKED("\xEF\xBB\xBF\x00", "\xFF\xFF\xFF\x00",
	    "text/plain; charset=utf-8"),
	EXACT("\x00\x00\x01\x00", "image/x-icon"),
	EXACT("\x00\x00\x02\x00", "image/x-icon"),
	EXACT("BM", "image/bmp"),
	EXACT("GIF87a", "image/gif"),
	EXACT("GIF89a", "image/gif"),
	MASKED("RIFF\x00\x00\x00\x00WEBPVP",
	    "\xFF\xFF\xFF\xFF\x00\x00\x00\x00\xFF\xFF\xFF\xFF\xFF\xFF",
	    "image/webp"),
	EXACT("\x89PNG\x0D\x0A\x1A\x0A", "image/png"),
	EXACT("\xFF\xD8\xFF", "image/jpeg"),
	MASKED("FORM\x00\x00\x00\x00"
	       "AIFF",
	    "\xFF\xFF\xFF\xFF\x00\x00\x00\x00\xFF\xFF\xFF\xFF", "audio/aiff"),
	EXACT("ID3", "audio/mpeg"),
	EXACT("OggS\x00", "application/ogg"),
	EXACT("MThd\x00\x00\x00\x06", "audio/midi"),
	MASKED("RIFF\x00\x00\x00\x00"
	       "AVI ",
	    "\xFF\xFF\xFF\xFF\x00\x00\x00\x00\xFF\xFF\xFF\xFF", "video/avi"),
	MASKED("RIFF\x00\x00\x00\x00WAVE",
	    "\xFF\xFF\xFF\xFF\x00\x00\x00\x00\xFF\xFF\xFF\xFF", "audio/wave"),
	{ MIME_SIG_MP4, "", NULL, 0, "video/mp4" },
	EXACT("\x1A\x45\xDF\xA3", "video/webm"),
	MASKED("\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0"
	       "\0\0\0\0LP",
	    "\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0"
	    "\0\0\0\0\xFF\xFF",
	    "application/vnd.ms-fontobject"),
	EXACT("\x00\x01\x00\x00", "font/ttf"),
	EXACT("OTTO", "font/otf"),
	EXACT("ttcf", "font/collection"),
	EXACT("wOFF", "font/woff"),
	EXACT("wOF2", "font/woff2"),
	EXACT("\x1F\x8B\x08", "application/x-gzip"),
	EXACT("PK\x03\x04", "application/zip"),
	EXACT("Rar!\x1A\x07\x00", "application/x-rar-compressed"),
	EXACT("Rar!\x1A\x07\x01\x00", "application/x-rar-compressed"),
	EXACT("\x00\x61\x73\x6D", "application/wasm"),
#undef HTML
#undef EXACT
#undef MASKED
};

#define MIME_NSIGS (sizeof(mime_sigs) / sizeof(mime_sigs[0]))

/* White space of the sniffing spec. */
static int
mime_is_ws(unsigned char c)
{
	return c == '\t' || c == '\n' || c == '\x0c' || c == '\r' || c == ' ';
}

/* The mp4 signature: an ftyp box naming an "mp4" brand. */
static int
mime_is_mp4(const unsigned char *d, size_t len)
{
	uint32_t box;
	size_t st;

	if (len < 12)
		return 0;
	box = (uint32_t)d[0] << 24 | (uint32_t)d[1] << 16 |
	    (uint32_t)d[2] << 8 | d[3];
	if (len < box || box % 4 != 0 || memcmp(d + 4, "ftyp", 4) != 0)
		return 0;
	for (st = 8; st < box; st += 4) {
		if (st == 12)
			continue; /* the major brand's version */
		if (memcmp(d + st, "mp4", 3) == 0)
			return 1;
	}
	return 0;
}

/* Does signature s match data (len bytes, ws of them leading space)? */
static int
mime_sig_match(
    const struct mime_sig *s, const unsigned char *d, size_t len, size_t ws)
{
	size_t i;

	if (s->kind == MIME_SIG_MASKED_WS) {
		d += ws;
		len -= ws;
	}
	switch (s->kind) {
	case MIME_SIG_MP4:
		return mime_is_mp4(d, len);
	case MIME_SIG_HTML:
		d += ws;
		len -= ws;
		if (len < s->len + 1)
			return 0;
		for (i = 0; i < s->len; i++) {
			unsigned char b = (unsigned char)s->pat[i], c = d[i];

			if (b >= 'A' && b <= 'Z')
				c &= 0xDF;
			if (b != c)
				return 0;
		}
		return d[s->len] == ' ' || d[s->len] == '>';
	case MIME_SIG_EXACT:
		return len >= s->len && memcmp(d, s->pat, s->len) == 0;
	case MIME_SIG_MASKED_WS:
	case MIME_SIG_MASKED:
		if (len < s->len)
			return 0;
		for (i = 0; i < s->len; i++)
			if ((d[i] & (unsigned char)s->mask[i]) !=
			    (unsigned char)s->pat[i])
				return 0;
		return 1;
	}
	return 0;
}

/* No binary control bytes after the leading white space? */
static int
mime_is_text(const unsigned char *d, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++) {
		unsigned char b = d[i];

		if (b <= 0x08 || b == 0x0B || (b >= 0x0E && b <= 0x1A) ||
		    (b >= 0x1C && b <= 0x1F))
			return 0;
	}
	return 1;
}

const char *
mime_sniff(const void *data, size_t len)
{
	const unsigned char *d = data;
	size_t i, ws = 0;

	if (len > MIME_SNIFF_LEN)
		len = MIME_SNIFF_LEN;
	while (ws < len && mime_is_ws(d[ws]))
		ws++;
	for (i = 0; i < MIME_NSIGS; i++) {
		if (mime_sig_match(&mime_sigs[i], d, len, ws))
			return mime_sigs[i].type;
	}
	if (mime_is_text(d + ws, len - ws))
		return "text/plain; charset=utf-8";
	return "application/octet-stream";
}
