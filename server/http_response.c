#include "http_response.h"

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

/* Decimal digits of v at the end of buf[20]; returns the first digit. */
static char *srv_u64_dec(uint64_t v, char *end)
{
	char *p = end;
	do {
		*--p = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	return p;
}

void srv_resp_head(srv_worker *w, srv_conn *c, int status, const char *ctype, uint64_t clen,
		   const char *extra)
{
	srv_buf *out = srv_conn_pending(c);
	/* Shutting down: this is the connection's last response. */
	if (w->stopping)
		c->req.keep_alive = 0;
	const char *reason = srv_reason(status);
	size_t rlen = strlen(reason), clen_ct = ctype ? strlen(ctype) : 0;
	size_t xlen = extra ? strlen(extra) : 0;
	/* Upper bound of everything below, reserved once. */
	if (srv_buf_reserve(out, 200 + rlen + clen_ct + xlen + RB_HTTPDATE_LEN)) {
		c->oom = 1;
		return;
	}
	char *p = out->data + out->len;
	char num[24];

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
	memcpy(p, w->date.str, RB_HTTPDATE_LEN);
	p += RB_HTTPDATE_LEN;
	if (ctype) {
		memcpy(p, "\r\nContent-Type: ", 16);
		p += 16;
		memcpy(p, ctype, clen_ct);
		p += clen_ct;
	}
	memcpy(p, "\r\nContent-Length: ", 18);
	p += 18;
	char *d = srv_u64_dec(clen, num + sizeof(num));
	size_t dl = (size_t)(num + sizeof(num) - d);
	memcpy(p, d, dl);
	p += dl;
	memcpy(p, "\r\n", 2);
	p += 2;
	if (!c->req.keep_alive) {
		memcpy(p, "Connection: close\r\n", 19);
		p += 19;
	} else if (c->req.http10) {
		/* HTTP/1.0 persists only when both sides say so. */
		memcpy(p, "Connection: keep-alive\r\n", 24);
		p += 24;
	}
	if (xlen) {
		memcpy(p, extra, xlen);
		p += xlen;
	}
	memcpy(p, "\r\n", 2);
	p += 2;
	out->len = (size_t)(p - out->data);
	SRV_STAT_ADD(&w->stats, requests, 1);
	if (status >= 400)
		SRV_STAT_ADD(&w->stats, errors, 1);
	if (!c->req.keep_alive) {
		c->close_after = 1;
		c->input_done = 1;
	}
}

void srv_resp_simple(srv_worker *w, srv_conn *c, int status, const char *ctype, const void *body,
		     size_t len, const char *extra)
{
	srv_resp_head(w, c, status, ctype, len, extra);
	if (!c->req.head && len && srv_buf_append(srv_conn_pending(c), body, len))
		c->oom = 1;
}

void srv_resp_error(srv_worker *w, srv_conn *c, int status, const char *detail, int close,
		    const char *extra)
{
	char body[160];
	int n = snprintf(body, sizeof(body), "%d %s: %s\n", status, srv_reason(status), detail);
	if (n < 0)
		n = 0;
	if ((size_t)n >= sizeof(body))
		n = (int)sizeof(body) - 1;
	if (close)
		c->req.keep_alive = 0;
	srv_resp_simple(w, c, status, "text/plain", body, (size_t)n, extra);
}

void srv_resp_continue(srv_worker *w, srv_conn *c)
{
	(void)w;
	static const char cont[] = "HTTP/1.1 100 Continue\r\n\r\n";
	if (srv_buf_append(srv_conn_pending(c), cont, sizeof(cont) - 1))
		c->oom = 1;
}
