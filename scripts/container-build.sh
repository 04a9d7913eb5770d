#!/usr/bin/env bash
# Builds the s3cors image from docker/Dockerfile with whatever engine runs here: docker when its
# engine answers, else podman (with the settings and the local base image our machines need,
# see scripts/container-env.sh and scripts/container-base.sh).
#   scripts/container-build.sh [TAG]      (default s3cors:local; prints the engine and size)
# Then run it as the README shows, with "$engine" in place of docker.
set -euo pipefail
cd "$(dirname "$0")/.."

tag=${1:-s3cors:local}
# shellcheck source=scripts/container-env.sh
source scripts/container-env.sh
container_setup || { echo "container-build: $container_reason" >&2; exit 1; }
trap container_cleanup EXIT

if [[ $engine == podman ]]; then
  scripts/container-base.sh podman
fi
echo "container-build: $engine build -f docker/Dockerfile -t $tag ." >&2
"$engine" build "${build_flags[@]}" -f docker/Dockerfile -t "$tag" .
size=$("$engine" image inspect --format '{{.Size}}' "$tag")
echo "container-build: built $tag with $engine, $((size / 1000)) kB"
