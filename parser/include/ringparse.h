/*
 * ringparse: a zero-copy, incremental, allocation-free HTTP/1.1 parser.
 *
 * Results never copy: every span is an (offset, length) pair relative to the
 * start of the message the caller passed in, so a caller that moves its
 * buffer (to carry a partial request over) keeps every result valid.
 *
 * One return convention everywhere:
 *   > 0              complete; that many bytes were consumed
 *   RP_INCOMPLETE    need more bytes; call again with the same message start
 *                    and more bytes after it (the buffer may have moved)
 *   RP_ERROR         the message breaks a rule; m->error names it
 *
 * Resuming is linear: the message remembers how far it has validated, so a
 * client that sends one byte at a time costs O(1) work per byte, not a rescan.
 *
 * Policy (strict, RFC 9112) is written down in docs/parser-policy.md, and
 * each rule lives in one place under parser/src/ (docs/parser-design.md is
 * the map).  Variants (scalar, sse42, avx2, avx512bw) differ only in their
 * scanning kernels and give identical answers.
 */
#ifndef RINGPARSE_H
#define RINGPARSE_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

enum {
	RP_ERROR = -1,
	RP_INCOMPLETE = -2,
};

/* Which rule a message broke.  rp_error_name() gives a stable short name,
 * rp_error_status() the HTTP status a server should answer with. */
typedef enum rp_error {
	RP_OK = 0,
	RP_E_METHOD,            /* method is not a token */
	RP_E_TARGET,            /* request-target has a character outside RFC 3986 */
	RP_E_TARGET_TOO_LONG,   /* request-target longer than limits.max_target */
	RP_E_PERCENT,           /* '%' not followed by two hex digits */
	RP_E_VERSION,           /* not HTTP/DIGIT.DIGIT */
	RP_E_SPACE,             /* not exactly one SP between start-line parts */
	RP_E_STATUS,            /* status code is not three digits */
	RP_E_REASON,            /* control character in reason-phrase */
	RP_E_BARE_CR,           /* CR not followed by LF */
	RP_E_BARE_LF,           /* LF not preceded by CR */
	RP_E_EMPTY_LINES,       /* more than one empty line before a request */
	RP_E_LEADING_WS,        /* whitespace before the first header line */
	RP_E_OBS_FOLD,          /* obs-fold in a request, a trailer, or a response's CL/TE */
	RP_E_HEADER_NAME,       /* header name is empty or not a token */
	RP_E_WS_BEFORE_COLON,   /* whitespace between header name and colon */
	RP_E_HEADER_VALUE,      /* control character in header value */
	RP_E_TOO_MANY_HEADERS,  /* more header lines than the caller's array */
	RP_E_HEADERS_TOO_LARGE, /* header block larger than limits.max_header_bytes */
	RP_E_HOST,              /* Host missing (HTTP/1.1), repeated, or invalid */
	RP_E_CONTENT_LENGTH,    /* malformed, differing or too large Content-Length */
	RP_E_CL_AND_TE,         /* Content-Length together with Transfer-Encoding */
	RP_E_TRANSFER_ENCODING, /* chunked not final, repeated, unknown final coding */
	RP_E_TE_HTTP10,         /* Transfer-Encoding in an HTTP/1.0 message */
	RP_E_CHUNK_SIZE,        /* chunk size missing, not hex, or overflowing */
	RP_E_CHUNK_EXT,         /* malformed chunk extension */
	RP_E_CHUNK_DATA,        /* chunk data not followed by CRLF */
	RP_E_TRAILER,           /* malformed trailer section (see error_detail) */
	RP_E_CONNECT_BODY,      /* CONNECT with Content-Length or Transfer-Encoding */
	RP_E__COUNT
} rp_error;

/* A run of bytes inside the caller's buffer. */
typedef struct rp_span {
	uint32_t off;
	uint32_t len;
} rp_span;

typedef struct rp_header {
	rp_span name;
	/* Without leading or trailing whitespace.  In a response with
	 * RP_F_OBS_FOLD, a value may span obs-folds (CR LF then SP or HTAB):
	 * see rp_unfold(). */
	rp_span value;
} rp_header;

/* How the message body is delimited (RFC 9112 section 6). */
typedef enum rp_framing {
	RP_BODY_NONE = 0, /* no body */
	RP_BODY_LENGTH,   /* content_length bytes follow */
	RP_BODY_CHUNKED,  /* chunked transfer coding: use rp_chunked_* */
	RP_BODY_CLOSE,    /* responses only: the body ends when the connection closes */
} rp_framing;

/* Methods the parser recognises; any other token parses as RP_M_OTHER. */
typedef enum rp_method {
	RP_M_OTHER = 0,
	RP_M_GET,
	RP_M_HEAD,
	RP_M_POST,
	RP_M_PUT,
	RP_M_DELETE,
	RP_M_CONNECT,
	RP_M_OPTIONS,
	RP_M_TRACE,
	RP_M_PATCH,
} rp_method;

/* The request-target's form (RFC 9112 3.2), in m->target_form. */
typedef enum rp_target_form {
	RP_TARGET_ORIGIN = 0, /* "/path?query": what nearly every request uses */
	RP_TARGET_ABSOLUTE,   /* "http://authority/path?query" (a proxy's form) */
	RP_TARGET_AUTHORITY,  /* "host:port", with CONNECT only */
	RP_TARGET_ASTERISK,   /* "*", with OPTIONS only */
} rp_target_form;

/* What the header block said about the connection (m->flags). */
enum {
	RP_F_CONN_CLOSE = 1u << 0,      /* Connection: close */
	RP_F_CONN_KEEP_ALIVE = 1u << 1, /* Connection: keep-alive */
	RP_F_CONN_UPGRADE = 1u << 2,    /* Connection: upgrade */
	RP_F_EXPECT_CONTINUE = 1u << 3, /* Expect: 100-continue */
	RP_F_EXPECT_OTHER = 1u << 4,    /* an Expect value we cannot meet (417) */
	RP_F_HAS_HOST = 1u << 5,        /* exactly one valid Host header */
	RP_F_KEEP_ALIVE = 1u << 6,      /* the connection persists after this message */
	RP_F_OBS_FOLD = 1u << 7,        /* responses: a header value spans an obs-fold */
};

/* Flags for rp_parse_response(). */
enum {
	RP_RESPONSE_TO_HEAD = 1u << 0, /* the request was HEAD: no body whatever the headers say */
};

typedef struct rp_limits {
	uint32_t max_header_bytes; /* whole header block, start-line included */
	uint32_t max_target;       /* request-target length */
} rp_limits;

#define RP_DEFAULT_MAX_HEADER_BYTES (64u * 1024u)
#define RP_DEFAULT_MAX_TARGET (8u * 1024u)
#define RP_DEFAULT_MAX_HEADERS 128u

/* Private resume state: where parsing stopped, so a call with more bytes
 * continues instead of starting over. */
typedef struct rp_resume {
	uint32_t stage;
	uint32_t line; /* offset of the line being parsed */
	uint32_t scan; /* offset up to which the current field is validated */
	uint32_t mark; /* stage-specific offset (end of name, start of value) */
	uint32_t seen; /* stage-private bits: which framing headers were seen */
} rp_resume;

typedef struct rp_message {
	/* Set by rp_message_init(); the caller owns the header array. */
	rp_header *headers;
	uint32_t max_headers;
	rp_limits limits;

	/* Results, valid once a parse returns > 0 (partly while incomplete). */
	rp_span method;      /* requests */
	rp_span target;      /* requests */
	rp_span reason;      /* responses */
	uint8_t method_id;   /* rp_method */
	uint8_t target_form; /* rp_target_form, requests */
	uint8_t version_major;
	uint8_t version_minor;
	uint8_t framing;       /* rp_framing */
	uint16_t status;       /* responses */
	uint16_t error;        /* rp_error, when RP_ERROR was returned */
	uint32_t error_offset; /* where in the buffer the rule broke */
	uint32_t nheaders;
	uint32_t flags;     /* RP_F_* */
	int32_t host_index; /* index of the Host header, or -1 */
	uint64_t content_length;

	rp_resume resume;
} rp_message;

/* Prepare m for a new message.  With headers NULL, header lines are still
 * validated and counted against max_headers, but not stored.  limits may be
 * NULL for the defaults.
 *
 * Between a call that returned RP_INCOMPLETE and the next, the caller may
 * move the header array: copy the first m->nheaders entries elsewhere, point
 * m->headers there and set m->max_headers to the new array's size (not
 * below m->nheaders).  A server can so parse into one shared array and copy
 * out only the headers of a request that spans receives. */
void rp_message_init(rp_message *m, rp_header *headers, uint32_t max_headers,
		     const rp_limits *limits);

/* Parse (or continue parsing) a request whose first byte is buf[0]. */
int64_t rp_parse_request(rp_message *m, const char *buf, size_t len);

/* Parse (or continue parsing) a response.  flags: RP_RESPONSE_TO_HEAD.
 *
 * A response may fold a header value over several lines (obs-fold, RFC 9112
 * 5.2), which a user agent must read as SP.  The parser does not write to
 * buf: it accepts the fold, sets RP_F_OBS_FOLD, and the value's span covers
 * the folded lines, CR LF included; rp_unfold() turns each CR and LF into
 * SP for a caller that reads the value.  The fields the parser reads itself
 * are read unfolded (Connection), or refused when folded (Content-Length and
 * Transfer-Encoding: RP_E_OBS_FOLD).  Requests and trailers refuse obs-fold. */
int64_t rp_parse_response(rp_message *m, const char *buf, size_t len, unsigned flags);

/* A header value as a user agent reads it: each CR and LF (which in a parsed
 * value only come from an obs-fold) becomes SP, so the length is kept.
 * dst may be src (in place, for a caller whose buffer is writable). */
void rp_unfold(char *dst, const char *src, size_t len);

/* ---- chunked bodies (RFC 9112 section 7.1) ---------------------------- */

typedef struct rp_chunked {
	uint64_t remaining;  /* bytes left in the current chunk's data */
	uint64_t body_bytes; /* data bytes delivered so far */
	uint32_t state;
	uint32_t ext_bytes; /* bytes of the current chunk-size line */
	uint32_t trailer_bytes;
	uint32_t trailer_count;
	uint32_t max_line; /* bound on a chunk-size line with extensions */
	uint32_t max_trailer_bytes;
	uint32_t max_trailers;
	uint16_t error;        /* rp_error, after RP_ERROR */
	uint16_t error_detail; /* for RP_E_TRAILER: the header rule that broke */
	rp_message trailer;    /* parse state of a trailer line in progress */
} rp_chunked;

void rp_chunked_init(rp_chunked *c);

/* Decode chunked framing from buf.  Returns the number of bytes consumed
 * (>= 0) or RP_ERROR.  When the consumed bytes contain chunk data, *data is
 * set to the first such byte and *data_len to its length (zero-copy: data
 * points into buf); at most one run of data is returned per call, so loop
 * until it returns 0 or rp_chunked_done().  Bytes not consumed must be passed
 * again, with more after them: the trailer section is consumed only whole
 * (bounded by max_trailer_bytes), so a caller keeps at most that much. */
int64_t rp_chunked_feed(rp_chunked *c, const char *buf, size_t len, const char **data,
			size_t *data_len);

/* True once the last chunk and the trailer section have been consumed. */
int rp_chunked_done(const rp_chunked *c);

/* ---- variants ---------------------------------------------------------- */

typedef struct rp_variant {
	const char *name;
	const char *description;
	int (*supported)(void);
	int64_t (*parse_request)(rp_message *m, const char *buf, size_t len);
	int64_t (*parse_response)(rp_message *m, const char *buf, size_t len, unsigned flags);
	int64_t (*chunked_feed)(rp_chunked *c, const char *buf, size_t len, const char **data,
				size_t *data_len);
	/* The variant's scanning kernel, for tests and benchmarks: the first
	 * byte in [p, end) outside class cls (RP_SCAN_*), or end. */
	const char *(*scan)(int cls, const char *p, const char *end);
} rp_variant;

enum {
	RP_SCAN_TCHAR = 0,  /* RFC 9110 tchar: methods, header names */
	RP_SCAN_TARGET = 1, /* RFC 3986 request-target characters, '%' excluded */
	RP_SCAN_FVALUE = 2, /* field-vchar, SP, HTAB, obs-text: values, reasons */
};

/* Every variant compiled in, fastest first, NULL-terminated (whether or not
 * this CPU can run it: check ->supported()). */
const rp_variant *const *rp_variants_all(void);

/* The variant rp_parse_request() and friends use: the fastest this CPU runs,
 * unless rp_variant_select() or the RINGPARSE_VARIANT environment variable
 * named another.  Thread-safe: the first calls may race, and all of them
 * return the same variant. */
const rp_variant *rp_variant_current(void);

/* Look a variant up by name; NULL if unknown. */
const rp_variant *rp_variant_by_name(const char *name);

/* Use the named variant from now on.  Returns 0, or -1 if the name is
 * unknown or this CPU cannot run it (nothing changes then).  Thread-safe,
 * and meant for start-up, before threads parse: a parse already under way
 * in another thread finishes with the variant it started with. */
int rp_variant_select(const char *name);

/* ---- errors and helpers ------------------------------------------------ */

const char *rp_error_name(rp_error e);    /* "bare_cr", "cl_and_te", ... */
const char *rp_error_message(rp_error e); /* one sentence for humans */
int rp_error_status(rp_error e);          /* 400, 414 or 431 */
const char *rp_method_name(rp_method m);

/* The parts of a parsed request's target: authority (absolute- and
 * authority-form), path without the query (empty when an absolute-form
 * target has none, which means "/"), query without its '?'.  The target's
 * syntax was checked by the parse; this only splits it. */
typedef struct rp_target_parts {
	rp_span authority;
	rp_span path;
	rp_span query;
} rp_target_parts;

void rp_target_split(const rp_message *m, const char *buf, rp_target_parts *out);

/* Case-insensitive header lookup from index `from`: the index, or -1. */
int rp_find_header(const rp_message *m, const char *buf, const char *name, size_t name_len,
		   uint32_t from);

static inline const char *rp_ptr(const char *buf, rp_span s)
{
	return buf + s.off;
}

#ifdef __cplusplus
}
#endif
#endif
