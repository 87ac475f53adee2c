#!/usr/bin/env bash
# cross/deploy.sh: install a cross-built nostr-dns (cross/build.sh) with its
# service files, into a folder or onto a Raspberry Pi OS / OpenWrt host.
#
# Usage: cross/deploy.sh [--arch aarch64|armv7|x86_64] --root DIR
#        cross/deploy.sh [--arch aarch64|armv7|x86_64] [--openwrt] [--root DIR | user@host]
#   --arch ARCH   which build to install: dist/ARCH/nostr-dns.stripped (default aarch64)
#   --openwrt     procd init script and UCI config instead of systemd units
#   --root DIR    lay the files out under DIR (nothing is started; for
#                 packaging and tests)
#   user@host     the same onto the host over ssh, as root (sudo when the
#                 user is not root), then create the user and start the services
# Environment: SSH (default ssh), SSH_OPTS (extra options for ssh, e.g. "-p 2222").
#
# What is installed (config files only when absent, never overwritten):
#   /usr/bin/nostr-dns                                   0755
#   /etc/nostr-dns/config                                0644  keep
#   systemd: /lib/systemd/system/nostr-dns.service       0644  (mdns, the main job)
#            /lib/systemd/system/nostr-dns-publish.service 0644 (publish-ip --watch)
#            /lib/systemd/system/nostr-dns-dns.service     0644 (dns, the DNS server)
#            /etc/default/nostr-dns                      0644  keep (NOSTR_DNS_PUBLISH_ARGS)
#            /usr/share/man/man8/nostr-dns.8             0644  (the man page; OpenWrt has no man)
#   OpenWrt: /etc/init.d/nostr-dns                       0755
#            /etc/config/nostr-dns                       0644  keep (UCI)
#            /lib/upgrade/keep.d/nostr-dns               0644  (keeps the key over sysupgrade)
#   both:    /usr/share/doc/nostr-dns/{LICENSE,NOTICE}   0644  (the license, what is linked in)
#            /usr/share/doc/nostr-dns/licenses/{Apache-2.0,LGPL-2.1} 0644
# On a host (systemd): the system user nostr-dns (useradd --system), then
# `systemctl daemon-reload`, enable and restart nostr-dns.service (the mDNS
# responder) and nostr-dns-dns.service (the DNS server on loopback). The key
# is made by the services on first start: /var/lib/nostr-dns/nsec (systemd),
# /etc/nostr-dns/nsec (OpenWrt).
# OpenWrt: `/etc/init.d/nostr-dns enable` and `restart` (the mDNS responder
# on the lan network's device, the DNS server on loopback).
# Nothing is published: publishing this host's address (dynamic DNS) is
# installed disabled; enable it with `systemctl enable --now
# nostr-dns-publish` (systemd) or `uci set nostr-dns.publish.enabled=1 &&
# uci commit nostr-dns` (OpenWrt).
# Exit codes: 0 done, 1 failure, 2 usage error.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
DEPLOY="$ROOT/cross/deploy"

die() { printf 'cross/deploy.sh: error: %s\n' "$*" >&2; exit 1; }
usage() {
    printf 'cross/deploy.sh: %s\n' "$*" >&2
    echo "usage: cross/deploy.sh [--arch aarch64|armv7|x86_64] [--openwrt] (--root DIR | user@host)" >&2
    exit 2
}
note() { printf 'cross/deploy.sh: %s\n' "$*"; }

arch=aarch64 openwrt=0 root_dir="" target=""
while [ $# -gt 0 ]; do
    case "$1" in
        --arch) [ $# -ge 2 ] || usage "--arch needs a value"; arch="$2"; shift ;;
        --arch=*) arch="${1#--arch=}" ;;
        --openwrt) openwrt=1 ;;
        --root) [ $# -ge 2 ] || usage "--root needs a folder"; root_dir="$2"; shift ;;
        --root=*) root_dir="${1#--root=}" ;;
        -h|--help) awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0"; exit 0 ;;
        -*) usage "unknown option '$1'" ;;
        *) [ -z "$target" ] || usage "more than one host ('$target', '$1')"; target="$1" ;;
    esac
    shift
done
case "$arch" in
    aarch64) elf_machine=183 ;;
    armv7) elf_machine=40 ;;
    x86_64) elf_machine=62 ;;
    *) usage "unknown architecture '$arch' (expected aarch64, armv7 or x86_64)" ;;
esac
if [ -n "$root_dir" ] && [ -n "$target" ]; then usage "give either --root DIR or user@host, not both"; fi
if [ -z "$root_dir" ] && [ -z "$target" ]; then usage "give --root DIR or user@host"; fi
case "$target" in -*|*' '*) usage "bad host '$target'" ;; esac
kind=systemd; [ "$openwrt" = 0 ] || kind=openwrt

# ---- the binary --------------------------------------------------------------

bin="$ROOT/dist/$arch/nostr-dns.stripped"
[ -f "$bin" ] || die "$bin not found: build it first with cross/build.sh $arch (after cross/setup.sh)"
# ELF e_machine (byte 18, little-endian targets): refuse a binary of another architecture.
magic="$(od -An -c -N4 "$bin" | tr -d ' ')"
machine="$(od -An -tu1 -j18 -N1 "$bin" | tr -d ' ')"
[ "$magic" = '177ELF' ] && [ "$machine" = "$elf_machine" ] \
    || die "$bin is not an $arch ELF binary (e_machine $machine); rebuild with cross/build.sh $arch"

# ---- staging -----------------------------------------------------------------

stage="$(mktemp -d "${TMPDIR:-/tmp}/nostr-dns-deploy.XXXXXX")"
trap 'rm -rf "$stage"' EXIT
s="$stage/root"
mkdir -p "$s/usr/bin" "$s/etc/nostr-dns"
cp "$bin" "$s/usr/bin/nostr-dns"
if [ "$kind" = systemd ]; then
    cp "$DEPLOY/config" "$s/etc/nostr-dns/config"
    mkdir -p "$s/lib/systemd/system" "$s/etc/default"
    cp "$DEPLOY/nostr-dns.service" "$DEPLOY/nostr-dns-publish.service" "$DEPLOY/nostr-dns-dns.service" \
        "$s/lib/systemd/system/"
    cp "$DEPLOY/default" "$s/etc/default/nostr-dns"
    mkdir -p "$s/usr/share/man/man8"
    cp "$DEPLOY/nostr-dns.8" "$s/usr/share/man/man8/nostr-dns.8"
else
    # On OpenWrt the services read /var/etc/nostr-dns.conf (made from UCI);
    # this file is for commands run by hand as root, with the same key.
    {
        echo "# On OpenWrt the services are set up in /etc/config/nostr-dns (UCI), which"
        echo "# /etc/init.d/nostr-dns translates into /var/etc/nostr-dns.conf; this file"
        echo "# is read by nostr-dns commands run by hand as root."
        sed 's|^key = /var/lib/nostr-dns/nsec$|key = /etc/nostr-dns/nsec|' "$DEPLOY/config"
    } > "$s/etc/nostr-dns/config"
    mkdir -p "$s/etc/init.d" "$s/etc/config" "$s/lib/upgrade/keep.d"
    cp "$DEPLOY/openwrt/nostr-dns.init" "$s/etc/init.d/nostr-dns"
    cp "$DEPLOY/openwrt/nostr-dns.uci" "$s/etc/config/nostr-dns"
    cp "$DEPLOY/openwrt/nostr-dns.keep" "$s/lib/upgrade/keep.d/nostr-dns"
fi
mkdir -p "$s/usr/share/doc/nostr-dns/licenses"
cp "$ROOT/LICENSE" "$DEPLOY/NOTICE" "$s/usr/share/doc/nostr-dns/"
cp "$DEPLOY/licenses/Apache-2.0" "$DEPLOY/licenses/LGPL-2.1" "$s/usr/share/doc/nostr-dns/licenses/"
cp "$DEPLOY/install.sh" "$DEPLOY/activate.sh" "$stage/"

# ---- into a folder -------------------------------------------------------------

if [ -n "$root_dir" ]; then
    mkdir -p "$root_dir"
    note "installing the $arch build ($kind) under $root_dir"
    sh "$stage/install.sh" "$s" "$(cd "$root_dir" && pwd)" "$kind"
    note "done (nothing started)"
    exit 0
fi

# ---- onto a host -------------------------------------------------------------

SSH="${SSH:-ssh}"
read -r -a ssh_opts <<< "${SSH_OPTS:-}"
note "copying the $arch build ($kind) to $target"
remote_dir="$(tar -C "$stage" -cf - root install.sh activate.sh \
    | "$SSH" "${ssh_opts[@]}" "$target" \
        'd=$(mktemp -d /tmp/nostr-dns-deploy.XXXXXX) && tar -C "$d" -xf - && echo "$d"')" \
    || die "copying to $target failed (ssh, tar and mktemp on the host?)"
case "$remote_dir" in /tmp/nostr-dns-deploy.*) ;; *) die "unexpected answer from $target: '$remote_dir'" ;; esac
note "installing on $target"
# -t: sudo may ask for a password.
"$SSH" -t "${ssh_opts[@]}" "$target" \
    "s=''; [ \"\$(id -u)\" = 0 ] || s=sudo; \$s sh $remote_dir/install.sh $remote_dir/root / $kind --activate; rc=\$?; rm -rf $remote_dir; exit \$rc" \
    || die "installing on $target failed (see above)"
note "done: $target"
