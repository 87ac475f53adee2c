#!/usr/bin/env bash
# Tests/deploy/test-staging.sh: cross/deploy.sh into staging roots, no host,
# nothing started. Uses dist/aarch64 as built earlier in the run (runs
# `cross/build.sh aarch64` when it is missing).
#
# Checks:
#   - `cross/deploy.sh --root A` (systemd) and `--openwrt --root B` lay out
#     every file with its mode; a second run keeps edited config files;
#     bad usage exits 2; a missing build is an error naming cross/build.sh
#   - the man page is installed (systemd only) and man renders it
#   - every absolute path the units name (ExecStart*, EnvironmentFile) exists
#     in A with the right mode, and the config's key is in the units'
#     StateDirectory (the only place they may write)
#   - `systemd-analyze verify --root` on the units (skipped with a message
#     when systemd-analyze is not installed), with no warnings at all
#   - `sh -n` on the init script and install.sh; the init script's
#     start_service run with stub UCI/procd functions: the generated
#     /var/etc/nostr-dns.conf, the procd command lines, the key made by keygen
#   - the staged binary is dist/aarch64's, an aarch64 ELF, and runs under
#     qemu-aarch64-static (`--version`)
#   - the example config (both variants, and with its commented lines
#     enabled) and the UCI-generated config are accepted by the binary:
#     resolve against a dead relay fails with "no relay answered", not a
#     config error
#   - private by default (issue 17): a staged install enables no publishing
#     service (activate.sh run with a stub systemctl enables the mDNS and DNS
#     services only, and restarts nostr-dns-publish only when the owner had
#     it running), the OpenWrt publish instance is off in the shipped UCI file
#     (start_service opens no publish instance), and no active line of a
#     unit, init script or config names a STUN server
#   - LAN-only on OpenWrt: the mDNS instance serves the `lan` network's device
#     (a stub of OpenWrt's network.sh: lan is br-lan, wan is eth1), not the
#     WAN; with lan down it is not started; the DNS server listens on
#     loopback only
#   - LICENSE and NOTICE installed in /usr/share/doc/nostr-dns
#   - easy on flash on OpenWrt (issue 17 item 7): the shipped UCI file puts
#     each server's working cache in RAM (/tmp) and its kept copy in
#     /etc/nostr-dns (kept by keep.d) with a keep interval of hours; the init
#     script passes --cache, --cache-keep and --keep-interval per instance
#     (options the binary's help knows); a UCI file from before the copy
#     (cache on flash, no cache_keep) still gets --cache only
# Ends with `deploy-staging: N passed, M failed`; exit 1 if anything failed.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$ROOT"

pass=0 fail=0
ok() { pass=$((pass + 1)); echo "ok   $*"; }
bad() { fail=$((fail + 1)); echo "FAIL $*"; }
check() { local what="$1"; shift; if "$@"; then ok "$what"; else bad "$what"; fi; }

if [ ! -f dist/aarch64/nostr-dns.stripped ]; then
    echo "dist/aarch64/nostr-dns.stripped missing: running cross/build.sh aarch64"
    cross/build.sh aarch64
fi
QEMU="$(command -v qemu-aarch64-static || command -v qemu-aarch64 || true)"
[ -n "$QEMU" ] || { echo "qemu-aarch64(-static) not found (cross/setup.sh installs it)"; exit 1; }

TMP="$(mktemp -d "${TMPDIR:-/tmp}/nostr-dns-deploy-test.XXXXXX")"
trap 'rm -rf "$TMP"' EXIT
A="$TMP/systemd" B="$TMP/openwrt"
NPUB=npub1f6xkl7r7t5fmuwwwhpz82l05yc708wx5z2arjvx0dmuzehkwhs6qkdyj08

mode_is() { [ -e "$1" ] && [ "$(stat -c %a "$1")" = "$2" ]; }

# ---- usage -----------------------------------------------------------------
rc=0; cross/deploy.sh >/dev/null 2>&1 || rc=$?
check "no target: exit 2" [ "$rc" = 2 ]
rc=0; cross/deploy.sh --arch sparc --root "$TMP/x" >/dev/null 2>&1 || rc=$?
check "bad --arch: exit 2" [ "$rc" = 2 ]
rc=0; cross/deploy.sh --root "$TMP/x" user@host >/dev/null 2>&1 || rc=$?
check "--root and a host: exit 2" [ "$rc" = 2 ]
if [ ! -f dist/armv7/nostr-dns.stripped ]; then
    rc=0; out="$(cross/deploy.sh --arch armv7 --root "$TMP/x" 2>&1)" || rc=$?
    check "missing build: exit 1, names cross/build.sh" \
        bash -c '[ "$1" = 1 ] && grep -q "cross/build.sh armv7" <<< "$2"' _ "$rc" "$out"
fi

# ---- systemd root ----------------------------------------------------------
check "deploy.sh --root (systemd)" cross/deploy.sh --root "$A"
for f in usr/bin/nostr-dns:755 etc/nostr-dns/config:644 etc/default/nostr-dns:644 \
         lib/systemd/system/nostr-dns.service:644 lib/systemd/system/nostr-dns-publish.service:644 \
         lib/systemd/system/nostr-dns-dns.service:644 usr/share/man/man8/nostr-dns.8:644 \
         usr/share/doc/nostr-dns/LICENSE:644 usr/share/doc/nostr-dns/NOTICE:644 \
         usr/share/doc/nostr-dns/licenses/Apache-2.0:644 usr/share/doc/nostr-dns/licenses/LGPL-2.1:644; do
    check "systemd: /${f%:*} mode ${f#*:}" mode_is "$A/${f%:*}" "${f#*:}"
done
check "systemd: the man page is cross/deploy/nostr-dns.8" cmp -s "$A/usr/share/man/man8/nostr-dns.8" cross/deploy/nostr-dns.8
if command -v man >/dev/null; then
    check "systemd: man renders the installed page (NAME, COMMANDS)" bash -c \
        'out="$(MANWIDTH=80 man -l "$1" 2>/dev/null)" && grep -q "^NAME" <<< "$out" && grep -q "^COMMANDS" <<< "$out"' _ \
        "$A/usr/share/man/man8/nostr-dns.8"
else
    echo "skip man rendering: man not installed (Tests/setup.sh installs man-db)"
fi
check "staged binary is dist/aarch64/nostr-dns.stripped" cmp -s "$A/usr/bin/nostr-dns" dist/aarch64/nostr-dns.stripped
check "staged binary is an aarch64 ELF" \
    bash -c '[ "$(od -An -tu1 -j18 -N1 "$1" | tr -d " ")" = 183 ]' _ "$A/usr/bin/nostr-dns"

for unit in nostr-dns.service nostr-dns-publish.service nostr-dns-dns.service; do
    u="$A/lib/systemd/system/$unit"
    paths="$(grep -E '^(ExecStart|ExecStartPre|ExecStartPost|ExecReload|EnvironmentFile)=' "$u" \
        | sed 's/^[A-Za-z]*=-\{0,1\}//' | tr ' ' '\n' | grep '^/' | sort -u)"
    for p in $paths; do
        case "$p" in
            /usr/bin/*) check "$unit: $p exists, 0755" mode_is "$A$p" 755 ;;
            /var/lib/nostr-dns/*) ;;  # made at run time in the StateDirectory (the cache files)
            *) check "$unit: $p exists" test -f "$A$p" ;;
        esac
    done
    state="$(sed -n 's/^StateDirectory=//p' "$u")"
    key="$(sed -n 's/^key *= *//p' "$A/etc/nostr-dns/config")"
    check "$unit: config key ($key) is in StateDirectory /var/lib/$state" [ "$(dirname "$key")" = "/var/lib/$state" ]
    for k in 'User=nostr-dns' 'AmbientCapabilities=CAP_NET_BIND_SERVICE' 'CapabilityBoundingSet=CAP_NET_BIND_SERVICE' \
             'ProtectSystem=strict' 'ProtectHome=yes' 'PrivateTmp=yes' 'NoNewPrivileges=yes' 'Restart=on-failure' \
             'RestrictAddressFamilies=AF_INET AF_INET6 AF_NETLINK AF_UNIX' 'After=network-online.target' 'Wants=network-online.target'; do
        check "$unit: $k" grep -qxF "$k" "$u"
    done
done
check "publish unit: EnvironmentFile=-/etc/default/nostr-dns" grep -qxF 'EnvironmentFile=-/etc/default/nostr-dns' "$A/lib/systemd/system/nostr-dns-publish.service"
check "/etc/default/nostr-dns sets NOSTR_DNS_PUBLISH_ARGS" grep -qx 'NOSTR_DNS_PUBLISH_ARGS="--detect auto"' "$A/etc/default/nostr-dns"
check "dns unit: EnvironmentFile=-/etc/default/nostr-dns" grep -qxF 'EnvironmentFile=-/etc/default/nostr-dns' "$A/lib/systemd/system/nostr-dns-dns.service"
check "main unit: mdns with its cache file in the state folder" grep -q 'mdns --cache /var/lib/nostr-dns/mdns-cache' "$A/lib/systemd/system/nostr-dns.service"
check "dns unit: cache file in the state folder" grep -q 'dns --cache /var/lib/nostr-dns/dns-cache' "$A/lib/systemd/system/nostr-dns-dns.service"
check "main unit: mdns takes NOSTR_DNS_MDNS_ARGS from /etc/default/nostr-dns" bash -c '
    grep -q "mdns --cache /var/lib/nostr-dns/mdns-cache \$NOSTR_DNS_MDNS_ARGS$" "$1" \
    && grep -qxF "EnvironmentFile=-/etc/default/nostr-dns" "$1"' _ "$A/lib/systemd/system/nostr-dns.service"
check "/etc/default/nostr-dns sets NOSTR_DNS_MDNS_ARGS (empty: every multicast interface)" \
    grep -qx 'NOSTR_DNS_MDNS_ARGS=""' "$A/etc/default/nostr-dns"
check "/etc/default/nostr-dns sets NOSTR_DNS_DNS_ARGS" grep -qx 'NOSTR_DNS_DNS_ARGS="--listen 127.0.0.1:5300 --listen \[::1\]:5300"' "$A/etc/default/nostr-dns"

echo "relay = ws://edited.example" >> "$A/etc/nostr-dns/config"
echo "# edited" >> "$A/etc/default/nostr-dns"
cross/deploy.sh --root "$A" >/dev/null
check "second run keeps the edited config files" \
    bash -c 'grep -q edited.example "$1/etc/nostr-dns/config" && grep -q "# edited" "$1/etc/default/nostr-dns"' _ "$A"
sed -i '/edited.example/d' "$A/etc/nostr-dns/config"

if command -v systemd-analyze >/dev/null; then
    # The staged root holds only our units; verify in a copy that also has
    # the host's (sysinit.target and the rest that every service pulls in).
    V="$TMP/verify"
    cp -a "$A" "$V"
    cp -rn /lib/systemd/system/. "$V/lib/systemd/system/"
    out="$(systemd-analyze verify --root="$V" nostr-dns.service nostr-dns-publish.service nostr-dns-dns.service 2>&1)" && rc=0 || rc=$?
    [ -z "$out" ] || printf '%s\n' "$out"
    check "systemd-analyze verify: no errors or warnings" [ "$rc" = 0 -a -z "$out" ]
else
    echo "skip systemd-analyze verify: systemd-analyze not installed (apt-get install systemd)"
fi

# ---- private by default (systemd) ----------------------------------------------
# No active line (comments aside) of what is installed names a STUN server:
# --detect auto reads the interfaces only.
no_stun() { # files...: no non-comment line mentions stun
    ! sed -e 's/^[[:space:]]*#.*//' "$@" | grep -qi 'stun'
}
check "systemd: no unit or config names a STUN server" no_stun \
    "$A"/lib/systemd/system/*.service "$A/etc/default/nostr-dns" "$A/etc/nostr-dns/config"
check "systemd: a staged install enables nothing" test ! -e "$A/etc/systemd/system"
check "systemd: install.sh --activate runs activate.sh" grep -q 'activate.sh" "$kind"' cross/deploy/install.sh
# activate.sh with stub systemctl, useradd, id and sleep: what it enables.
stubs="$TMP/stub-bin"; mkdir -p "$stubs"
cat > "$stubs/systemctl" <<'STUB'
#!/bin/sh
echo "systemctl $*" >> "$STUB_LOG"
case "$*" in "is-active --quiet nostr-dns-publish.service") exit "${PUBLISH_ACTIVE:-3}" ;; esac
exit 0
STUB
printf '#!/bin/sh\necho "useradd $*" >> "$STUB_LOG"\n' > "$stubs/useradd"
printf '#!/bin/sh\nexit 1\n' > "$stubs/id"
printf '#!/bin/sh\n:\n' > "$stubs/sleep"
chmod 755 "$stubs"/*
act_log="$TMP/activate.log"; : > "$act_log"
act_out="$(STUB_LOG="$act_log" PATH="$stubs:$PATH" sh cross/deploy/activate.sh systemd 2>&1)" && rc=0 || rc=$?
check "activate.sh systemd (stub systemctl): exit 0" [ "$rc" = 0 ]
check "activate.sh: enables and starts nostr-dns.service and nostr-dns-dns.service" bash -c '
    grep -qx "systemctl enable --now nostr-dns.service" "$1" && grep -qx "systemctl enable --now nostr-dns-dns.service" "$1"' _ "$act_log"
check "activate.sh: a fresh install neither enables nor starts nostr-dns-publish" \
    bash -c '! grep -E "systemctl (enable|start|restart|reenable).*publish" "$1"' _ "$act_log"
check "activate.sh: says the one command that turns publishing on" \
    grep -q 'systemctl enable --now nostr-dns-publish$' <<< "$act_out"
check "activate.sh: creates the system user" grep -q '^useradd --system .* nostr-dns$' "$act_log"
: > "$act_log"
STUB_LOG="$act_log" PUBLISH_ACTIVE=0 PATH="$stubs:$PATH" sh cross/deploy/activate.sh systemd >/dev/null 2>&1 || true
check "activate.sh (upgrade, publishing on by the owner): restarts it, enables nothing more" bash -c '
    grep -qx "systemctl restart nostr-dns-publish.service" "$1" && ! grep -E "systemctl enable.*publish" "$1"' _ "$act_log"
rc=0; sh cross/deploy/activate.sh >/dev/null 2>&1 || rc=$?
check "activate.sh without a kind: exit 2" [ "$rc" = 2 ]

# ---- the binary and the configs ----------------------------------------------
check "staged binary runs under qemu (--version)" bash -c '"$1" "$2" --version | grep -q .' _ "$QEMU" "$A/usr/bin/nostr-dns"

config_accepted() { # config file: resolve fails on the dead relay, not on the config
    local out rc=0
    out="$("$QEMU" "$A/usr/bin/nostr-dns" --config "$1" --relay ws://127.0.0.1:1 resolve "$NPUB" --timeout 1 2>&1)" || rc=$?
    [ "$rc" = 1 ] && grep -q 'no relay answered' <<< "$out" && ! grep -qi 'config' <<< "$out" \
        || { printf 'exit %s: %s\n' "$rc" "$out"; return 1; }
}
check "example config accepted" config_accepted "$A/etc/nostr-dns/config"
sed 's/^#relay/relay/; s/^#ca-file = .*/ca-file = \/dev\/null/' "$A/etc/nostr-dns/config" > "$TMP/config-uncommented"
check "example config with its commented lines enabled accepted" config_accepted "$TMP/config-uncommented"

# ---- OpenWrt root ------------------------------------------------------------
check "deploy.sh --openwrt --root" cross/deploy.sh --openwrt --root "$B"
for f in usr/bin/nostr-dns:755 etc/nostr-dns/config:644 etc/init.d/nostr-dns:755 \
         etc/config/nostr-dns:644 lib/upgrade/keep.d/nostr-dns:644 \
         usr/share/doc/nostr-dns/LICENSE:644 usr/share/doc/nostr-dns/NOTICE:644; do
    check "openwrt: /${f%:*} mode ${f#*:}" mode_is "$B/${f%:*}" "${f#*:}"
done
check "openwrt: no systemd files" test ! -e "$B/lib/systemd"
check "openwrt: no man page" test ! -e "$B/usr/share/man"
check "openwrt: example config accepted" config_accepted "$B/etc/nostr-dns/config"
check "openwrt: example config key is /etc/nostr-dns/nsec" grep -qx 'key = /etc/nostr-dns/nsec' "$B/etc/nostr-dns/config"
check "sh -n init script" sh -n "$B/etc/init.d/nostr-dns"
check "sh -n install.sh" sh -n cross/deploy/install.sh
init="$B/etc/init.d/nostr-dns"
check "init: USE_PROCD=1, START=95" bash -c 'grep -qx USE_PROCD=1 "$1" && grep -qx START=95 "$1"' _ "$init"
for p in $(grep -o '^PROG=/[^ ]*' "$init" | cut -d= -f2); do
    check "init: PROG $p exists, 0755" mode_is "$B$p" 755
done
check "init: reads /etc/config/nostr-dns" test -f "$B/etc/config/nostr-dns"
check "openwrt: no active line of the init script or the configs names a STUN server" no_stun \
    "$init" "$B/etc/config/nostr-dns" "$B/etc/nostr-dns/config"
uci_section() { # FILE SECTION: the lines of `config TYPE 'SECTION'`, up to the next config line
    awk -v want="$2" '/^config / { s = $3; gsub(/\047/, "", s); next } s == want { print }' "$1"
}
check "openwrt UCI: publish is off (option enabled '0')" \
    grep -qxP "\toption enabled '0'" <<< "$(uci_section "$B/etc/config/nostr-dns" publish)"
check "openwrt UCI: the mDNS responder serves the lan network only (list interface 'lan')" \
    [ "$(uci_section "$B/etc/config/nostr-dns" main | grep -P '^\tlist interface ')" = "$(printf '\tlist interface %s' "'lan'")" ]
dns_listen_lines="$(uci_section "$B/etc/config/nostr-dns" dns | grep -P '^\tlist listen ' || true)"
check "openwrt UCI: the DNS server listens on loopback only" bash -c '
    [ -n "$1" ] && ! grep -vE "list listen .(127\.0\.0\.1|\[::1\]):[0-9]+.$" <<< "$1"' _ "$dns_listen_lines"

# start_service with stub UCI and procd functions, on a copy of the shipped
# UCI file with everything enabled and the key in the staging root.
uci="$TMP/uci"
sed -e "s/option enabled '0'/option enabled '1'/" \
    -e "s/#list relay/list relay/" \
    -e "s|#option key .*|option key '$B/etc/nostr-dns/nsec'|" \
    -e "s/option name ''/option name 'router'/" \
    "$B/etc/config/nostr-dns" > "$uci"
printf '#!/bin/sh\nexec "%s" "%s" "$@"\n' "$QEMU" "$B/usr/bin/nostr-dns" > "$TMP/prog"
chmod 755 "$TMP/prog"
cat > "$TMP/stubs.sh" <<'STUBS'
# minimal stand-ins for OpenWrt's functions.sh and procd.sh
uci_values() { awk -v want_sec="$1" -v want_opt="$2" -v kind="$3" '
    { sub(/^[ \t]+/, "") }
    /^config / { sec = $3; gsub(/\047/, "", sec); next }
    ($1 == kind) && sec == want_sec && $2 == want_opt {
        v = $0; sub(/^[a-z]+[ \t]+[a-z_]+[ \t]+/, "", v); gsub(/^\047|\047$/, "", v); print v }' "$UCI"; }
config_load() { :; }
config_get() { _stub_v="$(uci_values "$2" "$3" option)"; [ -n "$_stub_v" ] || _stub_v="${4:-}"; eval "$1=\$_stub_v"; }
config_get_bool() { config_get _stub_b "$2" "$3" "${4:-0}"; case "$_stub_b" in 1|on|true|yes|enabled) _stub_b=1 ;; *) _stub_b=0 ;; esac; eval "$1=\$_stub_b"; }
config_list_foreach() { # in this shell, as OpenWrt's (the callbacks set variables)
    local s="$1" o="$2" f="$3" v; shift 3
    while IFS= read -r v; do [ -z "$v" ] || "$f" "$v" "$@"; done <<EOF
$(uci_values "$s" "$o" list)
EOF
}
procd_open_instance() { echo "instance $1"; }
procd_set_param() { local k="$1"; shift; echo "param $k $*"; }
procd_append_param() { local k="$1"; shift; echo "append $k $*"; }
procd_close_instance() { echo "close"; }
procd_add_reload_trigger() { echo "reload-trigger $*"; }
procd_add_reload_interface_trigger() { echo "interface-trigger $*"; }
logger() { cat; }
STUBS
# OpenWrt's /lib/functions/network.sh: lan is br-lan (no device when
# STUB_LAN_DOWN is set), wan is eth1.
cat > "$TMP/network.sh" <<'STUBS'
network_flush_cache() { :; }
network_get_device() {
    case "$2" in
        lan) [ -z "${STUB_LAN_DOWN:-}" ] || return 1; eval "$1=br-lan" ;;
        wan) eval "$1=eth1" ;;
        *) return 1 ;;
    esac
}
STUBS
# Guard: keygen must write where the config says, never into the host's
# /etc/nostr-dns (a binary built before the config's key setting did that).
printf 'key = %s/probe/nsec\n' "$TMP" > "$TMP/probe.conf"
probe="$("$TMP/prog" --config "$TMP/probe.conf" whoami 2>&1 || true)"
if ! grep -qF "$TMP/probe/nsec" <<< "$probe"; then
    bad "the staged binary ignores the config's key setting (stale dist/aarch64? run cross/build.sh aarch64); init simulation skipped"
    echo "deploy-staging: $pass passed, $fail failed"
    exit 1
fi
simulate() { # UCI-FILE: start_service's procd calls and log lines
    UCI="$1" sh -c '. "$1"; . "$2"; PROG="$3"; CONF="$4"; NETWORK_FUNCTIONS="$5"; start_service' _ \
        "$TMP/stubs.sh" "$init" "$TMP/prog" "$TMP/nostr-dns.conf" "$TMP/network.sh" 2>&1
}
sim="$(simulate "$uci")" && rc=0 || rc=$?
check "init: start_service runs (stubbed procd)" [ "$rc" = 0 ]
printf '%s\n' "$sim" | sed 's/^/    /'
check "init: generated config has the UCI relays and key" bash -c '
    grep -qx "relay = wss://relay.damus.io" "$1" && grep -qx "relay = wss://nos.lol" "$1" \
    && grep -qx "key = $2/etc/nostr-dns/nsec" "$1" && ! grep -q "^ca-file" "$1"' _ "$TMP/nostr-dns.conf" "$B"
check "init: generated config accepted" config_accepted "$TMP/nostr-dns.conf"
check "init: keygen made the key, 0600" mode_is "$B/etc/nostr-dns/nsec" 600
instance_lines() { # SIM NAME: the procd lines of instance NAME
    awk -v want="$2" '$0 == "instance " want { on = 1; next } on && $0 == "close" { on = 0 } on' <<< "$1"
}
check "init: instance main runs mdns with --config, its working cache in RAM and its copy on flash every 6 h" bash -c '
    [ "$(grep -E "^(param command|append command --cache|append command --keep)" <<< "$1")" = "$(printf "%s\n" \
        "param command $2 --config $3 mdns" "append command --cache /tmp/nostr-dns/mdns-cache" \
        "append command --cache-keep /etc/nostr-dns/mdns-cache" "append command --keep-interval 21600")" ]' \
    _ "$(instance_lines "$sim" main)" "$TMP/prog" "$TMP/nostr-dns.conf"
check "init: instance main serves the lan network's device (br-lan) only, never the WAN (eth1)" bash -c '
    [ "$(grep -c "^append command --interface" <<< "$1")" = 1 ] && grep -qxF "append command --interface br-lan" <<< "$1" \
    && ! grep -q eth1 <<< "$1"' _ "$sim"
sim_down="$(STUB_LAN_DOWN=1 simulate "$uci")" && rc=0 || rc=$?
printf '%s\n' "$sim_down" | sed 's/^/    (lan down) /'
check "init: lan without a device: exit 0, no main instance, a log line, dns still on" bash -c '
    [ "$2" = 0 ] && ! grep -qx "instance main" <<< "$1" && grep -q "mDNS responder not started: no device for network(s) lan" <<< "$1" \
    && grep -qx "instance dns" <<< "$1" && ! grep -q -- "--interface" <<< "$1"' _ "$sim_down" "$rc"
# The shipped UCI file as installed (only the key moved into the staging
# root): the main and dns instances, no publish instance.
sed -e "s|#option key .*|option key '$B/etc/nostr-dns/nsec'|" "$B/etc/config/nostr-dns" > "$TMP/uci-shipped"
sim_shipped="$(simulate "$TMP/uci-shipped")" && rc=0 || rc=$?
printf '%s\n' "$sim_shipped" | sed 's/^/    (shipped) /'
check "init, shipped UCI: instances main and dns, no publish instance (nothing is published)" bash -c '
    [ "$2" = 0 ] && grep -qx "instance main" <<< "$1" && grep -qx "instance dns" <<< "$1" \
    && ! grep -qx "instance publish" <<< "$1" && ! grep -q "publish-ip" <<< "$1"' _ "$sim_shipped" "$rc"
check "init, shipped UCI: mDNS on br-lan, DNS on 127.0.0.1:5300 only" bash -c '
    grep -qxF "append command --interface br-lan" <<< "$1" \
    && [ "$(grep "^append command --listen" <<< "$1")" = "append command --listen 127.0.0.1:5300" ]' _ "$sim_shipped"
trig="$(UCI="$uci" sh -c '. "$1"; . "$2"; service_triggers' _ "$TMP/stubs.sh" "$init" 2>&1)" || true
check "init: service_triggers reloads on the config and on the lan network's events" bash -c '
    grep -qx "reload-trigger nostr-dns" <<< "$1" && grep -qx "interface-trigger lan" <<< "$1"' _ "$trig"
check "init: instance publish runs publish-ip --watch with the UCI options" bash -c '
    grep -qxF "param command $2 --config $3 publish-ip --watch" <<< "$1" \
    && grep -qxF "append command --detect auto" <<< "$1" && grep -qxF "append command --name router" <<< "$1" \
    && grep -qxF "append command --interval 60" <<< "$1" && [ "$(grep -c "^param respawn" <<< "$1")" = 3 ]' \
    _ "$sim" "$TMP/prog" "$TMP/nostr-dns.conf"
check "init: instance dns runs dns with its working cache in RAM, its copy on flash every 6 h, the UCI listen address" bash -c '
    [ "$(grep -E "^(param command|append command --cache|append command --keep)" <<< "$1")" = "$(printf "%s\n" \
        "param command $2 --config $3 dns" "append command --cache /tmp/nostr-dns/dns-cache" \
        "append command --cache-keep /etc/nostr-dns/dns-cache" "append command --keep-interval 21600")" ] \
    && grep -qxF "append command --listen 127.0.0.1:5300" <<< "$1"' _ "$(instance_lines "$sim" dns)" "$TMP/prog" "$TMP/nostr-dns.conf"
# ---- easy on flash (issue 17 item 7) -------------------------------------------
for sec in main dns; do
    file=mdns-cache; [ "$sec" = main ] || file=dns-cache
    lines="$(uci_section "$B/etc/config/nostr-dns" "$sec")"
    check "openwrt UCI $sec: working cache in RAM, kept copy in /etc/nostr-dns, kept at most every few hours" bash -c '
        grep -qxP "\toption cache .\/tmp\/nostr-dns\/$2." <<< "$1" \
        && grep -qxP "\toption cache_keep .\/etc\/nostr-dns\/$2." <<< "$1" \
        && iv="$(sed -n "s/^\toption keep_interval .\([0-9]*\).$/\1/p" <<< "$1")" && [ "${iv:-0}" -ge 3600 ]' \
        _ "$lines" "$file"
    for opt in --cache --cache-keep --keep-interval; do
        cmd=mdns; [ "$sec" = main ] || cmd=dns
        check "init: $opt of instance $sec is an option of \`nostr-dns $cmd --help\`" bash -c '
            grep -q -- "^append command $2 " <<< "$1" && "$3" "$4" --help 2>&1 | grep -q -- "\[$2 "' \
            _ "$(instance_lines "$sim" "$sec")" "$opt" "$TMP/prog" "$cmd"
    done
done
check "openwrt: keep.d keeps /etc/nostr-dns (the kept copies) over a sysupgrade" grep -qx '/etc/nostr-dns/' "$B/lib/upgrade/keep.d/nostr-dns"
# A UCI file from before the kept copy (an upgrade keeps the owner's
# /etc/config/nostr-dns): the cache stays where it was, no copy of it.
sed -e "s|option cache '/tmp/nostr-dns/|option cache '/etc/nostr-dns/|" -e '/option cache_keep/d' -e '/option keep_interval/d' \
    "$uci" > "$TMP/uci-old"
sim_old="$(simulate "$TMP/uci-old")" && rc=0 || rc=$?
check "init, UCI from before the copy: --cache on flash as before, no --cache-keep" bash -c '
    [ "$2" = 0 ] && grep -qxF "append command --cache /etc/nostr-dns/mdns-cache" <<< "$1" \
    && grep -qxF "append command --cache /etc/nostr-dns/dns-cache" <<< "$1" && ! grep -q -- "--cache-keep\|--keep-interval" <<< "$1"' \
    _ "$sim_old" "$rc"
check "init: every instance gets an address-space limit (procd limits as)" bash -c '
    [ "$(grep -c "^param limits as=134217728 134217728$" <<< "$1")" = 2 ] \
    && [ "$(grep -c "^param limits as=67108864 67108864$" <<< "$1")" = 1 ]' _ "$sim"
npub="$("$TMP/prog" --key "$B/etc/nostr-dns/nsec" whoami | head -n1)"
check "init: a second start keeps the key" bash -c '
    UCI="$1" sh -c ". \"\$1\"; . \"\$2\"; PROG=\"\$3\"; CONF=\"\$4\"; NETWORK_FUNCTIONS=\"\$5\"; start_service" \
        _ "$2" "$3" "$4" "$5" "$8" >/dev/null 2>&1 &&
    [ "$("$4" --key "$6" whoami | head -n1)" = "$7" ]' _ "$uci" "$TMP/stubs.sh" "$init" "$TMP/prog" "$TMP/nostr-dns.conf" \
    "$B/etc/nostr-dns/nsec" "$npub" "$TMP/network.sh"

# ---- user@host, with a fake ssh ------------------------------------------------
# The copy step (tar | ssh host 'mktemp; tar -x') runs locally; the install
# step (which would create a user and start services) is only recorded.
cat > "$TMP/fake-ssh" <<'FAKE'
#!/usr/bin/env bash
printf '%s\n' "$*" >> "$FAKE_SSH_LOG"
last="${*: -1}"
case "$last" in
    *install.sh*) echo "fake ssh: not running: $last" ;;
    *) sh -c "$last" ;;
esac
FAKE
chmod 755 "$TMP/fake-ssh"
for variant in systemd openwrt; do
    flag=""; [ "$variant" = systemd ] || flag=--openwrt
    log="$TMP/ssh-$variant.log"; : > "$log"
    rc=0; FAKE_SSH_LOG="$log" SSH="$TMP/fake-ssh" cross/deploy.sh $flag pi@test.invalid > "$TMP/remote.out" 2>&1 || rc=$?
    check "user@host ($variant, fake ssh): exit 0" [ "$rc" = 0 ]
    rdir="$(grep -o '/tmp/nostr-dns-deploy\.[A-Za-z0-9]*' "$log" | tail -n1)"
    check "user@host ($variant): two ssh calls to pi@test.invalid, the second with -t" bash -c '
        [ "$(grep -cE "(^| )pi@test.invalid " "$1")" = 2 ] && sed -n 2p "$1" | grep -q "^-t "' _ "$log"
    check "user@host ($variant): install step runs install.sh ... / $variant --activate as root" \
        grep -qF "sh $rdir/install.sh $rdir/root / $variant --activate" "$log"
    if [ -n "$rdir" ] && [ -d "$rdir" ]; then
        check "user@host ($variant): copied tree installs (into a root, not activated)" \
            sh "$rdir/install.sh" "$rdir/root" "$TMP/remote-$variant" "$variant"
        rm -rf "$rdir"
    else
        bad "user@host ($variant): nothing copied"; cat "$TMP/remote.out"
    fi
done
check "user@host: same files as --root (systemd)" diff -r "$TMP/remote-systemd/lib" "$A/lib"

echo "deploy-staging: $pass passed, $fail failed"
[ "$fail" = 0 ]
