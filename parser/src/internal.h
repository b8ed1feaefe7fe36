/* Internal interface between the grammar (pi_parse_request and the rest, compiled
 * once per variant) and the code compiled once (semantics, chunked framing, dispatch). */
#ifndef RP_INTERNAL_H
#define RP_INTERNAL_H

#include "ringparse.h"

/* The word-at-a-time tricks (SWAR scans, two-byte CR LF compares, the lowest
 * set bit as the first byte) read memory as little-endian. */
_Static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__, "ringparse assumes little-endian");

/* Where a message parse stands (rp_resume.stage). */
enum rp_stage {
	RP_ST_START = 0, /* nothing consumed yet */
	RP_ST_METHOD,    /* scanning the method; resume.scan */
	RP_ST_TARGET,    /* scanning the target from resume.mark; resume.scan */
	RP_ST_VERSION,   /* request version at resume.mark */
	RP_ST_REASON,    /* response reason-phrase from resume.mark; resume.scan */
	RP_ST_LINE,      /* at the start of a field line, resume.line */
	RP_ST_NAME,      /* scanning a field name; resume.scan */
	RP_ST_VALUE,     /* scanning a field value; colon at resume.mark */
	RP_ST_FOLD,      /* scanning a response's obs-fold line, from resume.line */
	RP_ST_DONE,
	RP_ST_ERROR,
};

/* What kind of message a parse is for (kept in resume.seen). */
enum rp_kind {
	RP_KIND_REQUEST = 0,
	RP_KIND_RESPONSE = 1,
	RP_KIND_TRAILER = 2,
	RP_KIND_MASK = 3,
};

/* Framing facts gathered from header fields (resume.seen). */
enum {
	RP_SEEN_RESP_HEAD = 1u << 2,        /* response to a HEAD request */
	RP_SEEN_CL = 1u << 3,               /* a Content-Length field */
	RP_SEEN_TE = 1u << 4,               /* a Transfer-Encoding field */
	RP_SEEN_TE_CHUNKED = 1u << 5,       /* chunked appeared among the codings */
	RP_SEEN_TE_FINAL_CHUNKED = 1u << 6, /* ... and is (so far) the last one */
	RP_SEEN_V11 = 1u << 7,              /* the version is 1.1 or later */
	RP_SEEN_CONNECT = 1u << 8,          /* a CONNECT request (set by rp__target_form) */
	RP_SEEN_CONN_FOLD = 1u << 9,        /* a response's Connection ran over obs-folds */
};

/* uri-host [ ":" port ]: run is where the value's leading reg-name run ends
 * (NULL when not known yet).  1 when valid. */
int rp__valid_host(const char *v, uint32_t n, const char *run);

/* The request-target's form (RFC 9112 3.2), for a target that is not plain
 * origin-form or a CONNECT: sets m->target_form, or returns the rule broken. */
rp_error rp__target_form(rp_message *m, const char *t, uint32_t n);

/* The chunked framing state machine; trailer lines go through the variant's
 * own field grammar. */
typedef int64_t (*rp_trailer_fn)(rp_message *m, const char *buf, size_t len);
int64_t rp__chunked_feed(rp_chunked *c, const char *buf, size_t len, const char **data,
			 size_t *data_len, rp_trailer_fn parse_trailer);

/* Prepare a message to parse a trailer section. */
void rp__trailer_init(rp_message *m, uint32_t max_bytes, uint32_t max_fields);

/* What each variant exports (RP_DEFINE_VARIANT): the grammar compiled with its kernels. */
#define RP_DECLARE_VARIANT(v)                                                                      \
	int64_t rp__##v##_parse_request(rp_message *m, const char *buf, size_t len);               \
	int64_t rp__##v##_parse_response(rp_message *m, const char *buf, size_t len,               \
					 unsigned flags);                                          \
	int64_t rp__##v##_chunked_feed(rp_chunked *c, const char *buf, size_t len,                 \
				       const char **data, size_t *data_len);                       \
	const char *rp__##v##_scan(int cls, const char *p, const char *end);

RP_DECLARE_VARIANT(scalar)
RP_DECLARE_VARIANT(sse42)
RP_DECLARE_VARIANT(avx2)
RP_DECLARE_VARIANT(avx512bw)

#endif
