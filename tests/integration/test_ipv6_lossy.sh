#!/usr/bin/env bash
# Integration test: TCP over IPv6 through a lossy link. portmux (side A) and
# a Linux peer (side B, 2001:2::2/64) talk through pmx-impair (impair_lib.sh,
# which now harms IPv6 frames as it does IPv4 ones, neighbour discovery
# excepted) at loss 3%, reorder 10%, duplicate 1%, delay 2 ms, corrupt 0.1%
# both ways (seed $IMPAIR_SEED, default 1). Checks:
#  1. curl -6 GET http://[2001:2::1]/bytes/8388608 (Connection: close): the
#     body equals the http service's pattern (cmp);
#  2. curl -6 POST of 8 MiB of random bytes to /upload: answered 200 with
#     "received 8388608 bytes";
#  3. the link really harmed IPv6 frames: pmx-impair dropped frames in both
#     directions, and portmux retransmitted (tcp_retrans_segs > 0); no
#     RST went out, and no
#     connection is left but TIME_WAIT.
set -euo pipefail

# shellcheck source=tests/integration/ipv6_lib.sh
source "$(dirname -- "${BASH_SOURCE[0]}")/ipv6_lib.sh"
# shellcheck source=tests/integration/impair_lib.sh
source "$(dirname -- "${BASH_SOURCE[0]}")/impair_lib.sh"
IMPAIR_NS="t6m$$"
IMPAIR_MID_A="t6m$$a"
IMPAIR_MID_B="t6m$$b"

SEED=${IMPAIR_SEED:-1}
SIZE=8388608
URL6="http://[$DUT_IP6]"

require_root
impair_traps
hostile_up "$SEED"
pmx_sysctl "$PEER_NS" "net.ipv6.conf.$PEER_IF.accept_dad" 0 || fail "accept_dad=0 on $PEER_IF"
pmx_sysctl "$PEER_NS" "net.ipv6.conf.$PEER_IF.disable_ipv6" 0 || fail "IPv6 on $PEER_IF"
ip -n "$PEER_NS" -6 addr add "$PEER_IP6/$PREFIX6" dev "$PEER_IF" nodad || fail "IPv6 addr on $PEER_IF"
pmx_start6 --listen "[::]:80=http" --msl-ms 1000
peer() { ip netns exec "$PEER_NS" "$@"; }

# 1. Download.
"$PMX_PYTHON" "$PMX_LIB_DIR/peers/pattern_http.py" body "$SIZE" >"$PMX_TMP/expected" || fail "cannot write the expected body"
rc=0
out=$(peer timeout 40 curl -6 -sS --noproxy '*' --max-time 35 -H 'Connection: close' -o "$PMX_TMP/got" \
    -w '%{http_code} %{size_download} %{time_total}' "$URL6/bytes/$SIZE") || rc=$?
((rc == 0)) || fail "curl -6 GET /bytes/$SIZE through the lossy link exited $rc ($out)"
read -r code size secs <<<"$out"
[[ $code == 200 && $size == "$SIZE" ]] || fail "GET /bytes/$SIZE: '$out', expected 200 and $SIZE bytes"
cmp "$PMX_TMP/expected" "$PMX_TMP/got" || fail "the $SIZE-byte body differs from the pattern"
info "GET over the lossy link: $SIZE bytes right in $secs s"

# 2. Upload.
head -c "$SIZE" /dev/urandom >"$PMX_TMP/upload"
out=$(peer timeout 40 curl -6 -sS --noproxy '*' --max-time 35 -H 'Expect:' --data-binary "@$PMX_TMP/upload" \
    -w ' %{http_code}' "$URL6/upload") || fail "curl -6 POST through the lossy link failed ($out)"
[[ $out == "received $SIZE bytes"$'\n'" 200" ]] || fail "POST of $SIZE bytes answered '$out'"
info "POST over the lossy link: 'received $SIZE bytes', 200"

# 3. The link harmed IPv6 frames; TCP recovered without resets.
retr=$(tcp_counter tcp_retrans_segs) || fail "cannot read tcp_retrans_segs"
rst=$(tcp_counter tcp_out_rsts) || fail "cannot read tcp_out_rsts"
expect_only_time_wait 10
pmx_stop || fail "portmux did not stop cleanly (status $PMX_EXIT)"
impair_down || fail "pmx-impair did not exit cleanly (status $IMPAIR_EXIT)"
d_ab=$(impair_stat a_to_b dropped) d_ba=$(impair_stat b_to_a dropped)
c_ab=$(impair_stat a_to_b corrupted) c_ba=$(impair_stat b_to_a corrupted)
info "pmx-impair: dropped $d_ab (to the peer) / $d_ba (to portmux), corrupted $c_ab / $c_ba; tcp_retrans_segs $retr, tcp_out_rsts $rst"
((d_ab > 0 && d_ba > 0)) || fail "pmx-impair dropped $d_ab / $d_ba frames: the IPv6 frames were not impaired"
((retr > 0)) || fail "tcp_retrans_segs = 0 on a lossy link"
((rst == 0)) || fail "portmux sent $rst RSTs"
info "PASS"
