/*
 * Chunked transfer coding (RFC 9112 section 7.1), decoded as a stream:
 *
 *   chunked-body = *chunk last-chunk trailer-section CRLF
 *   chunk        = chunk-size [ chunk-ext ] CRLF chunk-data CRLF
 *   chunk-ext    = *( BWS ";" BWS ext-name [ BWS "=" BWS ext-val ] )
 *   ext-val      = token / quoted-string
 *
 * Size lines are decoded a byte at a time, so input may be split anywhere;
 * chunk data is handed back in place.  The trailer section is parsed by the
 * same field-line grammar as a header block (the variant's), never copied.
 */
#include "charset.h"
#include "internal.h"

enum ch_state {
	CH_SIZE_START = 0, /* expecting the first hex digit */
	CH_SIZE,           /* in the hex digits */
	CH_SIZE_WS,        /* BWS after the size: only ';' may follow */
	CH_EXT_NAME_START, /* after ';', BWS then a token */
	CH_EXT_NAME,
	CH_EXT_NAME_WS, /* BWS after a name: '=' or ';' may follow */
	CH_EXT_VAL_START,
	CH_EXT_VAL_TOKEN,
	CH_EXT_QUOTED,
	CH_EXT_QUOTED_ESC,
	CH_EXT_VAL_END, /* right after a value: CR, ';' or BWS */
	CH_EXT_VAL_WS,  /* BWS after a value: only ';' may follow */
	CH_LINE_LF,     /* CR seen at the end of the size line */
	CH_DATA,
	CH_DATA_CR,
	CH_DATA_LF,
	CH_TRAILER,
	CH_DONE,
	CH_ERROR,
};

#define RP_CHUNK_MAX_LINE 4096u
#define RP_CHUNK_MAX_TRAILER_BYTES (16u * 1024u)
#define RP_CHUNK_MAX_TRAILERS 64u

void rp_chunked_init(rp_chunked *c)
{
	*c = (rp_chunked){
		.state = CH_SIZE_START,
		.max_line = RP_CHUNK_MAX_LINE,
		.max_trailer_bytes = RP_CHUNK_MAX_TRAILER_BYTES,
		.max_trailers = RP_CHUNK_MAX_TRAILERS,
	};
}

int rp_chunked_done(const rp_chunked *c)
{
	return c->state == CH_DONE;
}

static int64_t ch_fail(rp_chunked *c, rp_error e)
{
	c->error = (uint16_t)e;
	c->state = CH_ERROR;
	return RP_ERROR;
}

static int is_ws(unsigned char b)
{
	return b == ' ' || b == '\t';
}

/* qdtext = HTAB / SP / %x21 / %x23-5B / %x5D-7E / obs-text */
static int is_qdtext(unsigned char b)
{
	return rp_is(b, RP_C_FVALUE) && b != '"' && b != '\\';
}

/* One byte of a chunk-size line.  Returns RP_OK or the rule broken. */
static rp_error ch_line_byte(rp_chunked *c, unsigned char b)
{
	switch (c->state) {
	case CH_SIZE_START:
	case CH_SIZE:
		if (RP_IS_HEX(b)) {
			unsigned d = RP_DIGIT(b) ? b - '0' : (b | 0x20) - 'a' + 10;
			if (c->remaining > ((uint64_t)INT64_MAX - d) / 16)
				return RP_E_CHUNK_SIZE;
			c->remaining = c->remaining * 16 + d;
			c->state = CH_SIZE;
			return RP_OK;
		}
		if (c->state == CH_SIZE_START)
			return RP_E_CHUNK_SIZE;
		if (b == '\r')
			c->state = CH_LINE_LF;
		else if (b == ';')
			c->state = CH_EXT_NAME_START;
		else if (is_ws(b))
			c->state = CH_SIZE_WS;
		else
			return b == '\n' ? RP_E_BARE_LF : RP_E_CHUNK_SIZE;
		return RP_OK;
	case CH_SIZE_WS:
	case CH_EXT_VAL_WS:
		if (b == ';')
			c->state = CH_EXT_NAME_START;
		else if (!is_ws(b))
			return RP_E_CHUNK_EXT;
		return RP_OK;
	case CH_EXT_NAME_START:
		if (rp_is(b, RP_C_TCHAR))
			c->state = CH_EXT_NAME;
		else if (!is_ws(b))
			return RP_E_CHUNK_EXT;
		return RP_OK;
	case CH_EXT_NAME:
		if (rp_is(b, RP_C_TCHAR))
			return RP_OK;
		if (b == '\r')
			c->state = CH_LINE_LF;
		else if (b == ';')
			c->state = CH_EXT_NAME_START;
		else if (b == '=')
			c->state = CH_EXT_VAL_START;
		else if (is_ws(b))
			c->state = CH_EXT_NAME_WS;
		else
			return RP_E_CHUNK_EXT;
		return RP_OK;
	case CH_EXT_NAME_WS:
		if (b == '=')
			c->state = CH_EXT_VAL_START;
		else if (b == ';')
			c->state = CH_EXT_NAME_START;
		else if (!is_ws(b))
			return RP_E_CHUNK_EXT;
		return RP_OK;
	case CH_EXT_VAL_START:
		if (b == '"')
			c->state = CH_EXT_QUOTED;
		else if (rp_is(b, RP_C_TCHAR))
			c->state = CH_EXT_VAL_TOKEN;
		else if (!is_ws(b))
			return RP_E_CHUNK_EXT;
		return RP_OK;
	case CH_EXT_VAL_TOKEN:
		if (rp_is(b, RP_C_TCHAR))
			return RP_OK;
		/* the token ended: */
		__attribute__((fallthrough));
	case CH_EXT_VAL_END:
		if (b == '\r')
			c->state = CH_LINE_LF;
		else if (b == ';')
			c->state = CH_EXT_NAME_START;
		else if (is_ws(b))
			c->state = CH_EXT_VAL_WS;
		else
			return RP_E_CHUNK_EXT;
		return RP_OK;
	case CH_EXT_QUOTED:
		if (b == '"')
			c->state = CH_EXT_VAL_END;
		else if (b == '\\')
			c->state = CH_EXT_QUOTED_ESC;
		else if (!is_qdtext(b))
			return RP_E_CHUNK_EXT;
		return RP_OK;
	case CH_EXT_QUOTED_ESC:
		/* quoted-pair = "\" ( HTAB / SP / VCHAR / obs-text ) */
		if (!rp_is(b, RP_C_FVALUE))
			return RP_E_CHUNK_EXT;
		c->state = CH_EXT_QUOTED;
		return RP_OK;
	case CH_LINE_LF:
		if (b != '\n')
			return RP_E_BARE_CR;
		c->ext_bytes = 0;
		if (c->remaining == 0) {
			rp__trailer_init(&c->trailer, c->max_trailer_bytes, c->max_trailers);
			c->state = CH_TRAILER;
		} else {
			c->state = CH_DATA;
		}
		return RP_OK;
	case CH_DATA_CR:
		if (b != '\r')
			return RP_E_CHUNK_DATA;
		c->state = CH_DATA_LF;
		return RP_OK;
	case CH_DATA_LF:
		if (b != '\n')
			return RP_E_CHUNK_DATA;
		c->state = CH_SIZE_START;
		return RP_OK;
	default:
		return RP_E_CHUNK_SIZE;
	}
}

int64_t rp__chunked_feed(rp_chunked *c, const char *buf, size_t len, const char **data,
			 size_t *data_len, rp_trailer_fn parse_trailer)
{
	const char *p = buf, *end = buf + len;

	*data = NULL;
	*data_len = 0;
	if (c->state == CH_ERROR)
		return RP_ERROR;
	while (p < end) {
		switch (c->state) {
		case CH_DATA: {
			size_t n = (size_t)(end - p) < c->remaining ? (size_t)(end - p)
								    : (size_t)c->remaining;
			*data = p;
			*data_len = n;
			c->remaining -= n;
			c->body_bytes += n;
			if (c->remaining == 0)
				c->state = CH_DATA_CR;
			return p + n - buf;
		}
		case CH_TRAILER: {
			int64_t n = parse_trailer(&c->trailer, p, (size_t)(end - p));
			if (n == RP_INCOMPLETE) {
				c->trailer_bytes = (uint32_t)(end - p);
				return p - buf; /* the section is consumed only whole */
			}
			if (n < 0) {
				c->error_detail = c->trailer.error;
				return ch_fail(c, RP_E_TRAILER);
			}
			c->trailer_bytes = (uint32_t)n;
			c->trailer_count = c->trailer.nheaders;
			c->state = CH_DONE;
			return p + n - buf;
		}
		case CH_DONE:
			return p - buf;
		default: {
			int in_line = c->state < CH_DATA;
			if (in_line && ++c->ext_bytes > c->max_line)
				return ch_fail(c, c->state <= CH_SIZE ? RP_E_CHUNK_SIZE
								      : RP_E_CHUNK_EXT);
			rp_error e = ch_line_byte(c, (unsigned char)*p);
			if (e != RP_OK)
				return ch_fail(c, *p == '\n' && e != RP_E_CHUNK_DATA ? RP_E_BARE_LF
										     : e);
			p++;
		}
		}
	}
	return p - buf;
}
