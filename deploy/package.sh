#!/usr/bin/env bash
# deploy/package.sh [OUT] — the Debian packages, built from this tree:
# anttd, antt, libantt1, libantt-dev, anttweb (and their -dbgsym), in OUT
# (default build-deb/), then checked by lintian.
#
# The tree is copied (git's files, or the whole folder without its build
# trees when there is no .git) to OUT/src/antt-VERSION with deploy/debian/ as
# its debian/, and dpkg-buildpackage builds the binary packages there, so
# nothing is written into the tree. The build is debhelper's cmake build with
# Debian's hardening flags and -Werror (deploy/debian/rules).
#
# lintian must report no error and no warning; what it still says at the
# info level is explained in deploy/debian/*.lintian-overrides or in
# deploy/README.md ("Packages").
#
#   ANTT_PACKAGE_JOBS   parallel jobs (default: every core)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
out=$(mkdir -p "${1:-$root/build-deb}" && cd "${1:-$root/build-deb}" && pwd)
jobs=${ANTT_PACKAGE_JOBS:-$(nproc)}
bash "$root/deploy/deps.sh"

version=$(sed -n '1s/^antt (\([^)]*\)).*/\1/p' "$root/deploy/debian/changelog")
cmake_version=$(sed -n 's/^project(antt VERSION \([0-9.]*\).*/\1/p' "$root/CMakeLists.txt")
[[ "$version" == "$cmake_version"* ]] ||
  { echo "package: deploy/debian/changelog says $version, CMakeLists.txt $cmake_version" >&2; exit 1; }

src=$out/src/antt-$version
rm -rf "$out/src" "$out"/*.deb "$out"/*.ddeb "$out"/*.changes "$out"/*.buildinfo
mkdir -p "$src"
if [[ -d "$root/.git" ]]; then
  (cd "$root" && git ls-files -z | tar --null -T - -cf -) | tar -C "$src" -xf -
else
  tar -C "$root" --exclude='./build*' --exclude=./debian -cf - . | tar -C "$src" -xf -
fi
cp -r "$root/deploy/debian" "$src/debian"

echo "== dpkg-buildpackage (antt $version) in $src"
(cd "$src" && DEB_BUILD_OPTIONS="parallel=$jobs nocheck" dpkg-buildpackage -b -us -uc \
   >"$out/build.log" 2>&1) || { tail -60 "$out/build.log"; echo "package: the build failed" >&2; exit 1; }
grep -E "warning:" "$out/build.log" || true
mv "$out"/src/*.deb "$out"/src/*.changes "$out"/src/*.buildinfo "$out"/ 2>/dev/null || true
mv "$out"/src/*.ddeb "$out"/ 2>/dev/null || true
ls "$out"/*.deb

echo "== lintian"
changes=$(ls "$out"/antt_"${version}"_*.changes)
# --fail-on: warnings fail the build as errors do; the overrides say why a tag stays.
lintian --fail-on error,warning --info --display-info "$changes" | tee "$out/lintian.log"
echo "package: $(ls "$out"/*.deb | wc -l) packages in $out, lintian: no error or warning"
