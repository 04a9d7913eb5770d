#!/usr/bin/env bash
# Installs what s3cors needs from Debian 12 packages, idempotently. Run as root (or with sudo).
#   scripts/install-deps.sh          build dependencies only
#   scripts/install-deps.sh --test   also what the test suite and benchmarks use
set -euo pipefail

build_packages=(cmake ninja-build g++ pkg-config ccache libboost1.81-dev libfmt-dev nlohmann-json3-dev
                libpugixml-dev libssl-dev libisal-dev catch2)
test_packages=(curl openssl python3 clang-format-14 nginx-light wrk libbenchmark-dev)

want=("${build_packages[@]}")
if [[ "${1:-}" == "--test" ]]; then
  want+=("${test_packages[@]}")
  # Real S3 clients: any aws CLI and boto3 already on PATH will do; else Debian's.
  command -v aws >/dev/null 2>&1 || want+=(awscli)
  python3 -c 'import boto3' >/dev/null 2>&1 || want+=(python3-boto3)
  # The container test (tests/e2e/container_test.sh): a Docker engine if one answers, else
  # rootful podman with runc, and mmdebstrap for the base image where no registry answers;
  # a compose tool to validate docker/compose.yaml.
  if ! { command -v docker >/dev/null 2>&1 && timeout 20 docker info >/dev/null 2>&1; }; then
    want+=(podman buildah runc mmdebstrap)
  fi
  if ! { docker compose version >/dev/null 2>&1 || command -v docker-compose >/dev/null 2>&1; }; then
    want+=(docker-compose)
  fi
fi

missing=()
for pkg in "${want[@]}"; do
  status=$(dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null || true)
  [[ "$status" == "install ok installed" ]] || missing+=("$pkg")
done

if ((${#missing[@]} == 0)); then
  echo "install-deps: all ${#want[@]} packages present"
  exit 0
fi

sudo=()
[[ $(id -u) -eq 0 ]] || sudo=(sudo)
echo "install-deps: installing ${missing[*]}"
"${sudo[@]}" apt-get update -qq
DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
echo "install-deps: done"
