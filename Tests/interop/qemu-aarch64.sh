#!/usr/bin/env bash
# Runs relay interop tests against the Embedded aarch64 binary under
# qemu-aarch64-static (built by cross/test-qemu.sh into dist/aarch64/), so the
# cross build is checked doing real work: publishing to and resolving from
# real relays over ws:// and wss://, and refusing forged events.
# (Tests/interop/qemu-cross.sh armv7 does the same for the armv7 binary.)
exec "$(dirname "$0")/qemu-cross.sh" aarch64
