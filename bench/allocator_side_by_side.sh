#!/usr/bin/env bash
# Wall, user and system time and minor page faults of one glass command under each allocator
# setting, run in alternating order, REPEATS rounds (medians are taken by hand from the output).
#   bench/allocator_side_by_side.sh REPEATS glass-args...
# Settings: glibc defaults (GLASS_MALLOC_DEFAULTS=1), glass's mallopt (the default), and, when
# installed, jemalloc and tcmalloc preloaded over glibc's defaults.
set -euo pipefail
repeats=$1; shift
glass=${GLASS:-./build/glass}
lib=/usr/lib/$(dpkg-architecture -qDEB_HOST_MULTIARCH 2>/dev/null || echo x86_64-linux-gnu)
declare -A env=([glibc-defaults]="GLASS_MALLOC_DEFAULTS=1" [mallopt]="")
[ -e "$lib/libjemalloc.so.2" ] && env[jemalloc]="GLASS_MALLOC_DEFAULTS=1 LD_PRELOAD=$lib/libjemalloc.so.2"
[ -e "$lib/libtcmalloc_minimal.so.4" ] && env[tcmalloc]="GLASS_MALLOC_DEFAULTS=1 LD_PRELOAD=$lib/libtcmalloc_minimal.so.4"
printf "| setting | wall s | user s | system s | minor faults | max RSS MB |\n|---|---|---|---|---|---|\n"
for r in $(seq "$repeats"); do
  for name in glibc-defaults mallopt jemalloc tcmalloc; do
    [ -n "${env[$name]+x}" ] || continue
    out=$(env ${env[$name]} /usr/bin/time -f "%e %U %S %R %M" "$glass" "$@" -q -o "$(mktemp -d)" 2>&1 >/dev/null | tail -1)
    read -r wall user sys faults rss <<<"$out"
    printf "| %s | %s | %s | %s | %s | %d |\n" "$name" "$wall" "$user" "$sys" "$faults" $((rss / 1024))
  done
done
