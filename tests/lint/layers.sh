#!/usr/bin/env bash
# Layering (meson suite 'lint', test 'layers'): lib/tcp is the transport
# and includes nothing from the services (lib/service) or the generator
# (lib/gen); services reach it only through tcp/stream.hpp
# (docs/services.md). Exit 1 naming each offending include.
#
#   layers.sh SOURCE_ROOT
#
# The one exception, until the generator's client moves to lib/gen (issue
# 12, open): tcp/client.cpp, tcp/client.hpp and tcp/conn.hpp (its
# ServiceState holds the client's response parser) may include the http
# parsers, service/http.hpp and service/http_resp.hpp, and nothing else of
# lib/service.
set -euo pipefail

root=${1:?usage: layers.sh SOURCE_ROOT}
cd "$root/lib/tcp"
bad=0
while IFS= read -r line; do
    file=${line%%:*}
    inc=$(sed -E 's/.*#include *"([^"]+)".*/\1/' <<<"$line")
    case "$file:$inc" in
        client.cpp:service/http.hpp | client.cpp:service/http_resp.hpp) continue ;;
        client.hpp:service/http_resp.hpp | conn.hpp:service/http_resp.hpp) continue ;;
    esac
    echo "lib/tcp/$file includes $inc: the transport must not depend on services or the generator"
    bad=1
done < <(grep -H -E '^[[:space:]]*#[[:space:]]*include[[:space:]]*"(service|gen)/' -- *.cpp *.hpp || true)
if ((bad == 0)); then echo "lib/tcp includes nothing from lib/service or lib/gen (but the client's parsers)"; fi
exit "$bad"
