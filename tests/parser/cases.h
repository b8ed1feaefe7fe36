/*
 * The unit tables: one row per input, with what the policy says must come
 * out and a short comment.  Rows are data; the suites (test_*.c), the
 * incremental test and the differential test all iterate them.
 *
 * Where the policy decides that a message is an error but leaves the choice
 * between two rule names open (a tab after the method is both "not a token"
 * and "not one SP"), a row lists every acceptable error in err[]; the first
 * is the one we think fits best.
 */
#ifndef RB_TEST_CASES_H
#define RB_TEST_CASES_H

#include <stddef.h>
#include <stdint.h>

#include "harness.h"

#define RT_MAX_HDRS 8
#define RT_MAX_ERRS 3

struct rt_hdr {
	const char *name;
	const char *value;
};

struct rt_case {
	const char *what;          /* the comment: what this row checks */
	const char *in;            /* input bytes (may contain NUL: see len) */
	size_t len;                /* input length */
	enum rt_kind kind;         /* request or response */
	unsigned rflags;           /* RP_RESPONSE_TO_HEAD for responses */
	int64_t ret;               /* 0: complete; RP_ERROR; RP_INCOMPLETE */
	size_t tail;               /* complete rows: bytes not consumed (body, next message) */
	uint16_t err[RT_MAX_ERRS]; /* acceptable errors (RP_ERROR rows) */

	/* Checked on complete rows.  NULL strings are not checked. */
	const char *method; /* also gives the expected method_id */
	const char *target;
	const char *version; /* "1.1" */
	uint16_t status;     /* responses: always checked */
	const char *reason;
	uint8_t framing; /* always checked */
	uint64_t cl;     /* checked with RP_BODY_LENGTH */
	uint32_t flags;  /* always checked, but for the bits in flags_ignore */
	uint32_t flags_ignore;
	uint32_t nh;                  /* nheaders, checked when h[] is empty and nh > 0 */
	struct rt_hdr h[RT_MAX_HDRS]; /* when given: exactly these headers */
};

/* Row builders.  IN() takes a string literal so embedded NULs count. */
#define IN(lit) .in = (lit), .len = sizeof(lit) - 1
#define REQ(what_, lit, ...)                                                                       \
	{                                                                                          \
		.what = (what_), IN(lit), .kind = RT_REQUEST, __VA_ARGS__                          \
	}
#define RESP(what_, lit, ...)                                                                      \
	{                                                                                          \
		.what = (what_), IN(lit), .kind = RT_RESPONSE, __VA_ARGS__                         \
	}
#define BAD(...) .ret = RP_ERROR, .err = {__VA_ARGS__}

/* Flags of a plain HTTP/1.1 request with one Host header. */
#define F11 (RP_F_HAS_HOST | RP_F_KEEP_ALIVE)

extern const struct rt_case rt_request_cases[];
extern const size_t rt_request_ncases;
extern const struct rt_case rt_response_cases[];
extern const size_t rt_response_ncases;

/* Compare a result with a row: 0 if it matches, else 1 with `why`.  buf is
 * where the parsed bytes were (for header values). */
int rt_case_check(const struct rt_case *c, const struct rt_result *r, const char *buf, char *why,
		  size_t n);

/* The return value a complete row expects. */
int64_t rt_case_expected_ret(const struct rt_case *c);

/* ---- chunked decoder rows --------------------------------------------- */

enum rt_chunk_status {
	RT_CH_DONE,
	RT_CH_ERROR,
	RT_CH_MORE
};

struct rt_chunk_case {
	const char *what;
	const char *in;
	size_t len;
	enum rt_chunk_status status;
	uint16_t err[RT_MAX_ERRS];    /* acceptable errors (RT_CH_ERROR) */
	uint16_t detail[RT_MAX_ERRS]; /* acceptable error_detail for RP_E_TRAILER (empty: any) */
	const char *data;             /* decoded bytes (NULL: not checked) */
	size_t data_len;
	size_t consumed; /* RT_CH_DONE: bytes consumed, 0 = all */
};

#define DATA(lit) .data = (lit), .data_len = sizeof(lit) - 1
#define CHUNK(what_, lit, ...)                                                                     \
	{                                                                                          \
		.what = (what_), IN(lit), __VA_ARGS__                                              \
	}
#define CBAD(...) .status = RT_CH_ERROR, .err = {__VA_ARGS__}

extern const struct rt_chunk_case rt_chunk_cases[];
extern const size_t rt_chunk_ncases;

#endif
