#!/usr/bin/env bash
# Tests/docs.sh: builds the DocC catalog Sources/NostrDNS/NostrDNS.docc with
# the toolchain's own tools (package plugins cannot be fetched on the build
# machines) and fails on any warning:
#   1. `swift package dump-symbol-graph` writes the symbol graphs of the
#      package's library targets (public symbols) under .build/;
#   2. the NostrDNS module's graphs (NostrDNS.symbols.json and its extensions
#      of other modules, NostrDNS@*.symbols.json) are copied into one folder,
#      since a catalog documents one module;
#   3. `docc convert --warnings-as-errors` turns the catalog and those graphs
#      into a documentation archive in .build-docs/NostrDNS.doccarchive.
# Open the archive with `docc preview` or serve it as static files.
set -euo pipefail
cd "$(dirname "$0")/.."

out=.build-docs
graphs="$out/symbol-graphs"
rm -rf "$graphs" "$out/NostrDNS.doccarchive"
mkdir -p "$graphs"

# dump-symbol-graph also tries the test modules (nostr-dnsPackageTests,
# ...DiscoveredTests), which exist only after `swift build --build-tests`,
# and exits 1 when they are missing. So: build the library, dump, and accept
# a failing exit only if every error names one of those test modules and a
# fresh NostrDNS graph was written.
swift build --target NostrDNS
stamp="$out/.dump-started"
touch "$stamp"
dump_status=0
dump=$(swift package dump-symbol-graph 2>&1) || dump_status=$?
dir=$(printf '%s\n' "$dump" | sed -n 's/^Files written to //p' | tail -1)
if [ -z "$dir" ] || [ ! "$dir/NostrDNS.symbols.json" -nt "$stamp" ]; then
    echo "$dump" >&2; echo "docs: swift package dump-symbol-graph wrote no NostrDNS symbol graph" >&2; exit 1
fi
if [ "$dump_status" -ne 0 ] && printf '%s\n' "$dump" | grep '^error:' | grep -qv "symbol graph for 'nostr_dnsPackage\(Discovered\)\?Tests'"; then
    echo "$dump" >&2; echo "docs: swift package dump-symbol-graph failed" >&2; exit 1
fi
cp "$dir"/NostrDNS.symbols.json "$graphs/"
cp "$dir"/NostrDNS@*.symbols.json "$graphs/" 2>/dev/null || true

docc=$(command -v docc || true)
[ -n "$docc" ] || docc=$(dirname "$(command -v swift)")/docc
log="$out/docc.log"
status=0
"$docc" convert Sources/NostrDNS/NostrDNS.docc \
    --additional-symbol-graph-dir "$graphs" \
    --fallback-display-name NostrDNS --fallback-bundle-identifier org.nostr-dns.NostrDNS \
    --output-path "$out/NostrDNS.doccarchive" \
    --warnings-as-errors >"$log" 2>&1 || status=$?
cat "$log"
# --warnings-as-errors makes docc fail on a warning; a warning printed
# without failing (should a docc version not honour the flag) fails too.
if [ "$status" -ne 0 ] || grep -qiE '(^|[^a-z])(warning|error):' "$log"; then
    echo "docs: the catalog has warnings or errors (above)" >&2
    exit 1
fi
echo "docs: $out/NostrDNS.doccarchive, no warnings"
