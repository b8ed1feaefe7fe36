/* Listening sockets for the programs that accept (rbserver, rbfloor). */
#ifndef RB_LISTEN_H
#define RB_LISTEN_H

/* A TCP socket listening on addr (an IPv4 or IPv6 literal) and port (0: the
 * kernel picks), with SO_REUSEADDR, and SO_REUSEPORT when reuseport is set
 * (every worker's socket on one port; the kernel spreads connections).
 * Returns the descriptor and sets *bound_port, or -errno (-EINVAL: addr is
 * not an address literal). */
int rb_listen(const char *addr, int port, int reuseport, int *bound_port);

#endif
