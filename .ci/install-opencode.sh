#!/usr/bin/env bash
# Installs opencode for the isolation proof (dev.collab.local.IsolationProofIT) unless one is on the PATH.
# Same place local mode installs it by itself (<data-dir>/opencode with the default data dir .collab-local),
# so examples/local.sh reuses it. Needs npm (Node.js 20+) and the npm registry.
set -euo pipefail
cd "$(dirname "$0")/.."
if command -v opencode >/dev/null 2>&1; then
  echo "opencode is on the PATH: $(command -v opencode) ($(opencode --version))"
  exit 0
fi
prefix=".collab-local/opencode"
if [ ! -x "$prefix/node_modules/.bin/opencode" ]; then
  npm install --prefix "$prefix" --no-fund --no-audit --loglevel=error opencode-ai@1.18.33
fi
echo "opencode $("$prefix/node_modules/.bin/opencode" --version) at $prefix/node_modules/.bin/opencode"
