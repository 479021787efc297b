#!/usr/bin/env bash
# Installs CPython X.Y from Debian's unstable suite (sid) into a cache outside the repository and prints the
# path of a launcher for it. Those builds need a newer C library than a stable system has, so the launcher runs
# them through the C library and loader shipped beside them; the system's own apt setup is never touched (apt
# runs with private lists, cache and sources). Idempotent: a second run only checks the launcher starts.
#
#   tools/pythons/debian-python.sh 3.15        -> ~/.cache/pymem/debian-sid/3.15/bin/python3.15
#
# PYMEM_CACHE overrides the cache folder. Exit status 1, with the reason on stderr, when it cannot be had.
set -euo pipefail
version="${1:?usage: debian-python.sh X.Y}"
[[ "$version" =~ ^3\.[0-9]+$ ]] || { echo "debian-python.sh: not a CPython version: $version" >&2; exit 1; }
cache="${PYMEM_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/pymem}/debian-sid"
root="$cache/$version"
launcher="$root/bin/python$version"

if [[ -f "$root/.complete" && -x "$launcher" ]] && "$launcher" -c "pass" 2>/dev/null; then
  echo "$launcher"
  exit 0
fi
for tool in apt-get dpkg; do
  command -v "$tool" >/dev/null || { echo "debian-python.sh: needs $tool (a Debian-like system)" >&2; exit 1; }
done
arch="$(dpkg --print-architecture)"
triplet="$(gcc -dumpmachine 2>/dev/null || echo x86_64-linux-gnu)"

apt_dir="$cache/apt"
mkdir -p "$apt_dir/lists/partial" "$apt_dir/cache/archives/partial" "$apt_dir/debs-$version"
# The system's own Debian mirror, suite sid; signed as the archive signs it.
mirror="$( (cat /etc/apt/sources.list /etc/apt/sources.list.d/*.sources /etc/apt/sources.list.d/*.list 2>/dev/null || true) |
  grep -E '^(URIs:|deb )' | grep -oE 'https?://[^ ]+' | grep -v -e security -e nodesource -e google | head -1 || true)"
mirror="${mirror:-http://deb.debian.org/debian}"
echo "deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] $mirror sid main" >"$apt_dir/sources.list"
apt_opts=(-q -o "Dir::Etc::sourcelist=$apt_dir/sources.list" -o "Dir::Etc::sourceparts=-"
  -o "Dir::State::Lists=$apt_dir/lists" -o "Dir::Cache=$apt_dir/cache" -o "APT::Get::List-Cleanup=0"
  -o "APT::Architecture=$arch")
apt-get "${apt_opts[@]}" update >/dev/null 2>"$apt_dir/update.log" || {
  echo "debian-python.sh: apt-get update of sid failed: $(tail -1 "$apt_dir/update.log")" >&2
  exit 1
}
packages=(python$version-minimal libpython$version-minimal libpython$version-stdlib libpython$version
  libpython$version-dev libc6 libexpat1 zlib1g libzstd1 libffi8 libssl3t64 libmpdec4)
(cd "$apt_dir/debs-$version" && rm -f ./*.deb && apt-get "${apt_opts[@]}" download "${packages[@]}" >/dev/null 2>"$apt_dir/download.log") || {
  echo "debian-python.sh: sid has no python$version, or a package of it could not be downloaded: $(grep -m1 -E '^E:' "$apt_dir/download.log" || tail -1 "$apt_dir/download.log")" >&2
  exit 1
}

rm -rf "$root.partial"
mkdir -p "$root.partial/bin"
for deb in "$apt_dir/debs-$version"/*.deb; do dpkg -x "$deb" "$root.partial"; done
libdir="$root/usr/lib/$triplet"
cat >"$root.partial/bin/python$version" <<LAUNCH
#!/bin/sh
# CPython $version from Debian sid, run through the C library and loader installed beside it.
exec "$libdir/ld-linux-x86-64.so.2" --library-path "$libdir:/lib/$triplet" "$root/usr/bin/python$version" "\$@"
LAUNCH
chmod +x "$root.partial/bin/python$version"
(cd "$apt_dir/debs-$version" && ls ./*.deb) >"$root.partial/.complete"
rm -rf "$root"
mv "$root.partial" "$root"
"$launcher" -c "pass" || { echo "debian-python.sh: python$version was installed but does not start" >&2; exit 1; }
echo "$launcher"
