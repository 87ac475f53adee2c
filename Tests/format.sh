#!/usr/bin/env bash
# Tests/format.sh: the code style, checked with the toolchain's swift-format
# against the repository's .swift-format (4-space indentation, lines up to
# 140 columns, the rules the code follows).
#
#   Tests/format.sh          lint: swift-format lint --strict on every Swift file
#                            under Sources and Tests; exit 1 on any finding
#   Tests/format.sh --fix    format those files in place (swift-format format -i)
#
# The C in CSupport is not Swift and is left alone; build folders (.build*)
# are skipped.
set -euo pipefail
cd "$(dirname "$0")/.."

fix=false
case "${1:-}" in
    "") ;;
    --fix) fix=true ;;
    *) echo "usage: Tests/format.sh [--fix]" >&2; exit 2 ;;
esac
command -v swift-format >/dev/null || { echo "Tests/format.sh: swift-format not found (it comes with the Swift 6 toolchain)" >&2; exit 1; }

files=()
while IFS= read -r -d '' f; do files+=("$f"); done < <(
    find Sources Tests -name '.build*' -prune -o -name '*.swift' -type f -print0 | sort -z)

if $fix; then
    swift-format format --configuration .swift-format --in-place --parallel "${files[@]}"
    echo "Tests/format.sh: formatted ${#files[@]} files"
else
    swift-format lint --configuration .swift-format --strict --parallel "${files[@]}"
    echo "Tests/format.sh: ${#files[@]} files follow .swift-format"
fi
