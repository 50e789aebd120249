#!/usr/bin/env bash
# Layering (meson suite 'lint', test 'layers'): lib/tcp is the transport
# and includes nothing from the services (lib/service) or the generator
# (lib/gen); services reach it only through tcp/stream.hpp
# (docs/services.md), the generator's client (lib/gen/client.cpp) too.
# Exit 1 naming each offending include.
#
#   layers.sh SOURCE_ROOT
set -euo pipefail

root=${1:?usage: layers.sh SOURCE_ROOT}
cd "$root/lib/tcp"
bad=0
while IFS= read -r line; do
    file=${line%%:*}
    inc=$(sed -E 's/.*#include *"([^"]+)".*/\1/' <<<"$line")
    echo "lib/tcp/$file includes $inc: the transport must not depend on services or the generator"
    bad=1
done < <(grep -H -E '^[[:space:]]*#[[:space:]]*include[[:space:]]*"(service|gen)/' -- *.cpp *.hpp || true)
if ((bad == 0)); then echo "lib/tcp includes nothing from lib/service or lib/gen"; fi
exit "$bad"
