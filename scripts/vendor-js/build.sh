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
# bundle NAME PACKAGE...: static/vendor/NAME.js from NAME-entry.js, and NAME.LICENSES.txt
# with the licence of every package it bundles.
bundle() {
  local name=$1; shift
  "$esbuild" "$work/$name-entry.js" --bundle --format=iife --target=es2020 --minify \
    --legal-comments=none --outfile="$out/$name.js"
  {
    echo "static/vendor/$name.js bundles these packages (npm), unchanged:"
    for package in "$@"; do
      dir="$work/node_modules/$package"
      echo
      echo "=== $package $(node -p "require('$dir/package.json').version") ==="
      cat "$dir"/LICENSE*
    done
  } > "$out/$name.LICENSES.txt"
}
bundle pki pkijs asn1js bytestreamjs @peculiar/utils @noble/hashes
bundle hpke @hpke/core @hpke/common
ls -l "$out"
