#!/usr/bin/env bash
# Makes the image docker/Dockerfile builds FROM (debian:bookworm-slim) available to podman on
# a machine that reaches no container registry, only the Debian archive:
#   1. already in local storage  -> nothing to do
#   2. a registry answers        -> pull it
#   3. otherwise                 -> build it with mmdebstrap (minbase, merged /usr, slim dpkg
#      excludes, apt's docker-clean), cache the tarball under ~/.cache/s3cors, import it as
#      localhost/debian:bookworm-slim and tag it docker.io/library/debian:bookworm-slim, so the
#      Dockerfile's unchanged "FROM debian:bookworm-slim" resolves locally (build with --pull=never).
# The Debian mirror is read from the host's apt configuration at run time.
#
#   scripts/container-base.sh [podman|docker]       (default: podman; run as root)
# S3CORS_CACHE_DIR overrides the cache directory. Idempotent; exit status 0 when the image is there.
# shellcheck disable=SC2016  # $(URI) and the hooks' $1 are expanded by apt and mmdebstrap
set -euo pipefail

engine=${1:-podman}
image=debian:bookworm-slim
full_name=docker.io/library/$image
cache_dir=${S3CORS_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/s3cors}
tarball=$cache_dir/debian-bookworm-slim.tar

log() { echo "container-base: $*" >&2; }

if "$engine" image inspect "$image" >/dev/null 2>&1; then
  exit 0
fi

if [[ ! -s $tarball ]] && timeout 120 "$engine" pull -q "$full_name" >/dev/null 2>&1; then
  log "pulled $full_name"
  exit 0
fi

if [[ ! -s $tarball ]]; then
  command -v mmdebstrap >/dev/null || { log "no registry and no mmdebstrap: cannot make $image"; exit 1; }
  [[ $(id -u) -eq 0 ]] || { log "building $image with mmdebstrap needs root"; exit 1; }
  # The host's own mirrors (e.g. http://deb.debian.org/debian), never written to a file here.
  mirror=$(apt-get indextargets --format '$(URI)' 'Release: bookworm' 'Component: main' 'Created-By: Packages' \
             2>/dev/null | sed -n 's#/dists/bookworm/main/.*##p' | head -n 1)
  security=$(apt-get indextargets --format '$(URI)' 'Release: bookworm-security' 'Component: main' \
               'Created-By: Packages' 2>/dev/null | sed -n 's#/dists/bookworm-security/main/.*##p' | head -n 1)
  mirror=${mirror:-http://deb.debian.org/debian}
  sources=("deb $mirror bookworm main" "deb $mirror bookworm-updates main")
  [[ -n $security ]] && sources+=("deb $security bookworm-security main")
  mkdir -p "$cache_dir"
  log "building $image with mmdebstrap from $mirror (about a minute)"
  work=$(mktemp "$cache_dir/debian-bookworm-slim.XXXXXX.tar")
  trap 'rm -f "$work" "$work.log"' EXIT
  # Slim like the official image: no docs, man pages or locales; apt keeps no package cache.
  mmdebstrap --variant=minbase --mode=root --format=tar --quiet \
    --hook-dir=/usr/share/mmdebstrap/hooks/merged-usr \
    --dpkgopt='path-exclude=/usr/share/man/*' --dpkgopt='path-exclude=/usr/share/doc/*' \
    --dpkgopt='path-include=/usr/share/doc/*/copyright' --dpkgopt='path-exclude=/usr/share/locale/*' \
    --dpkgopt='path-exclude=/usr/share/info/*' --dpkgopt='path-exclude=/usr/share/lintian/*' \
    --customize-hook='printf "%s\n" "DPkg::Post-Invoke { \"rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true\"; };" "APT::Update::Post-Invoke { \"rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true\"; };" "Dir::Cache::pkgcache \"\";" "Dir::Cache::srcpkgcache \"\";" > "$1/etc/apt/apt.conf.d/docker-clean"' \
    --customize-hook='printf "%s\n" "Acquire::GzipIndexes \"true\";" > "$1/etc/apt/apt.conf.d/docker-gzip-indexes"' \
    --customize-hook='rm -rf "$1"/var/lib/apt/lists/* "$1"/var/cache/apt/*.bin' \
    bookworm "$work" "${sources[@]}" >"$work.log" 2>&1 || {
    tail -n 20 "$work.log" >&2
    rm -f "$work.log"
    exit 1
  }
  rm -f "$work.log"
  mv "$work" "$tarball"
  trap - EXIT
fi

log "importing $tarball as $image"
"$engine" import -q --change 'CMD ["bash"]' "$tarball" "localhost/$image" >/dev/null
"$engine" tag "localhost/$image" "$full_name"
