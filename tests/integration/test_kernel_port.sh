#!/usr/bin/env bash
# Integration test: the kernel exception path (--kernel-port;
# docs/architecture.md, "The kernel exception path"). portmux serves HTTP on
# 198.18.0.1:80 and hands what it does not consume to a TAP interface
# (pmxk0) in its namespace, where the kernel has the same address:
#  1. 'show port info 0' names the kernel port;
#  2. a TCP server of the kernel's (Python, 198.18.0.1:2222) is reached from
#     the peer through portmux's data port and echoes a line back, while
#     curl gets portmux's HTTP answer from the same address;
#  3. UDP to 198.18.0.1:5353 reaches the kernel (kernel_up_proto moves);
#  4. ping is answered once (by portmux: no duplicate replies);
#  5. a SYN to a port nobody listens on (9999) is refused once, by the
#     kernel: one RST in a capture at the peer (dumpcap, tshark), none from
#     portmux (tcp_rst_sent_no_listener unchanged), kernel_up_tcp counted;
#  6. restarted with --kernel-tcp-ports 2222, portmux refuses 9999 itself
#     and the kernel's 2222 is still reached.
set -euo pipefail

# shellcheck source=tests/integration/lib.sh
source "$(dirname -- "${BASH_SOURCE[0]}")/lib.sh"

KSRV_PID=""
kernel_cleanup() {
    local status=$?
    [[ -n $KSRV_PID ]] && { kill -TERM "$KSRV_PID" 2>/dev/null || true; wait "$KSRV_PID" 2>/dev/null || true; }
    (exit "$status")
    pmx_cleanup
}
require_root
pmx_traps
trap kernel_cleanup EXIT
topo_up
peer() { ip netns exec "$PEER_NS" "$@"; }
dut() { ip netns exec "$DUT_NS" "$@"; }

# kernel_side: the TAP up with the data port's address, and the kernel's
# servers on it (a TCP echo of one line on 2222, a UDP sink on 5353 that
# writes what it got to $PMX_TMP/udp.txt).
kernel_side() {
    dut ip link set pmxk0 up || fail "pmxk0 up"
    dut ip addr add "$DUT_IP/$PREFIX_LEN" dev pmxk0 || fail "address on pmxk0"
    # Not through dut(): $! must be the server itself (a function in the
    # background is a subshell, and killing it would leave the server).
    ip netns exec "$DUT_NS" "$PMX_PYTHON" - "$DUT_IP" "$PMX_TMP/udp.txt" <<'PY' &
import socket, sys, threading
ip, out = sys.argv[1], sys.argv[2]
def udp():
    u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    u.bind((ip, 5353))
    u.settimeout(60)
    data, _ = u.recvfrom(100)
    open(out, "wb").write(data)
threading.Thread(target=udp, daemon=True).start()
t = socket.socket()
t.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
t.bind((ip, 2222))
t.listen(4)
t.settimeout(60)
for _ in range(4):
    c, _ = t.accept()
    c.sendall(c.recv(100).upper())
    c.close()
PY
    KSRV_PID=$!
    for _ in $(seq 50); do dut ss -ltn | grep -q ":2222 " && break; sleep 0.1; done
}

# reach_kernel: a line to the kernel's 2222 comes back upper-cased.
reach_kernel() {
    local out
    out=$(peer timeout 10 "$PMX_PYTHON" -c '
import socket, sys
s = socket.create_connection((sys.argv[1], 2222), timeout=5)
s.sendall(b"hello kernel\n")
print(s.recv(100).decode().strip())' "$DUT_IP") || fail "the kernel's TCP server was not reached ($out)"
    [[ $out == "HELLO KERNEL" ]] || fail "the kernel's TCP server answered '$out'"
    info "the kernel's TCP server on $DUT_IP:2222 answered through the data port"
}

# refused PORT: connecting to PORT is refused (one RST).
refused() {
    peer timeout 10 "$PMX_PYTHON" -c '
import socket, sys
try:
    socket.create_connection((sys.argv[1], int(sys.argv[2])), timeout=5)
except ConnectionRefusedError:
    sys.exit(0)
sys.exit(1)' "$DUT_IP" "$1"
}

# On af_packet the kernel of portmux's namespace sees the data port's frames
# too, and now that it has 198.18.0.1 (on pmxk0) it would answer them on
# its own. A NIC bound to DPDK hides them from the kernel; here a netdev
# ingress chain drops them after AF_PACKET's tap (which runs first), so
# portmux sees every frame and the kernel only what comes up pmxk0.
dut nft add table netdev pmxkp || fail "nft table"
dut nft add chain netdev pmxkp in "{ type filter hook ingress device \"$DUT_IF\" priority 0; policy drop; }" ||
    fail "nft ingress chain on $DUT_IF"

pmx_start --kernel-port 0=pmxk0 --listen 0.0.0.0:80=http
kernel_side

# 1.
grep -q "^Kernel port: pmxk0 (TAP" <<<"$(ctl show port info 0)" || fail "show port info 0 names no kernel port"
grep -q '"kernel_port": *{"interface": *"pmxk0"' <<<"$(ctl --json show port info 0)" ||
    fail "show port info 0 (JSON) names no kernel port"

# 2.
reach_kernel
code=$(peer curl -sS --noproxy '*' --max-time 10 -o /dev/null -w '%{http_code}' "http://$DUT_IP/") ||
    fail "curl failed"
[[ $code == 200 ]] || fail "HTTP from portmux: $code"
info "HTTP on $DUT_IP:80 answered by portmux"

# 3.
peer "$PMX_PYTHON" -c 'import socket, sys; socket.socket(socket.AF_INET, socket.SOCK_DGRAM).sendto(b"udp to kernel", (sys.argv[1], 5353))' "$DUT_IP"
for _ in $(seq 50); do [[ -s $PMX_TMP/udp.txt ]] && break; sleep 0.1; done
[[ $(cat "$PMX_TMP/udp.txt" 2>/dev/null) == "udp to kernel" ]] || fail "UDP did not reach the kernel"
(($(counter kernel_up_proto) >= 1)) || fail "kernel_up_proto did not count the UDP datagram"
info "UDP reached the kernel"

# 4.
out=$(peer ping -c 5 -i 0.2 -W 2 "$DUT_IP") || fail "ping failed: $out"
! grep -q "DUP!" <<<"$out" || fail "ping answered twice: $out"
info "ping answered once per request"

# 5.
rst0=$(tcp_counter tcp_rst_sent_no_listener)
up0=$(counter kernel_up_tcp)
CAP="$PMX_TMP/rst.pcapng"
ip netns exec "$PEER_NS" timeout 30 dumpcap -q -i "$PEER_IF" -f "tcp src port 9999" -w "$CAP" \
    2>"$PMX_TMP/dumpcap.log" &
cap_pid=$!
for _ in $(seq 50); do [[ -s $CAP ]] && break; sleep 0.1; done
refused 9999 || fail "a connection to port 9999 was not refused"
sleep 0.5
kill -TERM "$cap_pid" 2>/dev/null || true
wait "$cap_pid" 2>/dev/null || true
rsts=$(tshark -r "$CAP" -Y "tcp.flags.reset == 1" 2>/dev/null | wc -l)
((rsts == 1)) || fail "the SYN to 9999 was answered by $rsts RSTs (capture at the peer), want 1"
[[ $(tcp_counter tcp_rst_sent_no_listener) == "$rst0" ]] || fail "portmux answered the SYN to 9999 too"
(($(counter kernel_up_tcp) > up0)) || fail "kernel_up_tcp did not move"
info "port 9999: refused by the kernel alone (one RST on the wire)"

# 6.
pmx_stop || fail "portmux did not stop cleanly (status $PMX_EXIT)"
pmx_start --kernel-port 0=pmxk0 --kernel-tcp-ports 2222 --listen 0.0.0.0:80=http
dut ip link set pmxk0 up || fail "pmxk0 up again"
dut ip addr add "$DUT_IP/$PREFIX_LEN" dev pmxk0 || fail "address on pmxk0 again"
reach_kernel
rst0=$(tcp_counter tcp_rst_sent_no_listener)
refused 9999 || fail "a connection to port 9999 was not refused"
(($(tcp_counter tcp_rst_sent_no_listener) == rst0 + 1)) || fail "portmux did not refuse 9999 itself"
info "--kernel-tcp-ports 2222: 9999 refused by portmux, 2222 still the kernel's"
pmx_stop || fail "portmux did not stop cleanly (status $PMX_EXIT)"
info "kernel port: PASS"
