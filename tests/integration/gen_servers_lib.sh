# shellcheck shell=bash
# Linux servers for the generator tests, in the peer namespace (source after
# lib.sh; needs PEER_NS, PEER_IP, PMX_TMP, PMX_PYTHON, PMX_LIB_DIR, NGINX_PORT,
# ECHO_PORT; GEN_SERVERS_IP, default PEER_IP, may be an IPv6 address):
#
#   gen_servers_start SIZE...
#       nginx-light (one worker, `daemon off`, its config, pid, logs and
#       document root in $PMX_TMP/nginx and $PMX_TMP/www) serving /bytes/N
#       for every SIZE given (body byte i = 'a' + i % 26, as portmux's own
#       http service), access log $PMX_TMP/nginx/access.log; and a threaded
#       Python echo server (peers/echo_server.py) that writes "<connections>
#       <bytes>" it echoed to $PMX_TMP/echo.stats after each connection.
#       Returns once both listen (bounded); sets NGINX_PID and ECHO_PID.
#   gen_servers_stop
#       Stops both (by PID, bounded); idempotent, for EXIT traps.
#   gen_servers_traps
#       lib.sh's pmx_traps, with gen_servers_stop run first on exit.

NGINX_PID="" ECHO_PID=""

_gen_body() {  # N FILE
    "$PMX_PYTHON" "$PMX_LIB_DIR/peers/pattern_http.py" body "$1" >"$2" || fail "cannot write a $1-byte body"
}

gen_servers_start() {
    local size i ip=${GEN_SERVERS_IP:-$PEER_IP} listen
    listen="$ip:$NGINX_PORT"
    [[ $ip != *:* ]] || listen="[$ip]:$NGINX_PORT"
    command -v nginx >/dev/null || fail "nginx not installed (scripts/install-deps.sh installs nginx-light)"
    mkdir -p "$PMX_TMP/www/bytes" "$PMX_TMP/nginx"
    chmod o+rx "$PMX_TMP" "$PMX_TMP/www" "$PMX_TMP/www/bytes"  # nginx's workers run as nobody
    for size in "$@"; do _gen_body "$size" "$PMX_TMP/www/bytes/$size"; done
    cat >"$PMX_TMP/nginx/nginx.conf" <<CONF
daemon off;
worker_processes 1;
pid $PMX_TMP/nginx/nginx.pid;
error_log $PMX_TMP/nginx/error.log warn;
events { worker_connections 4096; }
http {
    access_log $PMX_TMP/nginx/access.log combined;
    keepalive_requests 100000;
    server {
        listen $listen backlog=4096;
        root $PMX_TMP/www;
        default_type application/octet-stream;
    }
}
CONF
    : >"$PMX_TMP/nginx/access.log"
    ip netns exec "$PEER_NS" nginx -e "$PMX_TMP/nginx/error.log" -p "$PMX_TMP/nginx" \
        -c "$PMX_TMP/nginx/nginx.conf" </dev/null >"$PMX_TMP/nginx/out.log" 2>&1 &
    NGINX_PID=$!

    ip netns exec "$PEER_NS" "$PMX_PYTHON" "$PMX_LIB_DIR/peers/echo_server.py" "$ip" "$ECHO_PORT" \
        --stats "$PMX_TMP/echo.stats" </dev/null >"$PMX_TMP/echo.log" 2>&1 &
    ECHO_PID=$!

    for ((i = 0; i < 50; i++)); do
        if ip netns exec "$PEER_NS" ss -ltn | grep -q ":$NGINX_PORT " &&
            ip netns exec "$PEER_NS" ss -ltn | grep -q ":$ECHO_PORT "; then
            return 0
        fi
        sleep 0.1
    done
    ip netns exec "$PEER_NS" ss -ltn | grep -q ":$NGINX_PORT " ||
        fail "nginx does not listen: $(cat "$PMX_TMP/nginx/out.log" "$PMX_TMP/nginx/error.log" 2>/dev/null)"
    fail "echo server does not listen: $(cat "$PMX_TMP/echo.log")"
}

gen_servers_stop() {
    [[ -n $NGINX_PID ]] && pmx_stop_pid "$NGINX_PID" 5 nginx
    [[ -n $ECHO_PID ]] && pmx_stop_pid "$ECHO_PID" 5 echo-server
    NGINX_PID="" ECHO_PID=""
    return 0
}

_gen_servers_cleanup() {
    local st=$?
    set +e
    gen_servers_stop
    (exit "$st")
    pmx_cleanup
}

gen_servers_traps() {
    pmx_traps
    trap _gen_servers_cleanup EXIT
}
