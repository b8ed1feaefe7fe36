#!/usr/bin/env bash
# rbload over https:// end to end (docs/loadgen.md, docs/tls.md): nginx with `ssl` on a loopback
# port, started here with its own configuration in a temporary directory, and a throwaway
# certificate for localhost made at test time with `openssl req` (never committed). Checked:
# requests complete with -k and with --cacert, counted exactly against nginx's access log; the
# version and cipher agreed are reported; without --cacert the self-signed certificate is
# refused (tls-certificate, with OpenSSL's reason, a non-zero error count); pipelined -p 16;
# --tls-resume with --close resumes handshakes (none without it); a wrong --sni is refused
# (hostname mismatch); no shared cipher is the peer's alert by name; --tls-max 1.2 agrees TLS
# 1.2; bad TLS flags exit 2 naming the flag; under RB_FAULTS=ktls-try (and no-multishot) the kTLS
# TX and RX hand-overs run on every socket and this kernel's refusals lose nothing.
# Skipped (exit 77, one line) without openssl or nginx. Every run is bounded (-n N or -d 1s);
# about 15 s.
#
# usage: tests/loadgen/test_tls.sh RBLOAD   (ctest: rbload_tls)
set -euo pipefail

if [ $# -ne 1 ]; then
	echo "usage: $0 RBLOAD" >&2
	exit 2
fi
RBLOAD=$1
[ -x "$RBLOAD" ] || { echo "test_tls.sh: $RBLOAD is not an executable (build first)" >&2; exit 2; }
command -v jq >/dev/null || { echo "test_tls.sh: needs jq" >&2; exit 2; }
command -v openssl >/dev/null || { echo "SKIP: test_tls.sh needs openssl (apt-get install openssl)"; exit 77; }
NGINX=$(command -v nginx || echo /usr/sbin/nginx)
[ -x "$NGINX" ] || { echo "SKIP: test_tls.sh needs nginx (apt-get install nginx)"; exit 77; }

# shellcheck source=tests/loadgen/lib.sh
. "$(dirname "$0")/lib.sh"

# ---- a certificate for localhost (and 127.0.0.1), one day, P-256 -------------------------------
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 1 -subj /CN=localhost \
	-addext "subjectAltName=DNS:localhost,IP:127.0.0.1" \
	-keyout "$tmp/key.pem" -out "$tmp/cert.pem" 2>"$tmp/openssl.err" ||
	{ echo "test_tls.sh: openssl req failed: $(cat "$tmp/openssl.err")" >&2; exit 1; }

# ---- nginx on a free loopback port, its own configuration and logs under $tmp ------------------
free_port()
{
	python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}
mkdir -p "$tmp/ng" "$tmp/www"
# 256 KiB: pipelined responses that span many receives, so the RX hand-over's cancel meets data
head -c 262144 /dev/zero | tr '\0' x >"$tmp/www/big"
user_line=
[ "$(id -u)" = 0 ] && user_line='user root;' # the worker reads the key under $tmp (mode 0700)
start_nginx()
{
	local i
	for ((i = 0; i < 5; i++)); do
		port=$(free_port)
		cat >"$tmp/ng/nginx.conf" <<EOF
$user_line
daemon off;
master_process on;
worker_processes 1;
pid $tmp/ng/nginx.pid;
error_log $tmp/ng/error.log warn;
events { worker_connections 1024; }
http {
	access_log $tmp/ng/access.log;
	keepalive_requests 100000000;
	client_body_temp_path $tmp/ng/body;
	proxy_temp_path $tmp/ng/proxy;
	fastcgi_temp_path $tmp/ng/fastcgi;
	uwsgi_temp_path $tmp/ng/uwsgi;
	scgi_temp_path $tmp/ng/scgi;
	server {
		listen 127.0.0.1:$port ssl;
		ssl_certificate $tmp/cert.pem;
		ssl_certificate_key $tmp/key.pem;
		ssl_protocols TLSv1.2 TLSv1.3;
		location /big {
			root $tmp/www;
		}
		location / {
			default_type text/plain;
			return 200 "Hello, World!";
		}
	}
}
EOF
		run_bg "$NGINX" -p "$tmp/ng" -c "$tmp/ng/nginx.conf" >"$tmp/ng/out" 2>&1
		ng_pid=$bg_pid
		local j
		for ((j = 0; j < 100; j++)); do
			if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
				return 0
			fi
			kill -0 "$ng_pid" 2>/dev/null || break
			sleep 0.05
		done
		stop "$ng_pid"
	done
	echo "test_tls.sh: nginx did not start: $(cat "$tmp/ng/out" "$tmp/ng/error.log" 2>/dev/null)" >&2
	exit 1
}
start_nginx
: >"$tmp/ng/access.log"
url=https://localhost:$port/plaintext

logged=0 # the access log's lines so far (requests nginx answered)

# check_access NAME N: nginx logged exactly N requests since the last check.
check_access()
{
	local got n
	sleep 0.2 # nginx writes each line as the request ends; the last may trail rbload's exit
	n=$(wc -l <"$tmp/ng/access.log")
	got=$((n - logged))
	logged=$n
	if [ "$got" = "$2" ]; then
		pass "$1: nginx logged $2 requests"
	else
		fail "$1: nginx logged $got requests, rbload counted $2"
	fi
}

# ---- -k: requests complete, counted as nginx counts them; what was agreed ---------------------
load insecure -c 4 -n 400 -k "$url"
exact_counts insecure 400
check_access insecure 400
check insecure "$tmp/insecure.json" '.tls.version == "TLSv1.3" and (.tls.cipher | startswith("TLS_"))'
check insecure "$tmp/insecure.json" '.tls.handshakes == 4 and .tls.full == 4 and .tls.resumed == 0'
check insecure "$tmp/insecure.json" '.tls.handshake_us.count == 4 and .tls.handshake_us.p50 > 0'
check insecure "$tmp/insecure.json" '.tls.verify == false and .tls.ktls == false and (.tls.ktls_why | length) > 0'

# ---- RB_FAULTS=ktls-try: every socket tries the kTLS TX hand-over after its handshake, then RX --
# after its first response (the server's tickets read): the receive is cancelled, its final
# completion awaited, everything it delivered fed, RX exported and installed. This kernel (no tls
# ULP) refuses both with ENOENT, counted per socket (ktls_refused TX, ktls_rx_refused RX), one log
# line; the receive is re-armed in user space and nothing is lost: 1000 requests per socket,
# pipelined too, multishot and one-shot receives (no-multishot), counted exactly against nginx's
# log. On a kernel with the ULP the same run hands both over (ktls_tx, ktls_rx the sockets).
if grep -qw tls /proc/sys/net/ipv4/tcp_available_ulp 2>/dev/null; then
	ktls_want='.tls.ktls == true and .tls.ktls_tx == 4 and .tls.ktls_refused == 0 and .tls.ktls_rx == 4'
else
	ktls_want='.tls.ktls == false and .tls.ktls_tx == 0 and .tls.ktls_refused == 4 and .tls.ktls_rx == 0 and .tls.ktls_rx_refused == 4 and .tls.ktls_rx_unclean == 0 and .tls.ktls_rx_tries >= 4 and (.tls.ktls_why | test("TCP_ULP"))'
fi
for faults in ktls-try ktls-try,no-multishot; do
	for p in 1 16; do
		name=ktlstry${faults#ktls-try}$p
		RB_FAULTS=$faults load "$name" -c 4 -p "$p" -n 4000 -k "$url"
		exact_counts "$name" 4000
		check_access "$name" 4000
		check "$name" "$tmp/$name.json" "$ktls_want"
		if grep -qw tls /proc/sys/net/ipv4/tcp_available_ulp 2>/dev/null ||
			[ "$(grep -c 'TCP_ULP.*user space' "$tmp/$name.err")" = 1 ]; then
			pass "$name: one log line says why the records stay in user space"
		else
			fail "$name: want one TCP_ULP log line: $(cat "$tmp/$name.err")"
		fi
	done
done
# Large pipelined responses: the first completes while the rest still arrive, so receives
# complete with data between the cancel and the final completion (fed, not lost: a byte
# missing fails the session) and the hand-over often finds half a record (tried again).
for faults in ktls-try ktls-try,no-multishot; do
	name=ktlsbig${faults#ktls-try}
	RB_FAULTS=$faults load "$name" -c 4 -p 16 -n 400 -k "https://localhost:$port/big"
	exact_counts "$name" 400
	check_access "$name" 400
	grep -qw tls /proc/sys/net/ipv4/tcp_available_ulp 2>/dev/null ||
		check "$name" "$tmp/$name.json" '.tls.ktls_rx == 0 and .tls.ktls_rx_refused + .tls.ktls_rx_unclean == 4 and .tls.ktls_rx_tries >= 4'
done

# ---- --cacert: verified against the throwaway certificate --------------------------------------
load cacert -c 2 -n 200 --cacert "$tmp/cert.pem" "$url"
exact_counts cacert 200
check_access cacert 200
check cacert "$tmp/cacert.json" '.tls.verify == true and .tls.sni == "localhost"'

# ---- no --cacert: the system store does not know it; the reason is OpenSSL's -------------------
load noverify -c 1 -d 1s "$url"
check_rc noverify 1
check noverify "$tmp/noverify.json" '.errors["tls-certificate"] > 0 and .requests == 0'
check noverify "$tmp/noverify.json" \
	'.tls.error_reasons["tls-certificate"] == "certificate verify failed: self-signed certificate"'
check_err noverify 'tls-certificate from .*: certificate verify failed: self-signed certificate'
check_access noverify 0

# ---- pipelined 16 -------------------------------------------------------------------------------
load pipelined -c 2 -p 16 -n 3200 --cacert "$tmp/cert.pem" "$url"
exact_counts pipelined 3200
check_access pipelined 3200

# ---- --tls-resume with --close: reconnects take the ticket ------------------------------------
load resume -c 2 -n 60 --close --tls-resume --cacert "$tmp/cert.pem" "$url"
exact_counts resume 60
check_access resume 60
check resume "$tmp/resume.json" '.tls.resumed > 0 and .tls.handshakes == 60 and .tls.resume == true'
load noresume -c 2 -n 30 --close --cacert "$tmp/cert.pem" "$url"
exact_counts noresume 30
check_access noresume 30
check noresume "$tmp/noresume.json" '.tls.resumed == 0 and .tls.full == 30'

# ---- a wrong --sni: the certificate is for localhost -------------------------------------------
load badsni -c 1 -d 1s --sni wrong.example --cacert "$tmp/cert.pem" "$url"
check_rc badsni 1
check badsni "$tmp/badsni.json" '.errors["tls-certificate"] > 0 and .tls.sni == "wrong.example"'
check badsni "$tmp/badsni.json" '.tls.error_reasons["tls-certificate"] | test("hostname mismatch")'

# ---- no shared cipher: TLS 1.2 with only RSA-signed suites, the certificate is EC ---------------
# nginx finds none and says so with a handshake_failure alert: rbload counts the alert by name.
load nocipher -c 1 -d 1s --tls-max 1.2 --ciphers ECDHE-RSA-AES128-GCM-SHA256 -k "$url"
check_rc nocipher 1
check nocipher "$tmp/nocipher.json" '.errors["tls-alert"] > 0 and .requests == 0'
check nocipher "$tmp/nocipher.json" '.tls.error_reasons["tls-alert"] | test("handshake failure")'
check_access nocipher 0

# ---- --tls-max 1.2 ------------------------------------------------------------------------------
load tls12 -c 2 -n 100 --tls-max 1.2 --cacert "$tmp/cert.pem" "$url"
exact_counts tls12 100
check_access tls12 100
check tls12 "$tmp/tls12.json" '.tls.version == "TLSv1.2" and (.tls.cipher | startswith("ECDHE-"))'

# ---- bad TLS flags: exit 2, naming the flag and what is allowed --------------------------------
bad_flag()
{
	local name=$1 re=$2
	shift 2
	load "$name" "$@"
	check_rc "$name" 2
	check_err "$name" "$re"
}
bad_flag flag-min "--tls-min: '1.1' is not a TLS version; allowed: 1\.2 or 1\.3" --tls-min 1.1 "$url"
bad_flag flag-order "--tls-min 1\.3 is above --tls-max 1\.2" --tls-min 1.3 --tls-max 1.2 "$url"
bad_flag flag-http "--cacert needs an https:// URL" --cacert "$tmp/cert.pem" "http://127.0.0.1:$port/"
bad_flag flag-cacert "--cacert: '$tmp/none.pem': No such file or directory" --cacert "$tmp/none.pem" "$url"
bad_flag flag-ciphers "--ciphers: TLS 1\.2 cipher list 'NOT-A-CIPHER'" --ciphers NOT-A-CIPHER "$url"
bad_flag flag-suites "--tls13-ciphersuites: TLS 1\.3 cipher suites 'NOPE'" --tls13-ciphersuites NOPE "$url"
bad_flag flag-k-cacert "-k and --cacert: give one of them" -k --cacert "$tmp/cert.pem" "$url"

echo "test_tls.sh: $passed passed, $failed failed"
[ "$failed" = 0 ]
