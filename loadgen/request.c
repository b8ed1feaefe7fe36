#include "request.h"

#include "ringparse.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The URL indexes of the cycle, in smooth weighted round-robin order, so
 * weights 3:1 go a a b a, not a a a b. */
static void lg_mix_order(const lg_config *cfg, uint32_t *order, uint32_t len)
{
	int64_t current[LG_MAX_URLS] = {0};
	int64_t total = 0;
	for (uint32_t u = 0; u < cfg->nurls; u++)
		total += cfg->urls[u].weight;
	for (uint32_t i = 0; i < len; i++) {
		uint32_t best = 0;
		for (uint32_t u = 0; u < cfg->nurls; u++) {
			current[u] += cfg->urls[u].weight;
			if (current[u] > current[best])
				best = u;
		}
		current[best] -= total;
		order[i] = best;
	}
}

/* One request's bytes into out (NULL: just the length). */
static size_t lg_format(const lg_config *cfg, const lg_url *u, int with_close, char *out,
			size_t cap)
{
	size_t n = 0;
#define LG_PUT(...)                                                                                \
	do {                                                                                       \
		int w_ = snprintf(out ? out + n : NULL, out ? cap - n : 0, __VA_ARGS__);           \
		n += (size_t)w_;                                                                   \
	} while (0)
	LG_PUT("%s %s HTTP/1.1\r\nHost: %s\r\n", cfg->method, u->path, cfg->host);
	for (uint32_t h = 0; h < cfg->nheaders; h++)
		LG_PUT("%s\r\n", cfg->headers[h]);
	if (cfg->body)
		LG_PUT("Content-Length: %zu\r\n", cfg->body_len);
	if (with_close)
		LG_PUT("Connection: close\r\n");
	LG_PUT("\r\n");
#undef LG_PUT
	if (cfg->body) {
		if (out)
			memcpy(out + n, cfg->body, cfg->body_len);
		n += cfg->body_len;
	}
	return n;
}

/* The request must parse whole with the strict parser the server uses: a
 * user's typo is caught here, by name, not by a server's 400. */
static int lg_check(const char *req, size_t head_len, const lg_url *u, char *err, size_t errlen)
{
	rp_message m;
	rp_message_init(&m, NULL, RP_DEFAULT_MAX_HEADERS, NULL);
	int64_t rc = rp_parse_request(&m, req, head_len);
	if (rc == RP_ERROR) {
		snprintf(err, errlen,
			 "the request for '%s' is not valid HTTP/1.1 (%s at byte %u): check the "
			 "method, the URL's path and the -H headers",
			 u->text, rp_error_message((rp_error)m.error), m.error_offset);
		return -1;
	}
	if (rc != (int64_t)head_len) {
		snprintf(err, errlen,
			 "the request for '%s' does not end where expected (a header with CR or "
			 "LF in it?)",
			 u->text);
		return -1;
	}
	return 0;
}

int lg_requests_build(lg_requests *r, const lg_config *cfg, int with_close, char *err,
		      size_t errlen)
{
	memset(r, 0, sizeof(*r));
	uint32_t cycle = 0;
	for (uint32_t u = 0; u < cfg->nurls; u++)
		cycle += cfg->urls[u].weight;
	uint32_t count = cycle + cfg->pipeline;
	uint32_t *order = malloc(sizeof(*order) * cycle);
	r->off = malloc(sizeof(*r->off) * (count + 1));
	if (!order || !r->off)
		goto oom;
	lg_mix_order(cfg, order, cycle);

	size_t total = 0;
	for (uint32_t i = 0; i < count; i++)
		total += lg_format(cfg, &cfg->urls[order[i % cycle]], with_close, NULL, 0);
	r->bytes = malloc(total + 1);
	if (!r->bytes)
		goto oom;
	size_t at = 0;
	for (uint32_t i = 0; i < count; i++) {
		const lg_url *u = &cfg->urls[order[i % cycle]];
		r->off[i] = at;
		size_t len = lg_format(cfg, u, with_close, r->bytes + at, total + 1 - at);
		if (i < cycle) {
			if (lg_check(r->bytes + at, len - cfg->body_len, u, err, errlen)) {
				free(order);
				lg_requests_free(r);
				return -1;
			}
		}
		at += len;
	}
	r->off[count] = at;
	r->cycle = cycle;
	r->count = count;
	free(order);
	return 0;
oom:
	free(order);
	lg_requests_free(r);
	snprintf(err, errlen, "no memory for the request buffer");
	return -1;
}

void lg_requests_free(lg_requests *r)
{
	free(r->bytes);
	free(r->off);
	memset(r, 0, sizeof(*r));
}
