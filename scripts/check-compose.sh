#!/usr/bin/env bash
# check-compose.sh: validate docker-compose.yml (syntax, schema, variable interpolation) with
# `docker-compose config -q`, using the secrets of .env.example. Needs no container engine.
# Installs Debian's docker-compose (1.29) when missing and running as root. Quiet on success;
# exits non-zero when the file does not validate or no validator is available.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

if ! command -v docker-compose >/dev/null 2>&1 && [[ $EUID -eq 0 ]] && command -v apt-get >/dev/null 2>&1; then
  if ! out=$({ apt-get update -q -o Acquire::Retries=3 &&
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q -o Dpkg::Lock::Timeout=300 docker-compose; } 2>&1); then
    printf '%s\n' "$out" >&2
  fi
fi

if command -v docker-compose >/dev/null 2>&1; then
  compose=(docker-compose)
elif docker compose version >/dev/null 2>&1; then
  compose=(docker compose)
else
  echo "check-compose: neither docker-compose nor 'docker compose' is available" >&2
  exit 1
fi

# --env-file: interpolate from .env.example, whether or not a developer's .env exists.
if ! "${compose[@]}" --env-file .env.example -f docker-compose.yml config -q; then
  echo "check-compose: docker-compose.yml does not validate" >&2
  exit 1
fi
