#!/usr/bin/env bash
# Rebuild static/vendor/ from the pinned npm packages of package.json. The output is
# committed, so running the platform needs no Node.js; run this only to upgrade a library.
# It bundles each library into one classic script (no build step at run time, CSP 'self').
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
out="$here/../../static/vendor"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cp "$here/package.json" "$here"/*-entry.js "$work/"
(cd "$work" && npm install --no-audit --no-fund --no-package-lock --ignore-scripts >/dev/null)
esbuild="$work/node_modules/@esbuild/linux-x64/bin/esbuild"
[ -x "$esbuild" ] || esbuild="$work/node_modules/.bin/esbuild"
mkdir -p "$out"
"$esbuild" "$work/pki-entry.js" --bundle --format=iife --target=es2020 --minify \
  --legal-comments=none --outfile="$out/pki.js"
{
  echo "static/vendor/pki.js bundles these packages (npm), unchanged:"
  for package in pkijs asn1js bytestreamjs @peculiar/utils @noble/hashes; do
    dir="$work/node_modules/$package"
    echo
    echo "=== $package $(node -p "require('$dir/package.json').version") ==="
    cat "$dir"/LICENSE*
  done
} > "$out/pki.LICENSES.txt"
ls -l "$out"
