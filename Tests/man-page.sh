#!/usr/bin/env bash
# Tests/man-page.sh: the man page (cross/deploy/nostr-dns.8) and the help of
# the binary say the same, so that they cannot drift apart.
#
#   Tests/man-page.sh [--bin PATH] [--page PATH]
#     --bin   the nostr-dns to ask (default .build/debug/nostr-dns)
#     --page  the man page (default cross/deploy/nostr-dns.8)
#
# Checks:
#   - the commands listed by `nostr-dns --help` are the subsections of the
#     page's COMMANDS section, and no others
#   - for each command, the options in the synopsis of `nostr-dns CMD --help`
#     (its "usage:" lines) are the options of the page's subsection: those in
#     its synopsis (between .nf and .fi) and in its .TP tags; both ways
#   - the global options of `nostr-dns --help` are the .TP tags of the page's
#     GLOBAL OPTIONS section; both ways
#   - `man` renders the page with no groff warning (man-db and groff-base,
#     installed by Tests/setup.sh)
# Exit 0 when all agree, else 1 with one line per disagreement.
set -euo pipefail
cd "$(dirname "$0")/.."

bin=.build/debug/nostr-dns
page=cross/deploy/nostr-dns.8
while [ $# -gt 0 ]; do
    case "$1" in
        --bin) bin="${2:?--bin needs a path}"; shift 2 ;;
        --page) page="${2:?--page needs a path}"; shift 2 ;;
        *) echo "usage: Tests/man-page.sh [--bin PATH] [--page PATH]" >&2; exit 2 ;;
    esac
done
[ -x "$bin" ] || { echo "Tests/man-page.sh: $bin not found: run swift build first" >&2; exit 1; }
[ -f "$page" ] || { echo "Tests/man-page.sh: $page not found" >&2; exit 1; }

fail=0
# The help texts, one file per command, read by the comparison below.
help="$(mktemp -d "${TMPDIR:-/tmp}/nostr-dns-man-page.XXXXXX")"
trap 'rm -rf "$help"' EXIT
"$bin" --help > "$help/main"
commands="$(sed -n '/^commands:$/,/^$/s/^  \([a-z][a-z-]*\).*/\1/p' "$help/main" | uniq)"
[ -n "$commands" ] || { echo "FAIL no commands in '$bin --help'"; exit 1; }
for c in $commands; do
    "$bin" "$c" --help > "$help/$c" || { echo "FAIL '$bin $c --help' exits $?"; fail=1; }
done

python3 - "$help" "$page" $commands <<'PY' || fail=1
import re, sys

folder, page, commands = sys.argv[1], sys.argv[2], sys.argv[3:]
OPTION = re.compile(r'(?<![\w-])(--[a-z][a-z0-9-]*|-[a-z])(?![\w-])')
problems = []

def options(text):
    return set(OPTION.findall(text))

def usage_options(text):
    """The options of the usage lines: from 'usage:' to the first blank line."""
    lines = text.split('\n')
    start = next(i for i, l in enumerate(lines) if l.startswith('usage:'))
    synopsis = []
    for line in lines[start:]:
        if not line.strip():
            break
        synopsis.append(line)
    return options('\n'.join(synopsis))

def plain(roff):
    """roff source as text: font escapes dropped, \\- as -."""
    text = re.sub(r'\\f[BIRP]|\\f\(..|\\f\[[^]]*\]', '', roff)
    return text.replace('\\-', '-').replace('\\e', '\\')

# The page: sections (.SH) and, in COMMANDS, subsections (.SS) by command.
sections, section, sub = {}, None, None
for line in open(page, encoding='utf-8').read().split('\n'):
    if line.startswith('.SH '):
        section, sub = plain(line[4:]).strip('"'), None
        sections[section] = {None: []}
    elif line.startswith('.SS ') and section is not None:
        sub = plain(line[4:]).strip('"').split()[0]
        sections[section].setdefault(sub, []).append('.SS')
    elif section is not None:
        sections[section][sub].append(line)

def defined(lines):
    """Options a (sub)section defines: in .nf/.fi synopses and .TP tags."""
    found, nofill, tag = set(), False, False
    for line in lines:
        if line == '.nf':
            nofill = True
        elif line == '.fi':
            nofill = False
        elif line == '.TP':
            tag = True
            continue
        elif nofill or tag:
            found |= options(plain(line))
        tag = False
    return found

for name in ('COMMANDS', 'GLOBAL OPTIONS'):
    if name not in sections:
        problems.append('the page has no %s section' % name)
page_commands = {k: v for k, v in sections.get('COMMANDS', {}).items() if k is not None}

for c in commands:
    if c not in page_commands:
        problems.append("command '%s' (in --help) is not in the page's COMMANDS" % c)
for c in page_commands:
    if c not in commands:
        problems.append("command '%s' (in the page) is not in --help" % c)

for c in commands:
    if c not in page_commands:
        continue
    in_help = usage_options(open('%s/%s' % (folder, c), encoding='utf-8').read())
    in_page = defined(page_commands[c])
    for o in sorted(in_help - in_page):
        problems.append("%s: option %s (in '%s --help') is not in the page" % (c, o, c))
    for o in sorted(in_page - in_help):
        problems.append("%s: option %s (in the page) is not in '%s --help'" % (c, o, c))

main = open(folder + '/main', encoding='utf-8').read().split('\n')
start = main.index('global options:')
in_help = set()
for line in main[start + 1:]:
    if not line.strip():
        break
    m = re.match(r'^  (-\S.*?)(\s{2,}|$)', line)
    if m:
        in_help |= options(m.group(1))
in_page = defined(sections.get('GLOBAL OPTIONS', {}).get(None, []))
for o in sorted(in_help - in_page):
    problems.append('global option %s (in --help) is not in the page' % o)
for o in sorted(in_page - in_help):
    problems.append('global option %s (in the page) is not in --help' % o)

for p in problems:
    print('FAIL ' + p)
if not problems:
    print('ok   %d commands and the global options agree with --help' % len(commands))
sys.exit(1 if problems else 0)
PY

if command -v man >/dev/null; then
    out="$(MANWIDTH=80 man --warnings -l "$page" 2>"$help/warnings")" && rc=0 || rc=$?
    if [ "$rc" = 0 ] && [ ! -s "$help/warnings" ] && grep -q '^COMMANDS' <<< "$out"; then
        echo "ok   man renders $page without warnings"
    else
        echo "FAIL man $page: exit $rc"; cat "$help/warnings"; fail=1
    fi
else
    echo "FAIL man not found: run Tests/setup.sh (man-db, groff-base)"; fail=1
fi
exit "$fail"
