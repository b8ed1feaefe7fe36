#include "http_response.h"
#include "fmt.h"

#include "rb_log.h"

#include <stdio.h>
#include <string.h>

const char *srv_reason(int status)
{
	switch (status) {
	case 100:
		return "Continue";
	case 200:
		return "OK";
	case 206:
		return "Partial Content";
	case 301:
		return "Moved Permanently";
	case 304:
		return "Not Modified";
	case 400:
		return "Bad Request";
	case 403:
		return "Forbidden";
	case 404:
		return "Not Found";
	case 405:
		return "Method Not Allowed";
	case 408:
		return "Request Timeout";
	case 412:
		return "Precondition Failed";
	case 413:
		return "Content Too Large";
	case 414:
		return "URI Too Long";
	case 416:
		return "Range Not Satisfiable";
	case 417:
		return "Expectation Failed";
	case 431:
		return "Request Header Fields Too Large";
	case 500:
		return "Internal Server Error";
	case 501:
		return "Not Implemented";
	case 503:
		return "Service Unavailable";
	case 505:
		return "HTTP Version Not Supported";
	default:
		return "Unknown";
	}
}

/* The longest head srv_head_write() writes for these lengths. */
static size_t srv_head_bound(size_t rlen, size_t ctlen, size_t xlen)
{
	return 200 + rlen + ctlen + xlen + RB_HTTPDATE_LEN;
}

/* The status line and header block, at p (srv_head_bound() bytes free);
 * returns the end.  The one place the head's format lives: srv_resp_head()
 * and the fixed-response cache both write through it. */
static char *srv_head_write(char *p, const char *date, int status, const char *reason, size_t rlen,
			    const char *ctype, size_t ctlen, uint64_t clen, const char *extra,
			    size_t xlen, int keep_alive, int http10)
{
	memcpy(p, "HTTP/1.1 ", 9);
	p += 9;
	p[0] = (char)('0' + status / 100);
	p[1] = (char)('0' + status / 10 % 10);
	p[2] = (char)('0' + status % 10);
	p[3] = ' ';
	p += 4;
	memcpy(p, reason, rlen);
	p += rlen;
	static const char server[] = "\r\nServer: rbserver\r\nDate: ";
	memcpy(p, server, sizeof(server) - 1);
	p += sizeof(server) - 1;
	memcpy(p, date, RB_HTTPDATE_LEN);
	p += RB_HTTPDATE_LEN;
	if (ctype) {
		memcpy(p, "\r\nContent-Type: ", 16);
		p += 16;
		memcpy(p, ctype, ctlen);
		p += ctlen;
	}
	if (clen != SRV_NO_LENGTH) {
		memcpy(p, "\r\nContent-Length: ", 18);
		p += 18;
		p = srv_put_dec(p, clen);
	}
	memcpy(p, "\r\n", 2);
	p += 2;
	if (!keep_alive) {
		memcpy(p, "Connection: close\r\n", 19);
		p += 19;
	} else if (http10) {
		/* HTTP/1.0 persists only when both sides say so. */
		memcpy(p, "Connection: keep-alive\r\n", 24);
		p += 24;
	}
	if (xlen) {
		memcpy(p, extra, xlen);
		p += xlen;
	}
	memcpy(p, "\r\n", 2);
	return p + 2;
}

/* What every response does to the counters. */
static void srv_resp_account(srv_writer *wr, int status)
{
	SRV_STAT_ADD(wr->stats, requests, 1);
	if (status >= 400)
		SRV_STAT_ADD(wr->stats, errors, 1);
}

void srv_resp_oom(srv_writer *wr, srv_conn *c, const char *what)
{
	rb_log("worker %d: out of memory (%s); closing the connection", wr->worker_id, what);
	SRV_STAT_ADD(wr->stats, errors, 1);
	SRV_STAT_ADD(wr->stats, oom, 1);
	srv_conn_fail(c);
}

void srv_resp_head(srv_writer *wr, srv_conn *c, int status, const char *ctype, uint64_t clen,
		   const char *extra)
{
	rb_buf *out = srv_conn_pending(c);
	const char *reason = srv_reason(status);
	size_t rlen = strlen(reason), ctlen = ctype ? strlen(ctype) : 0;
	size_t xlen = extra ? strlen(extra) : 0;
	if (rb_buf_reserve(out, srv_head_bound(rlen, ctlen, xlen))) {
		srv_resp_oom(wr, c, "response");
		return;
	}
	char *p = srv_head_write(out->data + out->len, wr->date.str, status, reason, rlen, ctype,
				 ctlen, clen, extra, xlen, c->x->req.keep_alive, c->x->req.http10);
	out->len = (size_t)(p - out->data);
	srv_resp_account(wr, status);
}

void srv_resp_fixed(srv_writer *wr, srv_conn *c, srv_fixed_resp *f, const char *ctype,
		    const char *body, size_t len)
{
	/* The cached bytes are the common case's: HTTP/1.1, persisting, no
	 * extra header.  Anything else is written afresh. */
	if (!c->x->req.keep_alive || c->x->req.http10) {
		srv_resp_simple(wr, c, 200, ctype, body, len, NULL);
		return;
	}
	if (f->date_sec != wr->date.sec || f->head_len == 0) {
		size_t ctlen = strlen(ctype);
		if (srv_head_bound(2, ctlen, 0) + len > sizeof(f->bytes)) {
			srv_resp_simple(wr, c, 200, ctype, body, len, NULL);
			return;
		}
		char *p = srv_head_write(f->bytes, wr->date.str, 200, "OK", 2, ctype, ctlen, len,
					 NULL, 0, 1, 0);
		f->head_len = (uint32_t)(p - f->bytes);
		memcpy(p, body, len);
		f->len = f->head_len + (uint32_t)len;
		f->date_sec = wr->date.sec;
	}
	size_t n = c->x->req.head ? f->head_len : f->len;
	if (rb_buf_append(srv_conn_pending(c), f->bytes, n)) {
		srv_resp_oom(wr, c, "response");
		return;
	}
	srv_resp_account(wr, 200);
}

size_t srv_resp_head_room(int status, const char *ctype, const char *extra)
{
	return srv_head_bound(strlen(srv_reason(status)), strlen(ctype), extra ? strlen(extra) : 0);
}

char *srv_resp_head_at(const srv_writer *wr, char *p, int status, const char *ctype, uint64_t clen,
		       const char *extra)
{
	const char *reason = srv_reason(status);
	return srv_head_write(p, wr->date.str, status, reason, strlen(reason), ctype, strlen(ctype),
			      clen, extra, extra ? strlen(extra) : 0, 1, 0);
}

void srv_resp_kept(srv_writer *wr, srv_conn *c, int status, const char *p, size_t n)
{
	if (rb_buf_append(srv_conn_pending(c), p, n)) {
		srv_resp_oom(wr, c, "response");
		return;
	}
	srv_resp_account(wr, status);
}

void srv_resp_simple(srv_writer *wr, srv_conn *c, int status, const char *ctype, const void *body,
		     size_t len, const char *extra)
{
	srv_resp_head(wr, c, status, ctype, len, extra);
	if (c->state == SRV_CS_CLOSING || c->x->req.head || !len)
		return;
	if (rb_buf_append(srv_conn_pending(c), body, len))
		srv_resp_oom(wr, c, "response");
}

void srv_resp_error(srv_writer *wr, srv_conn *c, int status, const char *detail, const char *extra)
{
	char body[160];
	int n = snprintf(body, sizeof(body), "%d %s: %s\n", status, srv_reason(status), detail);
	if (n < 0)
		n = 0;
	if ((size_t)n >= sizeof(body))
		n = (int)sizeof(body) - 1;
	srv_resp_simple(wr, c, status, "text/plain", body, (size_t)n, extra);
}

void srv_resp_continue(srv_writer *wr, srv_conn *c)
{
	static const char cont[] = "HTTP/1.1 100 Continue\r\n\r\n";
	if (rb_buf_append(srv_conn_pending(c), cont, sizeof(cont) - 1))
		srv_resp_oom(wr, c, "response");
}
