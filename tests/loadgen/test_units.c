/* rbload's pure parts: --source address sets (lg_sources_*), the saturation
 * warning (lg_saturation), errno names and thousands separators. */
#include "limits.h"
#include "result.h"
#include "source.h"

#include <criterion/criterion.h>
#include <errno.h>
#include <string.h>

static lg_sources parse_ok(const char *spec)
{
	lg_sources s;
	char err[256] = "";
	cr_assert_eq(lg_sources_parse(&s, spec, err, sizeof(err)), 0, "%s: %s", spec, err);
	return s;
}

static void expect_text(const lg_sources *s, uint64_t k, const char *want)
{
	char buf[64];
	lg_sources_text(s, k, buf, sizeof(buf));
	cr_expect_str_eq(buf, want, "address %llu", (unsigned long long)k);
}

Test(source, list_range_and_block_in_order)
{
	lg_sources s = parse_ok("10.0.0.1,127.0.0.2-127.0.0.4,127.0.1.0/30");
	cr_assert_eq(s.family, AF_INET);
	cr_assert_eq(s.count, 1 + 3 + 2); /* a /30 without network and broadcast */
	expect_text(&s, 0, "10.0.0.1");
	expect_text(&s, 1, "127.0.0.2");
	expect_text(&s, 3, "127.0.0.4");
	expect_text(&s, 4, "127.0.1.1");
	expect_text(&s, 5, "127.0.1.2");
}

Test(source, range_carries_across_bytes)
{
	lg_sources s = parse_ok("127.0.0.250-127.0.1.5");
	cr_assert_eq(s.count, 12);
	expect_text(&s, 5, "127.0.0.255");
	expect_text(&s, 6, "127.0.1.0");
	expect_text(&s, 11, "127.0.1.5");
}

Test(source, small_blocks_keep_every_address)
{
	lg_sources s = parse_ok("127.0.0.8/31");
	cr_assert_eq(s.count, 2);
	expect_text(&s, 0, "127.0.0.8");
	expect_text(&s, 1, "127.0.0.9");
	s = parse_ok("127.0.0.9/32");
	cr_assert_eq(s.count, 1);
	s = parse_ok("127.0.0.77/24"); /* host bits are cleared first */
	expect_text(&s, 0, "127.0.0.1");
	cr_assert_eq(s.count, 254);
}

Test(source, ipv6_blocks_and_huge_blocks)
{
	lg_sources s = parse_ok("fd00::/120");
	cr_assert_eq(s.family, AF_INET6);
	cr_assert_eq(s.count, 255); /* no broadcast, but no subnet-router anycast either */
	expect_text(&s, 0, "fd00::1");
	expect_text(&s, 254, "fd00::ff");
	s = parse_ok("fd00::ffff-fd00::1:1");
	cr_assert_eq(s.count, 3);
	expect_text(&s, 1, "fd00::1:0");
	s = parse_ok("fd00::/64"); /* capped: more than any run can use */
	cr_assert_eq(s.count, UINT64_C(1) << 40);
	expect_text(&s, 1000000, "fd00::f:4241");
	s = parse_ok("::-ffff::"); /* a range is capped alike */
	cr_assert_eq(s.count, UINT64_C(1) << 40);
	struct sockaddr_storage ss;
	socklen_t len;
	lg_sources_addr(&s, 1, &ss, &len);
	cr_assert_eq(len, sizeof(struct sockaddr_in6));
	cr_assert_eq(((struct sockaddr_in6 *)&ss)->sin6_port, 0);
}

Test(source, refusals_name_the_item_and_the_rule)
{
	static const struct {
		const char *spec, *msg;
	} bad[] = {
		{"bogus", "--source: 'bogus' is not an address"},
		{"127.0.0.1/33", "'127.0.0.1/33' has a bad prefix length; allowed: 0 to 32"},
		{"::/129", "allowed: 0 to 128"},
		{"127.0.0.1/x", "bad prefix length"},
		{"127.0.0.1/ 8", "bad prefix length"},
		{"127.0.0.1/+8", "bad prefix length"},
		{"127.0.0.9-127.0.0.1", "must not come before the first"},
		{"127.0.0.1-::1", "is not a range"},
		{"127.0.0.1,::1", "of another family than the first item"},
		{",", "names no address"},
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		lg_sources s;
		char err[256] = "";
		cr_expect_eq(lg_sources_parse(&s, bad[i].spec, err, sizeof(err)), -1, "%s",
			     bad[i].spec);
		cr_expect(strstr(err, bad[i].msg) != NULL, "%s: '%s' lacks '%s'", bad[i].spec, err,
			  bad[i].msg);
	}
}

Test(limits, thousands)
{
	char b[32];
	lg_fmt_thousands(0, b, sizeof(b));
	cr_expect_str_eq(b, "0");
	lg_fmt_thousands(999, b, sizeof(b));
	cr_expect_str_eq(b, "999");
	lg_fmt_thousands(30010, b, sizeof(b));
	cr_expect_str_eq(b, "30,010");
	lg_fmt_thousands(1234567, b, sizeof(b));
	cr_expect_str_eq(b, "1,234,567");
}

Test(report, errno_names)
{
	char b[32];
	cr_expect_str_eq(lg_errno_name(ECONNREFUSED, b, sizeof(b)), "ECONNREFUSED");
	cr_expect_str_eq(lg_errno_name(EADDRNOTAVAIL, b, sizeof(b)), "EADDRNOTAVAIL");
	cr_expect_str_eq(lg_errno_name(0, b, sizeof(b)), "other");
}

Test(report, saturation_warns_on_a_busy_thread_or_late_sends_only)
{
	lg_config cfg;
	memset(&cfg, 0, sizeof(cfg));
	cfg.mode = LG_MODE_OPEN;
	cfg.connections = 10;
	cfg.rate = 1000;
	lg_result r;
	memset(&r, 0, sizeof(r));
	r.cfg = &cfg;
	char msg[512];

	r.busy_max = 0.90;
	r.counts.sent = 10000;
	r.counts.late_sends = 100; /* exactly 1%: not over */
	cr_expect_eq(lg_saturation(&r, msg, sizeof(msg)), 0);

	r.counts.late_sends = 250;
	cr_assert_eq(lg_saturation(&r, msg, sizeof(msg)), 1);
	cr_expect(strstr(msg, "2.5% of the requests (250)") && strstr(msg, "10.000 ms"), "%s", msg);
	cr_expect(strstr(msg, "the load generator, not the server, may be the limit"), "%s", msg);

	cfg.mode = LG_MODE_CLOSED; /* no schedule to fall behind */
	cr_expect_eq(lg_saturation(&r, msg, sizeof(msg)), 0);

	r.busy_max = 0.97;
	cr_assert_eq(lg_saturation(&r, msg, sizeof(msg)), 1);
	cr_expect(strstr(msg, "busy 97% of the measured time"), "%s", msg);
}
