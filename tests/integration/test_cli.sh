#!/usr/bin/env bash
# The CLI's three endpoints and option errors, on an in-process net_ring
# port (no namespace, no traffic):
#  1. -i with commands piped on stdin: output, "Command not found" for an
#     unknown command, port pause/resume/stop/start, and 'quit' ends portmux
#     with status 0;
#  2. --cmdline-file: the file's commands run, 'quit' in it ends portmux;
#  3. -i with stdin at EOF ends portmux cleanly;
#  4. bad options and values exit 2 with one line naming the value, before
#     EAL starts.
set -euo pipefail
HERE=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd -- "$HERE/../.." && pwd)
PORTMUX=${PORTMUX:-$ROOT/build/app/portmux}
TMP=$(mktemp -d /tmp/pmxcli.XXXXXX)
trap 'rm -rf -- "$TMP"' EXIT

fail() { echo "FAIL: $*" >&2; [[ -f $TMP/out ]] && sed 's/^/  | /' "$TMP/out" >&2; exit 1; }
info() { echo "[test_cli] $*"; }

EAL=(--no-huge --no-shconf --no-pci --file-prefix "pmxcli$$" -l "0,1" --vdev=net_ring0)
APP=(--addr "0=198.18.0.1/24")

# run_pmx ARGS...: portmux bounded to 30 s; output in $TMP/out, status in RC.
run_pmx() {
    RC=0
    timeout 30 "$PORTMUX" "${EAL[@]}" -- "${APP[@]}" "$@" >"$TMP/out" 2>&1 || RC=$?
}
has() { grep -qF -- "$1" "$TMP/out" || fail "output lacks '$1'"; }

# 1. stdin
printf 'show port info 0\nshow lcores\nbogus command\nshow ip stats\nport pause 0\nshow port info 0\nport resume 0\nport stop 0\nport start 0\nquit\n' >"$TMP/cmds"
run_pmx -i <"$TMP/cmds"
((RC == 0)) || fail "-i with piped commands exited $RC"
has "Driver name: net_ring"
has "IPv4 address: 198.18.0.1/24"
has "worker"
has "Command not found"
has "ipv4_bad_checksum"
has "Port 0 paused"
has "Port state: started, paused"
has "Port 0 resumed"
has "Port 0 stopped"
has "Port 0 started"
has "Bye..."
has "port 0 final:"
info "stdin: commands ran, unknown command reported, quit -> exit 0"

# 2. --cmdline-file
# A 2000-byte unknown command: its echo and its error line come out whole
# (they were once cut at 1 KiB).
long="bogus$(printf 'w%.0s' $(seq 1 2000))end"
printf '# a comment\n\nshow port stats all\nhelp\n%s\nquit\n' "$long" >"$TMP/file"
run_pmx --cmdline-file "$TMP/file" </dev/null
((RC == 0)) || fail "--cmdline-file exited $RC"
has "NIC statistics for port 0"
# help lists every command the parser knows, the TCP ones included.
for c in "show port info" "show arp" "show connections" "show listeners" "show flowtable" \
    "show tcp stats" "listen <ip>" "unlisten <ip>" "show lcores" "quit:"; do
    has "  $c"
done
has "portmux> ${long}"
has "error: unknown command '${long}' (try 'help')"
has "Bye..."
info "--cmdline-file: commands ran, quit -> exit 0"

# 3. EOF on stdin with -i
run_pmx -i </dev/null
((RC == 0)) || fail "-i with stdin at EOF exited $RC"
has "port 0 final:"
info "-i with EOF on stdin: clean exit"

# 4. option errors: status 2, one line, naming the value, no EAL start.
check_bad() {
    local want=$1
    shift
    RC=0
    timeout 10 "$PORTMUX" "${EAL[@]}" -- "$@" >"$TMP/out" 2>&1 || RC=$?
    ((RC == 2)) || fail "'$*' exited $RC, expected 2"
    [[ $(wc -l <"$TMP/out") -eq 1 ]] || fail "'$*' printed more than one line"
    has "$want"
    if grep -q "^EAL:" "$TMP/out"; then fail "'$*' started EAL"; fi
    info "'$*' -> $(cat "$TMP/out")"
}
check_bad "198.18.0.300/24" --addr 0=198.18.0.300/24
check_bad "'x'" --addr x=198.18.0.1/24
check_bad "soon" --stats-period soon
check_bad "--frobnicate" --frobnicate
check_bad "/nonexistent/cmds" --cmdline-file /nonexistent/cmds

# A value only checkable once ports exist: still one clear line, status 1.
RC=0
timeout 30 "$PORTMUX" "${EAL[@]}" -- --addr 3=198.18.0.1/24 >"$TMP/out" 2>&1 || RC=$?
((RC == 1)) || fail "--addr on a missing port exited $RC, expected 1"
has "--addr: no port 3 (1 found)"
info "--addr 3=...: $(grep 'no port 3' "$TMP/out")"
info "PASS"
