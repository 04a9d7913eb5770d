# shellcheck shell=bash disable=SC2034  # (the variables are for the caller)
# Picks a container engine for building and running the s3cors image (sourced, not run).
#   source scripts/container-env.sh
#   container_setup || echo "no engine: $container_reason"
# sets:
#   engine         docker or podman (S3CORS_CONTAINER_ENGINE=docker|podman forces one)
#   build_flags    extra flags for "$engine build" (podman: --pull=never --format docker)
#   compose        the compose command as an array (docker compose, docker-compose), or empty
#   container_conf for podman, the containers.conf written to a temp file (exported as
#                  CONTAINERS_CONF; remove it when done: container_cleanup)
# Docker is used when its engine answers; else podman, configured for machines where its
# defaults fail (runtime runc instead of crun, explicit ulimits), which is harmless elsewhere.
# With podman, the base image comes from scripts/container-base.sh (local storage, a registry,
# or mmdebstrap), so builds never pull.

engine=""
build_flags=()
compose=()
container_conf=""
container_reason=""

container_setup() {
  local forced=${S3CORS_CONTAINER_ENGINE:-}
  if [[ $forced != podman ]] && command -v docker >/dev/null 2>&1 &&
    timeout 20 docker info >/dev/null 2>&1; then
    engine=docker
    build_flags=()
  elif [[ $forced != docker ]] && command -v podman >/dev/null 2>&1; then
    engine=podman
    build_flags=(--pull=never --format docker) # the OCI format would drop HEALTHCHECK
    container_conf=$(mktemp "${TMPDIR:-/tmp}/s3cors-containers.XXXXXX.conf")
    {
      echo '[containers]'
      echo "default_ulimits = [\"nofile=$(ulimit -Hn):$(ulimit -Hn)\", \"nproc=$(cat /proc/sys/kernel/pid_max):$(cat /proc/sys/kernel/pid_max)\"]"
      if command -v runc >/dev/null 2>&1; then
        echo '[engine]'
        echo 'runtime = "runc"'
      fi
    } >"$container_conf"
    export CONTAINERS_CONF=$container_conf
    if ! timeout 60 podman info >/dev/null 2>"$container_conf.err"; then
      container_reason="podman is installed but cannot run: $(tail -n 1 "$container_conf.err")"
      rm -f "$container_conf.err"
      container_cleanup
      engine=""
      return 1
    fi
    rm -f "$container_conf.err"
  else
    if [[ -n $forced ]]; then
      container_reason="S3CORS_CONTAINER_ENGINE=$forced, which cannot run here"
    else
      container_reason="neither docker (no engine answers 'docker info') nor podman is available"
    fi
    return 1
  fi
  if [[ $engine == docker ]] && docker compose version >/dev/null 2>&1; then
    compose=(docker compose)
  elif command -v docker-compose >/dev/null 2>&1; then
    compose=(docker-compose)
  fi
  return 0
}

container_cleanup() {
  if [[ -n $container_conf ]]; then
    rm -f "$container_conf"
    container_conf=""
    unset CONTAINERS_CONF
  fi
}
