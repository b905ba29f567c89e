#!/usr/bin/env bash
# Rebuild the inlined widget manager of `nbconvert --to kit` from its npm package:
#   kit/widgets/update.sh [VERSION]     (needs npm; the default is the version shipped)
set -euo pipefail
version="${1:-1.0.15}"
here="$(cd "$(dirname "$0")" && pwd)"
tmp="$(mktemp -d)"; trap 'rm -rf "$tmp"' EXIT
(cd "$tmp" && npm pack --silent "@jupyter-widgets/html-manager@$version" >/dev/null && tar xzf ./*.tgz)
rm -f "$here"/html-manager-*-embed.js
cp "$tmp/package/dist/embed.js" "$here/html-manager-$version-embed.js"
cp "$tmp/package/dist/embed.js.LICENSE.txt" "$here/THIRD-PARTY-LICENSES.txt"
echo "kit/widgets: @jupyter-widgets/html-manager $version"
