#!/bin/sh
# cross/deploy/install.sh: the installing half of cross/deploy.sh, POSIX sh
# (runs on Raspberry Pi OS and on OpenWrt's busybox). cross/deploy.sh runs it
# locally for --root DIR, or copies it with the staged files to the host and
# runs it there as root.
#
# Usage: install.sh SRC DEST systemd|openwrt [--activate]
#   SRC        the staged tree (usr/bin/nostr-dns, etc/..., lib/...)
#   DEST       the root to install into (/ on a host)
#   --activate then run activate.sh (beside this file): create the user,
#              enable and (re)start the services; publishing is never enabled
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

# Creating the user and starting the services: activate.sh, beside this file.
exec sh "$(dirname "$0")/activate.sh" "$kind"
