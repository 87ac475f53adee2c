#!/bin/sh
# cross/deploy/install.sh: the installing half of cross/deploy.sh, POSIX sh
# (runs on Raspberry Pi OS and on OpenWrt's busybox). cross/deploy.sh runs it
# locally for --root DIR, or copies it with the staged files to the host and
# runs it there as root.
#
# Usage: install.sh SRC DEST systemd|openwrt [--activate]
#   SRC        the staged tree (usr/bin/nostr-dns, etc/..., lib/...)
#   DEST       the root to install into (/ on a host)
#   --activate also create the user and enable and (re)start the services
# Files marked "keep" (the config files) are installed only when absent:
# an existing one is never overwritten.
set -eu
umask 022

[ $# -ge 3 ] || { echo "usage: install.sh SRC DEST systemd|openwrt [--activate]" >&2; exit 2; }
src=$1 dest=${2%/} kind=$3 activate=${4:-}
case "$kind" in systemd|openwrt) ;; *) echo "install.sh: unknown kind '$kind'" >&2; exit 2 ;; esac

put() { # put REL MODE [keep]
	rel=$1 mode=$2 keep=${3:-}
	target="$dest/$rel"
	if [ -n "$keep" ] && { [ -e "$target" ] || [ -L "$target" ]; }; then
		echo "  kept       /$rel (exists; not overwritten)"
		return 0
	fi
	mkdir -p "$(dirname "$target")"
	# Copy next to it, then rename: a running binary is replaced, not rewritten.
	cp "$src/$rel" "$target.new.$$"
	chmod "$mode" "$target.new.$$"
	mv -f "$target.new.$$" "$target"
	echo "  installed  /$rel ($mode)"
}

put usr/bin/nostr-dns 0755
put etc/nostr-dns/config 0644 keep
put usr/share/doc/nostr-dns/LICENSE 0644
put usr/share/doc/nostr-dns/NOTICE 0644
put usr/share/doc/nostr-dns/licenses/Apache-2.0 0644
put usr/share/doc/nostr-dns/licenses/LGPL-2.1 0644
if [ "$kind" = systemd ]; then
	put lib/systemd/system/nostr-dns.service 0644
	put lib/systemd/system/nostr-dns-publish.service 0644
	put lib/systemd/system/nostr-dns-dns.service 0644
	put etc/default/nostr-dns 0644 keep
	put usr/share/man/man8/nostr-dns.8 0644
else
	put etc/init.d/nostr-dns 0755
	put etc/config/nostr-dns 0644 keep
	put lib/upgrade/keep.d/nostr-dns 0644
fi

[ "$activate" = --activate ] || exit 0
[ "$dest" = "" ] || { echo "install.sh: --activate only with DEST /" >&2; exit 2; }

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
	echo "  publishing is off (option enabled '0' in config publish): nothing is published until you run"
	echo "             uci set nostr-dns.publish.enabled=1 && uci commit nostr-dns"
	sleep 1
	echo "npub: $(/usr/bin/nostr-dns --config /var/etc/nostr-dns.conf whoami 2>&1 | head -n1)"
	echo "logs: logread -e nostr-dns -f"
fi
