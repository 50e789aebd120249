#!/usr/bin/env bash
# The lint tests (meson suite 'lint'): shellcheck over every shell script
# under scripts/, tests/ and .ci/, `clang-format --dry-run --Werror` over
# every C++ source and header under lib/, app/, tests/ and bench/, and
# pyflakes (unused or undefined names, syntax) over every Python file under
# scripts/ and tests/ (the integration tests' peers, tests/integration/peers).
#
#   lint.sh shellcheck|clang-format|pyflakes SOURCE_ROOT
#
# Files are those git tracks or would track (not ignored), so a new file is
# checked without touching this script; outside a git checkout, the same
# trees are walked with find. A shell script is a *.sh file or a file whose
# first line is a sh/bash shebang (.ci/run has no extension). Exit 0 when
# clean, 1 on any finding (each is printed), 77 (meson: skipped) when the
# tool is not installed: scripts/install-deps.sh installs them (Debian 12
# has shellcheck 0.9 and clang-format 14; another clang-format version may
# format differently).
set -euo pipefail

usage="usage: lint.sh shellcheck|clang-format|pyflakes SOURCE_ROOT"
tool=${1:?$usage}
root=${2:?$usage}
cd "$root"

# Tracked (or, outside git, existing) regular files under the given trees.
list_files() {
    if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
        git ls-files -z --cached --others --exclude-standard -- "$@" | while IFS= read -r -d '' f; do
            [[ -f $f ]] && printf '%s\n' "$f"
        done
    else
        find "$@" -type f -not -path '*/.git/*' 2>/dev/null
    fi
}

is_shell_script() {
    local first
    [[ $1 == *.sh ]] && return 0
    IFS= read -r first <"$1" || true
    [[ $first =~ ^#!.*(/|[[:space:]])(ba)?sh([[:space:]]|$) ]]
}

is_cpp_source() {
    [[ $1 =~ \.(cpp|hpp|cc|hh|cxx|h)$ ]]
}

files=()
case $tool in
shellcheck)
    while IFS= read -r f; do
        if is_shell_script "$f"; then files+=("$f"); fi
    done < <(list_files scripts tests .ci | sort)
    ;;
clang-format)
    while IFS= read -r f; do
        if is_cpp_source "$f"; then files+=("$f"); fi
    done < <(list_files lib app tests bench | sort)
    ;;
pyflakes)
    while IFS= read -r f; do
        if [[ $f == *.py ]]; then files+=("$f"); fi
    done < <(list_files scripts tests | sort)
    ;;
*)
    echo "lint.sh: unknown tool '$tool'" >&2
    exit 2
    ;;
esac

# pyflakes runs as a module of the system interpreter (Debian's
# python3-pyflakes; python3 on PATH may be another build).
PYTHON=/usr/bin/python3
if [[ $tool == pyflakes ]]; then
    have() { "$PYTHON" -c 'import pyflakes' 2>/dev/null; }
else
    have() { command -v "$tool" >/dev/null; }
fi
if ! have; then
    echo "lint.sh: $tool not installed (scripts/install-deps.sh installs it); skipped" >&2
    exit 77
fi
if [[ ${#files[@]} -eq 0 ]]; then
    echo "lint.sh: no files found for $tool under $root" >&2
    exit 1
fi

echo "$tool: checking ${#files[@]} files"
case $tool in
shellcheck)
    # -x follows `source` lines; their `# shellcheck source=` paths are
    # relative to the repository root, the working directory here.
    shellcheck -x "${files[@]}"
    ;;
clang-format)
    # .clang-format at the root; --Werror turns each would-be change into an
    # error naming file and line.
    clang-format --dry-run --Werror "${files[@]}"
    ;;
pyflakes)
    "$PYTHON" -m pyflakes "${files[@]}"
    ;;
esac
echo "$tool: clean"
