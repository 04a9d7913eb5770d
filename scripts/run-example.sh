#!/usr/bin/env bash
# One command from a fresh Debian 12 machine to a running server: installs what is missing,
# builds the release preset and serves config/example-root (bucket "media": an HLS stream
# with a CORS configuration) on http://127.0.0.1:9000. Extra arguments go to s3cors.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
cmake --preset release >/dev/null
cmake --build --preset release --target s3cors_server
exec build/release/server/s3cors --config config/example.json "$@"
