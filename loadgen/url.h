/* http:// and https:// URLs on the command line: host, port, path; a host name resolved once. */
#ifndef LG_URL_H
#define LG_URL_H

#include <stddef.h>
#include <sys/socket.h>

typedef struct lg_url_parts {
	char host[256];      /* without brackets for IPv6 */
	int port;            /* 80, or 443 for https:// */
	int tls;             /* https:// */
	const char *path;    /* into the URL: "/..." or "" */
	char authority[300]; /* host[:port] as written, for the Host header */
	struct sockaddr_storage addr;
	socklen_t addrlen; /* 0: a host name, for lg_url_resolve */
} lg_url_parts;

/* Split, and fill addr for an IP literal or "localhost" (127.0.0.1).
 * Returns 0, or -1 with a message for the user in err. */
int lg_url_parse(const char *url, lg_url_parts *out, char *err, size_t errlen);

/* Resolve a host name with getaddrinfo: the first address of `family`
 * (AF_INET, AF_INET6, or AF_UNSPEC for any), with port.  Returns 0, or -1
 * with a message naming the host and the resolver's answer in err. */
int lg_url_resolve(const char *host, int port, int family, struct sockaddr_storage *addr,
		   socklen_t *addrlen, char *err, size_t errlen);

/* "127.0.0.1:8080" or "[::1]:8080". */
void lg_addr_text(const struct sockaddr_storage *a, char *buf, size_t len);

#endif
