#!/usr/bin/env bash
# Builds the `talib` npm package (node-talib 2.0.5, TA-Lib C 0.6) for the local Node, OUTSIDE the
# repository's dependencies, for scripts/talib-fixtures.mjs.
#
#   usage: scripts/talib-build.sh [DIR]      (DIR defaults to .talib/ at the repository root)
#
# Steps (each is skipped when already done, so the script is idempotent):
#   1. `npm install --ignore-scripts talib@2.0.5` into DIR (a private package.json there): a plain
#      install fails because the tarball ships stale prebuilt objects;
#   2. delete the shipped .o/.a files under node_modules/talib/src/lib and the shipped build/;
#   3. `node src/lib/build.js` (TA-Lib C's own makefile, make/csr/linux/g++);
#   4. `node-gyp rebuild --nodedir=<prefix of the running node>` (headers in <prefix>/include/node),
#      with npm's bundled node-gyp.
# On success DIR/node_modules/talib/build/Release/talib.node exists and DIR/.built records the
# versions. Remove DIR (or DIR/.built) to force a rebuild.
set -euo pipefail

TALIB_VERSION=2.0.5
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
DIR="${1:-$ROOT/.talib}"
mkdir -p "$DIR"
DIR="$(cd "$DIR" && pwd)"
PKG="$DIR/node_modules/talib"
STAMP="$DIR/.built"
NODE_VERSION="$(node -p process.version)"
WANT="talib@$TALIB_VERSION node@$NODE_VERSION"

if [[ -f "$STAMP" && "$(cat "$STAMP")" == "$WANT" && -f "$PKG/build/Release/talib.node" ]]; then
  echo "talib-build: $WANT already built in $DIR"
  exit 0
fi

# Node headers: <prefix>/include/node/node.h where <prefix> is the running node's install prefix
# (/usr for /usr/bin/node); fall back to /usr.
NODEDIR="$(dirname "$(dirname "$(node -p 'require("fs").realpathSync(process.execPath)')")")"
if [[ ! -f "$NODEDIR/include/node/node.h" ]]; then
  if [[ -f /usr/include/node/node.h ]]; then NODEDIR=/usr
  else echo "talib-build: no Node headers under $NODEDIR/include/node or /usr/include/node" >&2; exit 1; fi
fi

# node-gyp: npm's bundled copy (else one on PATH).
NPM_ROOT="$(dirname "$(dirname "$(readlink -f "$(command -v npm)")")")"
GYP=""
for c in "$NPM_ROOT/node_modules/node-gyp/bin/node-gyp.js" \
         "$NPM_ROOT/lib/node_modules/npm/node_modules/node-gyp/bin/node-gyp.js" \
         "$(npm root -g)/npm/node_modules/node-gyp/bin/node-gyp.js"; do
  if [[ -f "$c" ]]; then GYP="node $c"; break; fi
done
if [[ -z "$GYP" ]]; then
  if command -v node-gyp >/dev/null; then GYP=node-gyp
  else echo "talib-build: node-gyp not found (npm's bundled copy or PATH)" >&2; exit 1; fi
fi
echo "talib-build: $WANT into $DIR (headers $NODEDIR/include/node, node-gyp: $GYP)"

# 1. install without scripts (the package declares engines node>=24; it builds and runs on 20).
if [[ ! -f "$PKG/package.json" ]] || [[ "$(node -p "require('$PKG/package.json').version")" != "$TALIB_VERSION" ]]; then
  [[ -f "$DIR/package.json" ]] || echo '{ "name": "gridta-talib-fixtures", "private": true }' > "$DIR/package.json"
  (cd "$DIR" && npm install --ignore-scripts --no-audit --no-fund --no-save --loglevel=error "talib@$TALIB_VERSION")
fi

# 2. drop the stale prebuilt objects and build directory shipped in the tarball.
find "$PKG/src/lib" \( -name '*.o' -o -name '*.a' \) -delete
rm -rf "$PKG/build"

# 3. TA-Lib C (static libraries into src/lib/lib).
(cd "$PKG" && node src/lib/build.js)
for lib in abstract func common libc; do
  [[ -f "$PKG/src/lib/lib/libta_${lib}_csr.a" ]] || { echo "talib-build: libta_${lib}_csr.a was not built" >&2; exit 1; }
done

# 4. the addon.
(cd "$PKG" && $GYP rebuild --nodedir="$NODEDIR")

# smoke test
node -e "
const t = require('$PKG');
const r = t.execute({ name: 'SMA', startIdx: 0, endIdx: 4, inReal: [1,2,3,4,5], optInTimePeriod: 2 });
if (r.begIndex !== 1 || r.result.outReal.join() !== '1.5,2.5,3.5,4.5') throw new Error('smoke test: ' + JSON.stringify(r));
console.log('talib-build: ok, the addon loads and computes (' + t.functions.length + ' TA-Lib functions)');
"
echo "$WANT" > "$STAMP"
