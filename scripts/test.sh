#!/usr/bin/env bash
# One command to run every test: installs what is missing, then builds and runs the suite
# (unit, integration, end-to-end with real clients) with -Werror, then again under
# AddressSanitizer + UBSan, fuzzes the parsers and the HTTP transport for a bounded time, and
# checks formatting.
#   S3CORS_SKIP_ASAN=1 scripts/test.sh   skips the sanitizer pass (quicker local loop)
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/install-deps.sh --test

# Compile-cache entries relative to the checkout (ccache, found by CMakeLists.txt): the container
# test's image build (tests/e2e/container_test.sh) then reuses what the ci preset compiled here.
# The image's Debian packages may be a point release ahead of the host's (linux-libc-dev moves
# often): system headers are left out of the entries' checks, and the compiler is known by its
# version text rather than its file's time, as docker/Dockerfile does too.
export CCACHE_BASEDIR=${CCACHE_BASEDIR:-$PWD}
export CCACHE_SLOPPINESS=${CCACHE_SLOPPINESS:-system_headers}
export CCACHE_COMPILERCHECK=${CCACHE_COMPILERCHECK:-%compiler% --version}

echo "== clang-format"
mapfile -t sources < <(git ls-files '*.cpp' '*.hpp')
clang-format-14 --dry-run -Werror "${sources[@]}"

echo "== ci preset (Release, -Werror)"
cmake --preset ci >/dev/null
cmake --build --preset ci
ctest --preset ci

echo "== fuzz the parsers and the transport (libFuzzer, bounded)"
FUZZ_SECONDS=${FUZZ_SECONDS:-20} fuzz/run.sh

if [[ "${S3CORS_SKIP_ASAN:-0}" != 1 ]]; then
  echo "== asan preset (AddressSanitizer + UBSan)"
  cmake --preset asan >/dev/null
  cmake --build --preset asan
  ctest --preset asan
fi
