#!/usr/bin/env bash
# SPDX-License-Identifier: ISC
# The demo: two simulated partner ILSes and the gateway on 127.0.0.1, with a
# walkthrough of real kiosk and desk sessions.
#   demo.sh run    start, walk through, serve in the foreground until ^C
#   demo.sh start  start in the background and walk through
#   demo.sh stop   stop what start started
set -eu

SRCDIR=${SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}
BUILDDIR=${BUILDDIR:-$SRCDIR}
RUN=$BUILDDIR/demo-run
ILSSIM=$BUILDDIR/tests/circlink-ilssim
CIRCLINKD=$BUILDDIR/gateway/circlinkd
CLIENT=$BUILDDIR/gateway/circlink-sip2
CTL=$BUILDDIR/gateway/circlinkctl

say() { printf '%s\n' "$*"; }

port_busy() {
	# A connect that succeeds means something listens there already.
	(exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

wait_port() {
	i=0
	while ! port_busy "$1"; do
		i=$((i + 1))
		if [ "$i" -gt 100 ]; then
			say "demo: nothing answers on 127.0.0.1:$1; see $RUN/*.log" >&2
			return 1
		fi
		sleep 0.1
	done
}

stop() {
	for p in circlinkd metro-ils district-ils; do
		if [ -f "$RUN/$p.pid" ]; then
			kill "$(cat "$RUN/$p.pid")" 2>/dev/null || true
			rm -f "$RUN/$p.pid"
		fi
	done
}

setup() {
	for port in 6001 6002 7001 7081 7082 7101 7102 8080 8443; do
		if port_busy "$port"; then
			say "demo: 127.0.0.1:$port is in use; is a demo running?" \
			    "Try: make demo-stop" >&2
			exit 1
		fi
	done
	mkdir -p "$RUN/partners"
	chmod 700 "$RUN"
	# Each demo starts with no links and no revocations, as the
	# walkthrough expects; the simulated ILSes load their data afresh.
	rm -rf "$RUN/state" "$RUN/store.key"
	if [ ! -f "$RUN/gateway.crt" ]; then
		openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 \
		    -nodes -days 365 -subj /CN=localhost \
		    -addext subjectAltName=IP:127.0.0.1,DNS:localhost \
		    -keyout "$RUN/gateway.key" -out "$RUN/gateway.crt" \
		    2>/dev/null
		chmod 600 "$RUN/gateway.key"
	fi
	for f in circlinkd.conf partners/metro.conf partners/district.conf; do
		sed "s|@DEMODIR@|$RUN|g" "$SRCDIR/etc/demo/$f.in" > "$RUN/$f"
		chmod 600 "$RUN/$f"
	done
	"$CIRCLINKD" -n -f "$RUN/circlinkd.conf" >/dev/null
}

start() {
	setup
	# Metro's ILS speaks SIP2 and NCIP 2.02; the district's NCIP 1 only.
	"$ILSSIM" -d "$SRCDIR/etc/demo/metro.ils" -l 127.0.0.1:7001 \
	    -n 127.0.0.1:7081 -C 127.0.0.1:7101 >"$RUN/metro-ils.log" 2>&1 &
	echo $! > "$RUN/metro-ils.pid"
	"$ILSSIM" -d "$SRCDIR/etc/demo/district.ils" -n 127.0.0.1:7082 \
	    -C 127.0.0.1:7102 >"$RUN/district-ils.log" 2>&1 &
	echo $! > "$RUN/district-ils.pid"
	wait_port 7001
	wait_port 7081
	wait_port 7082
	"$CIRCLINKD" -d -f "$RUN/circlinkd.conf" >"$RUN/circlinkd.log" 2>&1 &
	echo $! > "$RUN/circlinkd.pid"
	wait_port 6001
	wait_port 6002
	wait_port 8080
	wait_port 8443
	# Let the backend pools log in before the first kiosk does.
	sleep 0.5
}

walk() {
	say ""
	say "== A metro self-check kiosk (metro-kiosk at MAIN), plain TCP =="
	"$CLIENT" -u metro-kiosk -w metro-kiosk-pw -i METRO \
	    -f "$SRCDIR/etc/demo/walkthrough-kiosk.sip2" 127.0.0.1:6001 || true
	say ""
	say "== A district circulation desk (district-desk at LINCOLN), TLS =="
	say "   (the district's ILS speaks NCIP 1 only: each message is translated;"
	say "   what NCIP cannot do, such as fee payments, is refused clearly)"
	"$CLIENT" -T -a "$RUN/gateway.crt" -u district-desk \
	    -w district-desk-pw -i DISTRICT \
	    -f "$SRCDIR/etc/demo/walkthrough-desk.sip2" 127.0.0.1:6002 || true
	say ""
	say "== The district's patrons at metro's kiosk, under the agreement =="
	"$CLIENT" -u metro-kiosk -w metro-kiosk-pw -i METRO \
	    -f "$SRCDIR/etc/demo/walkthrough-partners-kiosk.sip2" \
	    127.0.0.1:6001 || true
	say ""
	say "== Metro's patrons at the district's desk, under the agreement =="
	"$CLIENT" -T -a "$RUN/gateway.crt" -u district-desk \
	    -w district-desk-pw -i DISTRICT \
	    -f "$SRCDIR/etc/demo/walkthrough-partners-desk.sip2" \
	    127.0.0.1:6002 || true
	say ""
	say "== Staff member jordan signs on at metro's MAIN desk (93 with CP) =="
	say "   (one staff account; at metro it holds circulation only)"
	"$CLIENT" -u jordan -w jordan-staff-pw -i METRO -l MAIN \
	    -f "$SRCDIR/etc/demo/walkthrough-staff.sip2" 127.0.0.1:6001 || true
	revocation
	holds
	for f in lookup-user lookup-item; do
		say ""
		say "== NCIP from metro's ILS: $f (POST /ncip/metro-ncip-token) =="
		ncip_post "$f" metro-ncip-token
	done
	say ""
	say "== NCIP from the district's catalogue: a title found elsewhere =="
	say "   (LookupItemSet by ISBN, POST /ncip/district-ncip-token)"
	ncip_post lookup-item-set district-ncip-token
	registration
}

# Show an example's comment, post it with a caller's token, show the answer.
ncip_post() {
	sed -n '/<!--/,/-->/p' "$SRCDIR/etc/demo/ncip/$1.xml"
	curl -sS -H 'Content-Type: application/xml' \
	    --data-binary @"$SRCDIR/etc/demo/ncip/$1.xml" \
	    "http://127.0.0.1:8080/ncip/$2" |
	    sed 's/></>\n</g'
	say ""
}

# Scenario 4: a district student's hold on a metro title, picked up at
# LINCOLN, followed through its life by the gateway's request tracker.
holds() {
	desk="$CLIENT -T -a $RUN/gateway.crt -u district-desk -w district-desk-pw"
	kiosk="$CLIENT -u metro-kiosk -w metro-kiosk-pw -i METRO"
	ctl="$CTL -f $RUN/circlinkd.conf"
	say ""
	say "== Holds with pickup anywhere: a district student asks for a metro title =="
	say "-- at LINCOLN's desk, metro's Dune (out on loan there), pickup LINCOLN:"
	$desk 127.0.0.1:6002 hold AO=METRO AA=22000000002 AD=5555 AJ=Dune \
	    BS=LINCOLN || true
	say "\$ circlinkctl request list"
	$ctl request list || true
	id=$($ctl request list 2>/dev/null | awk '/owner=metro/ { i = $1 }
	    END { print i }')
	say "-- Dune comes back at metro: trapped for the hold, sent to LINCOLN:"
	$kiosk 127.0.0.1:6001 checkin AB=31000000004 AP=MAIN || true
	say "-- it arrives at LINCOLN: taken in there (NCIP AcceptItem), on the"
	say "   hold shelf for the student:"
	$desk -i DISTRICT -l LINCOLN 127.0.0.1:6002 checkin AB=31000000004 || true
	say "-- the student borrows it at LINCOLN (and metro sees it out):"
	$desk -i DISTRICT 127.0.0.1:6002 checkout AA=22000000002 AD=5555 \
	    AB=31000000004 || true
	say "-- returned at LINCOLN: it goes home to metro's MAIN:"
	$desk -i DISTRICT -l LINCOLN 127.0.0.1:6002 checkin AB=31000000004 || true
	say "-- checked in at metro: the request is complete:"
	$kiosk 127.0.0.1:6001 checkin AB=31000000004 AP=MAIN || true
	if [ -n "$id" ]; then
		say "\$ circlinkctl request show $id"
		$ctl request show "$id" || true
	fi
}

# One control command to a simulated ILS (tests and demos only).
ils_ctl() {
	exec 3<>"/dev/tcp/127.0.0.1/$1"
	printf '%s\n' "$2" >&3
	head -n 1 <&3
	exec 3<&-
}

# One registration reaching both partners; preferences set once.
registration() {
	say ""
	say "== NCIP from the district's ILS: CreateUser (a new student) =="
	ncip_post create-user district-ncip-token
	say "\$ circlinkctl link show district 22000000100"
	"$CTL" -f "$RUN/circlinkd.conf" link show district 22000000100 || true
	say "-- the district's ILS has the student (metro gave a visitor account):"
	ils_ctl 7102 "patron 22000000100" || true
	say ""
	say "== NCIP from the district's ILS: UpdateUser (notice preferences) =="
	ncip_post update-prefs district-ncip-token
	say "-- the district's ILS got the push:"
	ils_ctl 7102 "patron 22000000100" || true
	say "\$ circlinkctl prefs set district 22000000100 channels=email,sms"
	"$CTL" -f "$RUN/circlinkd.conf" prefs set district 22000000100 \
	    channels=email,sms || true
	say "\$ circlinkctl status | grep outbox"
	"$CTL" -f "$RUN/circlinkd.conf" status | grep '^outbox' || true
}

# Either partner revokes alone, at once; local service goes on.
revocation() {
	say ""
	say "== The district's administrator revokes the agreement =="
	say "\$ circlinkctl agreement revoke district metro"
	echo district-admin-pw |
	    "$CTL" -f "$RUN/circlinkd.conf" agreement revoke district metro ||
	    true
	"$CTL" -f "$RUN/circlinkd.conf" status | grep '^agreement' || true
	say "-- a metro kiosk asks about a district student, then a metro adult:"
	"$CLIENT" -u metro-kiosk -w metro-kiosk-pw -i METRO 127.0.0.1:6001 \
	    patron-status AA=22000000002 AD=5555 || true
	"$CLIENT" -u metro-kiosk -w metro-kiosk-pw -i METRO 127.0.0.1:6001 \
	    patron-status AA=21000000001 AD=1111 || true
	say "\$ circlinkctl agreement accept district metro"
	echo district-admin-pw |
	    "$CTL" -f "$RUN/circlinkd.conf" agreement accept district metro ||
	    true
	"$CTL" -f "$RUN/circlinkd.conf" status | grep '^agreement' || true
}

connect_help() {
	say ""
	say "The demo is running on 127.0.0.1:"
	say "  gateway SIP2   6001 (plain), 6002 (TLS, certificate $RUN/gateway.crt)"
	say "  gateway NCIP   8080 (HTTP), 8443 (HTTPS): /ncip/metro-ncip-token,"
	say "                 /ncip/district-ncip-token"
	say "  metro ILS      7001 (SIP2), 7081 (NCIP 2.02), control 7101"
	say "  district ILS   7082 (NCIP 1.0 only), control 7102"
	say "Try:"
	say "  $CLIENT -u metro-kiosk -w metro-kiosk-pw -i METRO 127.0.0.1:6001 patron-status AA=21000000001 AD=1111"
	say "Logs: $RUN/*.log"
}

case "${1:-run}" in
run)
	trap 'stop; say ""; say "demo stopped"; exit 0' INT TERM
	start
	walk
	connect_help
	say "Serving in the foreground; press ^C to stop."
	wait
	;;
start)
	start
	walk
	connect_help
	say "Stop it with: make demo-stop"
	;;
stop)
	stop
	say "demo stopped"
	;;
*)
	say "usage: demo.sh run|start|stop" >&2
	exit 2
	;;
esac
