#include "url.h"

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static int lg_url_fail(char *err, size_t errlen, const char *url, const char *why)
{
	snprintf(err, errlen, "bad URL '%s': %s", url, why);
	return -1;
}

int lg_url_parse(const char *url, lg_url_parts *out, char *err, size_t errlen)
{
	memset(out, 0, sizeof(*out));
	const char *p;
	if (!strncasecmp(url, "http://", 7)) {
		p = url + 7;
	} else if (!strncasecmp(url, "https://", 8)) {
		p = url + 8;
		out->tls = 1;
	} else {
		return lg_url_fail(err, errlen, url, "it must start with http:// or https://");
	}

	const char *auth_end = p + strcspn(p, "/?#");
	if (*auth_end == '#' || strchr(auth_end, '#'))
		return lg_url_fail(err, errlen, url, "a fragment (#...) is never sent; remove it");
	size_t alen = (size_t)(auth_end - p);
	if (alen == 0)
		return lg_url_fail(err, errlen, url, "no host");
	if (alen >= sizeof(out->authority))
		return lg_url_fail(err, errlen, url, "host too long");
	if (memchr(p, '@', alen))
		return lg_url_fail(err, errlen, url, "user information (user@) is not supported");
	memcpy(out->authority, p, alen);

	const char *host = p, *host_end, *port_s = NULL;
	if (*p == '[') {
		host = p + 1;
		host_end = memchr(p, ']', alen);
		if (!host_end)
			return lg_url_fail(err, errlen, url, "unterminated [IPv6 literal]");
		if (host_end + 1 < auth_end) {
			if (host_end[1] != ':')
				return lg_url_fail(err, errlen, url, "junk after ]");
			port_s = host_end + 2;
		}
	} else {
		host_end = memchr(p, ':', alen);
		if (host_end)
			port_s = host_end + 1;
		else
			host_end = auth_end;
	}
	size_t hlen = (size_t)(host_end - host);
	if (hlen == 0 || hlen >= sizeof(out->host))
		return lg_url_fail(err, errlen, url, "no host");
	memcpy(out->host, host, hlen);

	out->port = out->tls ? 443 : 80;
	if (port_s) {
		long v = 0;
		if (port_s == auth_end)
			return lg_url_fail(err, errlen, url, "empty port");
		for (const char *q = port_s; q < auth_end; q++) {
			if (*q < '0' || *q > '9' || v > 65535)
				return lg_url_fail(err, errlen, url, "the port must be 1 to 65535");
			v = v * 10 + (*q - '0');
		}
		if (v < 1 || v > 65535)
			return lg_url_fail(err, errlen, url, "the port must be 1 to 65535");
		out->port = (int)v;
	}

	struct sockaddr_in *a4 = (struct sockaddr_in *)&out->addr;
	struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)&out->addr;
	if (!strcasecmp(out->host, "localhost") ||
	    inet_pton(AF_INET, out->host, &a4->sin_addr) == 1) {
		if (!strcasecmp(out->host, "localhost"))
			a4->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		a4->sin_family = AF_INET;
		a4->sin_port = htons((uint16_t)out->port);
		out->addrlen = sizeof(*a4);
	} else if (inet_pton(AF_INET6, out->host, &a6->sin6_addr) == 1) {
		if (*p != '[')
			return lg_url_fail(err, errlen, url,
					   "an IPv6 address must be in brackets: [::1]");
		a6->sin6_family = AF_INET6;
		a6->sin6_port = htons((uint16_t)out->port);
		out->addrlen = sizeof(*a6);
	} else {
		if (*p == '[')
			return lg_url_fail(err, errlen, url, "not an IPv6 address in [brackets]");
		/* a host name: checked for what a name may hold, resolved later */
		if (out->host[strspn(out->host, "abcdefghijklmnopqrstuvwxyz"
						"ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._")])
			return lg_url_fail(err, errlen, url,
					   "the host is neither an IP literal nor a host name "
					   "(letters, digits, '-', '.')");
	}
	out->path = auth_end;
	return 0;
}

int lg_url_resolve(const char *host, int port, int family, struct sockaddr_storage *addr,
		   socklen_t *addrlen, char *err, size_t errlen)
{
	struct addrinfo hints = {.ai_family = family, .ai_socktype = SOCK_STREAM};
	struct addrinfo *res = NULL;
	char service[8];
	snprintf(service, sizeof(service), "%d", port);
	int rc = getaddrinfo(host, service, &hints, &res);
	if (rc) {
		snprintf(err, errlen, "cannot resolve '%s'%s: %s", host,
			 family == AF_INET    ? " to an IPv4 address (as --source is)"
			 : family == AF_INET6 ? " to an IPv6 address (as --source is)"
					      : "",
			 gai_strerror(rc));
		return -1;
	}
	memcpy(addr, res->ai_addr, res->ai_addrlen);
	*addrlen = res->ai_addrlen;
	freeaddrinfo(res);
	return 0;
}

void lg_addr_text(const struct sockaddr_storage *a, char *buf, size_t len)
{
	char ip[INET6_ADDRSTRLEN] = "?";
	if (a->ss_family == AF_INET6) {
		const struct sockaddr_in6 *a6 = (const struct sockaddr_in6 *)a;
		inet_ntop(AF_INET6, &a6->sin6_addr, ip, sizeof(ip));
		snprintf(buf, len, "[%s]:%u", ip, ntohs(a6->sin6_port));
	} else {
		const struct sockaddr_in *a4 = (const struct sockaddr_in *)a;
		inet_ntop(AF_INET, &a4->sin_addr, ip, sizeof(ip));
		snprintf(buf, len, "%s:%u", ip, ntohs(a4->sin_port));
	}
}
