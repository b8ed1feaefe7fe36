/* common/: the HTTP date, ring setup with probing, the buffer ring, CPUs, the growable
 * byte buffer. */
#include "rb_buf.h"
#include "rb_bufring.h"
#include "rb_clock.h"
#include "rb_cpu.h"
#include "rb_httpdate.h"
#include "rb_ring.h"

#include <criterion/criterion.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

Test(common, httpdate_format)
{
	char s[RB_HTTPDATE_LEN + 1];
	rb_httpdate_format(784111777, s); /* RFC 9110's example */
	cr_assert_str_eq(s, "Sun, 06 Nov 1994 08:49:37 GMT");
	rb_httpdate_format(0, s);
	cr_assert_str_eq(s, "Thu, 01 Jan 1970 00:00:00 GMT");
	rb_httpdate d = {0};
	cr_assert_eq(rb_httpdate_refresh(&d), 1);
	cr_assert_eq(strlen(d.str), RB_HTTPDATE_LEN);
	cr_assert_eq(rb_httpdate_refresh(&d) + rb_httpdate_refresh(&d) <= 1, 1);
}

Test(common, clocks_monotonic)
{
	uint64_t a = rb_now_ns(), b = rb_now_ns();
	cr_assert_geq(b, a);
	cr_assert_gt(rb_now_ms_coarse(), 0u);
}

Test(common, cpus_and_pinning)
{
	int n = rb_cpu_count();
	cr_assert_geq(n, 1);
	int cpu = rb_cpu_nth(0);
	cr_assert_eq(rb_cpu_pin(cpu), 0);
	cr_assert_eq(rb_cpu_nth(n), cpu, "wraps around");
}

Test(common, ring_probe_and_buffer_ring)
{
	struct io_uring ring;
	rb_ring_info info;
	rb_ring_opts o = {.sq_entries = 8, .cq_entries = 64, .single_thread = 1, .name = "test"};
	cr_assert_eq(rb_ring_init(&ring, &o, &info), 0);
	cr_assert_geq(info.cq_entries, 64u);
	cr_assert(info.flags & IORING_SETUP_CQSIZE);
	char names[128];
	rb_ring_flag_names(info.flags, names, sizeof(names));
	cr_assert(strstr(names, "cqsize"), "%s", names);

	rb_bufring b;
	cr_assert_eq(rb_bufring_init(&b, &ring, 3, 6, 64), -EINVAL, "not a power of two");
	cr_assert_eq(rb_bufring_init(&b, &ring, 3, 4, 64), 0);
	cr_assert_eq(rb_bufring_ptr(&b, 2), b.base + 128);

	/* a recv that selects a buffer from group 3 */
	int sv[2];
	cr_assert_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	cr_assert_eq(write(sv[1], "ping", 4), 4);
	struct io_uring_sqe *sqe = io_uring_get_sqe(&ring);
	io_uring_prep_recv(sqe, sv[0], NULL, 64, 0);
	sqe->flags |= IOSQE_BUFFER_SELECT;
	sqe->buf_group = 3;
	struct io_uring_cqe *cqe;
	cr_assert_eq(io_uring_submit_and_wait(&ring, 1), 1);
	cr_assert_eq(io_uring_peek_cqe(&ring, &cqe), 0);
	cr_assert_eq(cqe->res, 4);
	cr_assert(cqe->flags & IORING_CQE_F_BUFFER);
	uint16_t bid = rb_bufring_bid(cqe);
	cr_assert_lt(bid, 4);
	cr_assert(memcmp(rb_bufring_ptr(&b, bid), "ping", 4) == 0);
	io_uring_cqe_seen(&ring, cqe);
	rb_bufring_put(&b, bid);
	rb_bufring_commit(&b);
	cr_assert_eq(b.pending, 0);
	close(sv[0]);
	close(sv[1]);
	rb_bufring_free(&b, &ring);
	io_uring_queue_exit(&ring);
}

/* The fallback ladder, walked by pretending the kernel refuses flags: each
 * refused flag is dropped with one log line, and TASKRUN_FLAG (moot with
 * DEFER_TASKRUN) is asked for once DEFER_TASKRUN is gone. */
Test(common, ring_fallback_ladder)
{
	struct io_uring ring;
	rb_ring_info info;
	rb_ring_opts o = {.sq_entries = 8, .single_thread = 1, .name = "ladder"};
	cr_assert_eq(rb_ring_init(&ring, &o, &info), 0);
	cr_assert(info.flags & IORING_SETUP_DEFER_TASKRUN);
	cr_assert_not(info.flags & IORING_SETUP_TASKRUN_FLAG);
	io_uring_queue_exit(&ring);

	o.refuse = IORING_SETUP_DEFER_TASKRUN;
	cr_assert_eq(rb_ring_init(&ring, &o, &info), 0);
	cr_assert_not(info.flags & IORING_SETUP_DEFER_TASKRUN);
	unsigned want = IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_TASKRUN_FLAG |
			IORING_SETUP_COOP_TASKRUN | IORING_SETUP_SUBMIT_ALL;
	cr_assert_eq(info.flags & want, want, "flags %#x", info.flags);
	io_uring_queue_exit(&ring);

	/* TASKRUN_FLAG refused too: dropped, not asked for again */
	o.refuse = IORING_SETUP_DEFER_TASKRUN | IORING_SETUP_TASKRUN_FLAG;
	cr_assert_eq(rb_ring_init(&ring, &o, &info), 0);
	cr_assert_not(info.flags & (IORING_SETUP_DEFER_TASKRUN | IORING_SETUP_TASKRUN_FLAG));
	cr_assert(info.flags & IORING_SETUP_COOP_TASKRUN, "flags %#x", info.flags);
	io_uring_queue_exit(&ring);

	/* everything optional refused: a plain ring (CQSIZE and CLAMP are always asked) */
	unsigned basic = IORING_SETUP_CQSIZE | IORING_SETUP_CLAMP;
	o.refuse = ~0u & ~basic;
	cr_assert_eq(rb_ring_init(&ring, &o, &info), 0);
	cr_assert_eq(info.flags & ~basic, 0u, "flags %#x", info.flags);
	io_uring_queue_exit(&ring);
}

Test(common, httpdate_parse_three_forms)
{
	static const struct {
		const char *s;
		int ok;
		long long t;
		const char *why;
	} rows[] = {
		{"Sun, 06 Nov 1994 08:49:37 GMT", 1, 784111777, "IMF-fixdate"},
		{"Sunday, 06-Nov-94 08:49:37 GMT", 1, 784111777, "rfc850"},
		{"Sun Nov  6 08:49:37 1994", 1, 784111777, "asctime, day padded with a space"},
		{"Sun Nov 06 08:49:37 1994", 1, 784111777, "asctime, two-digit day"},
		{"Thu, 01 Jan 1970 00:00:00 GMT", 1, 0, "the epoch"},
		{"Wed, 31 Dec 1969 23:59:59 GMT", 1, -1, "before the epoch"},
		{"Tue, 29 Feb 2000 12:00:00 GMT", 1, 951825600, "leap day of a 400th year"},
		{"Sat, 31 Dec 2016 23:59:60 GMT", 1, 1483228800, "a leap second"},
		{"Fri, 31 Dec 9999 23:59:59 GMT", 1, 253402300799LL, "the last year"},
		{"Mon, 29 Feb 1900 00:00:00 GMT", 0, 0, "1900 was not a leap year"},
		{"Sun, 31 Nov 1994 08:49:37 GMT", 0, 0, "November has 30 days"},
		{"Sun, 00 Nov 1994 08:49:37 GMT", 0, 0, "day zero"},
		{"Sun, 06 Nov 1994 24:00:00 GMT", 0, 0, "hour 24"},
		{"Sun, 06 Nov 1994 08:60:00 GMT", 0, 0, "minute 60"},
		{"Sun, 06 Nov 1994 08:49:61 GMT", 0, 0, "second 61"},
		{"sun, 06 Nov 1994 08:49:37 GMT", 0, 0, "case-sensitive day name"},
		{"Sun, 06 nov 1994 08:49:37 GMT", 0, 0, "case-sensitive month"},
		{"Sun, 06 Nov 1994 08:49:37 UTC", 0, 0, "only GMT"},
		{"Sun, 6 Nov 1994 08:49:37 GMT", 0, 0, "one-digit day in IMF-fixdate"},
		{"Sun, 06 Nov 1994 08:49:37 GMT ", 0, 0, "trailing space"},
		{"Sunday, 06-Nov-1994 08:49:37 GMT", 0, 0, "four-digit year in rfc850"},
		{"Sundai, 06-Nov-94 08:49:37 GMT", 0, 0, "bad long day name"},
		{"Sun Nov  6 08:49:37 1994 GMT", 0, 0, "asctime has no zone"},
		{"Xyz, 06 Nov 1994 08:49:37 GMT", 0, 0, "bad day name"},
		{"Sun, 06 Nov 19a4 08:49:37 GMT", 0, 0, "non-digit year"},
		{"", 0, 0, "empty"},
	};
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		time_t t = 12345;
		int rc = rb_httpdate_parse(rows[i].s, strlen(rows[i].s), 1700000000, &t);
		cr_expect_eq(rc == 0, rows[i].ok, "%s (%s): rc %d", rows[i].s, rows[i].why, rc);
		if (rc == 0 && rows[i].ok)
			cr_expect_eq((long long)t, rows[i].t, "%s (%s): %lld", rows[i].s,
				     rows[i].why, (long long)t);
	}
	/* round trip with the formatter */
	for (time_t t = -86400 * 400; t < 4102444800; t += 86400 * 37 + 3671) {
		char s[RB_HTTPDATE_LEN + 1];
		rb_httpdate_format(t, s);
		time_t back;
		cr_assert_eq(rb_httpdate_parse(s, RB_HTTPDATE_LEN, 1700000000, &back), 0, "%s", s);
		cr_assert_eq(back, t, "%s", s);
	}
}

Test(common, httpdate_parse_rfc850_century)
{
	/* RFC 9110 5.6.7: a two-digit year more than 50 years ahead is in the
	 * past century.  now = 2023-11-14 */
	time_t now = 1700000000, t;
	cr_assert_eq(rb_httpdate_parse("Tuesday, 01-Jan-73 00:00:00 GMT", 31, now, &t), 0);
	cr_expect_eq(t, 3250454400, "73 -> 2073 (50 years ahead)");
	cr_assert_eq(rb_httpdate_parse("Monday, 01-Jan-74 00:00:00 GMT", 30, now, &t), 0);
	cr_expect_eq(t, 126230400, "74 -> 1974 (2074 is 51 years ahead)");
	cr_assert_eq(rb_httpdate_parse("Saturday, 01-Jan-00 00:00:00 GMT", 32, now, &t), 0);
	cr_expect_eq(t, 946684800, "00 -> 2000");
}

/* rb_buf: appends that fit, geometric growth, consume, trim, and the
 * allocation-failure switch (every nth allocation on this thread). */
Test(common, growable_buffer)
{
	rb_buf b = {0};
	cr_assert_eq(rb_buf_append(&b, "", 0), 0, "an empty append needs no memory");
	cr_assert_eq(rb_buf_append(&b, "hello", 5), 0);
	cr_assert_eq(b.cap, 512u, "the first growth");
	char big[1500];
	memset(big, 'x', sizeof(big));
	cr_assert_eq(rb_buf_append(&b, big, sizeof(big)), 0);
	cr_assert_eq(b.len, 1505u);
	cr_assert_eq(b.cap, 2048u, "doubled until it fits");
	rb_buf_consume(&b, 3);
	cr_assert_eq(b.len, 1502u);
	cr_assert(memcmp(b.data, "lo", 2) == 0, "the rest moved to the front");
	b.off = 7;
	rb_buf_consume(&b, 5000);
	cr_assert_eq(b.len, 0u);
	cr_assert_eq(b.off, 0u);
	rb_buf_trim(&b, 4096);
	cr_assert_eq(b.cap, 2048u, "within keep: memory kept");
	rb_buf_trim(&b, 1024);
	cr_assert_null(b.data, "beyond keep: memory given back");

	rb_buf_fail_every(3);
	void *p1 = rb_buf_alloc(16), *p2 = rb_buf_alloc(16);
	cr_assert(p1 && p2);
	cr_assert_eq(rb_buf_append(&b, "x", 1), -1, "the third allocation fails");
	cr_assert_eq(b.len, 0u, "nothing appended");
	cr_assert_null(b.data);
	cr_assert_eq(rb_buf_append(&b, "x", 1), 0);
	cr_assert_eq(rb_buf_append(&b, big, sizeof(big)), 0, "the fifth");
	cr_assert_null(rb_buf_alloc(16), "the sixth fails");
	cr_assert_eq(((unsigned char *)p1)[15], 0, "zeroed");
	rb_buf_fail_every(0);
	free(p1);
	free(p2);
	rb_buf_free(&b);
}
