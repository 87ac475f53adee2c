#!/bin/sh
# cross/deploy/activate.sh: the activating half of install.sh --activate,
# POSIX sh (Raspberry Pi OS, OpenWrt's busybox), run as root on the host
# after the files are in place.
#
# Usage: activate.sh systemd|openwrt
# systemd: the system user nostr-dns, then enable and (re)start
# nostr-dns.service (the mDNS responder) and nostr-dns-dns.service (the DNS
# server on loopback). OpenWrt: enable and restart /etc/init.d/nostr-dns.
# Publishing (nostr-dns-publish.service, the OpenWrt publish instance) is
# never enabled here: it makes this host's address public, on public relays,
# signed, for good; the owner turns it on with one command, printed below.
# An upgrade restarts a publishing service the owner enabled earlier.
set -eu

[ $# -eq 1 ] || { echo "usage: activate.sh systemd|openwrt" >&2; exit 2; }
kind=$1
case "$kind" in systemd|openwrt) ;; *) echo "activate.sh: unknown kind '$kind'" >&2; exit 2 ;; esac

if [ "$kind" = systemd ]; then
	if ! id nostr-dns >/dev/null 2>&1; then
		useradd --system --no-create-home --home-dir /var/lib/nostr-dns \
			--shell /usr/sbin/nologin nostr-dns
		echo "  created    system user nostr-dns"
	fi
	systemctl daemon-reload
	systemctl enable --now nostr-dns.service
	systemctl restart nostr-dns.service
	echo "  started    nostr-dns.service (the mDNS responder)"
	systemctl enable --now nostr-dns-dns.service
	systemctl restart nostr-dns-dns.service
	echo "  started    nostr-dns-dns.service (127.0.0.1:5300; dnsmasq: server=/nostr/127.0.0.1#5300)"
	# Publishing is never turned on here: it makes this host's address
	# public, on public relays, signed, for good. An upgrade keeps whatever
	# the owner chose (a running nostr-dns-publish is restarted, not enabled).
	if systemctl is-active --quiet nostr-dns-publish.service; then
		systemctl restart nostr-dns-publish.service
		echo "  restarted  nostr-dns-publish.service (enabled by you earlier)"
	else
		echo "  not started nostr-dns-publish.service: nothing is published until you run"
		echo "             systemctl enable --now nostr-dns-publish"
	fi
	sleep 1
	echo "npub: $(/usr/bin/nostr-dns --config /etc/nostr-dns/config whoami 2>&1 | head -n1)"
	echo "logs: journalctl -u nostr-dns -u nostr-dns-dns -f"
else
	/etc/init.d/nostr-dns enable
	/etc/init.d/nostr-dns restart
	echo "  started    /etc/init.d/nostr-dns (instances main, the mDNS responder on the lan network, and dns)"
	if [ "$(uci -q get nostr-dns.publish.enabled)" = 1 ]; then
		echo "  publishing is on (set by you earlier: nostr-dns.publish.enabled=1)"
	else
		echo "  publishing is off (option enabled '0' in config publish): nothing is published until you run"
		echo "             uci set nostr-dns.publish.enabled=1 && uci commit nostr-dns"
	fi
	sleep 1
	echo "npub: $(/usr/bin/nostr-dns --config /var/etc/nostr-dns.conf whoami 2>&1 | head -n1)"
	echo "logs: logread -e nostr-dns -f"
fi
