#!/bin/bash
# `make check-deb`: build the .deb (and a newer one carrying a migration), lintian, unit checks,
# then a clean Debian 12 root from debootstrap: install, start the units' ExecStart lines as
# systemd would, health, crawl + text turn, upgrade, purge. Needs root and the network for the
# Debian archive this machine's apt already uses (downloads are cached under $CACHE; later runs
# only refresh the package lists).
#   packaging/check-deb.sh          KEEP=1 keeps the work dir; DEBIAN_MIRROR overrides the
#                                   archive (default: the bookworm sources of this machine's apt)
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
SRC=$(cd "$HERE/.." && pwd)
CACHE=${SITESPEAK_CI_CACHE:-/var/cache/sitespeak-ci}
# This machine's own apt sources for Debian 12 (no host name lives in the repository): every
# "URI SUITE" apt has a Packages index of for bookworm*, main.
apt_sources() {
    apt-get indextargets --format '$(REPO_URI) $(RELEASE)' 'Created-By: Packages' 'Component: main' \
        | awk '$2 ~ /^bookworm(-updates|-security)?$/' | sort -u
}
SOURCES=$(apt_sources)
MIRROR=${DEBIAN_MIRROR:-$(echo "$SOURCES" | awk '$2 == "bookworm" { print $1; exit }')}
[ -n "$MIRROR" ] || { echo "check-deb: this machine's apt has no Debian 12 (bookworm) main source; set DEBIAN_MIRROR" >&2; exit 2; }
[ -z "${DEBIAN_MIRROR:-}" ] || SOURCES="$DEBIAN_MIRROR bookworm"
START=$(date +%s)
phase() { echo; echo "== check-deb: $* (+$(( $(date +%s) - START ))s)"; }

[ "$(id -u)" = 0 ] || { echo "check-deb: needs root (debootstrap, chroot, namespaces)" >&2; exit 2; }
for tool in debootstrap lintian systemd-analyze unshare chroot ip dpkg-deb; do
    command -v "$tool" >/dev/null || {
        echo "check-deb: $tool missing: apt-get install debootstrap lintian systemd dpkg-dev iproute2" >&2
        exit 2; }
done
WORK=$(mktemp -d /var/tmp/sitespeak-check-deb.XXXXXX)
LINTIAN_PID=""
cleanup() {
    [ -z "$LINTIAN_PID" ] || kill "$LINTIAN_PID" 2>/dev/null || true
    [ -n "${KEEP:-}" ] && echo "check-deb: kept $WORK" || rm -rf "$WORK"
}
trap cleanup EXIT
VERSION=$(python3 "$HERE/version.py" "$SRC")
NEWER="$VERSION+upgradecheck1"
ARCH=$(dpkg --print-architecture)
# A fast compression: these packages only live for this run.
export DEB_COMPRESS=${DEB_COMPRESS:-gzip} DEB_LEVEL=${DEB_LEVEL:-1}

DEBS=${REUSE_DEBS:-$WORK/debs}
BASE_DEB="$DEBS/sitespeak_${VERSION}_${ARCH}.deb"
NEWER_DEB="$DEBS/sitespeak_${NEWER}_${ARCH}.deb"
if [ -n "${REUSE_DEBS:-}" ] && [ -f "$BASE_DEB" ] && [ -f "$NEWER_DEB" ]; then
    phase "reusing the packages in $REUSE_DEBS (REUSE_DEBS is for debugging this script)"
else
    phase "build sitespeak $VERSION"
    "$HERE/build-deb.sh" --src "$SRC" --version "$VERSION" --out "$DEBS"

    phase "build the newer sitespeak $NEWER: this source plus one more migration"
    mkdir -p "$WORK/newer-src"
    cp -r "$SRC/pyproject.toml" "$SRC"/requirements*.lock "$SRC/sitespeak" "$WORK/newer-src/"
    [ -f "$SRC/README.md" ] && cp "$SRC/README.md" "$WORK/newer-src/"
    cp "$HERE/ci/m9000_upgrade_probe.py" "$WORK/newer-src/sitespeak/db/migrations/"
    "$HERE/build-deb.sh" --src "$WORK/newer-src" --version "$NEWER" --out "$DEBS"
fi

# lintian takes minutes on a package this size (mostly I/O): it runs beside the root checks.
phase "lintian started in the background (errors fail; overrides in packaging/debian/lintian-overrides)"
lintian --fail-on error --tag-display-limit 0 "$BASE_DEB" > "$WORK/lintian.txt" 2>&1 &
LINTIAN_PID=$!

phase "systemd-analyze verify and security on the packaged units"
mkdir -p "$WORK/extracted"
dpkg-deb -x "$BASE_DEB" "$WORK/extracted"
python3 "$HERE/ci/check_units.py" "$WORK/extracted/lib/systemd/system"

phase "clean Debian 12 root (debootstrap, cached in $CACHE)"
BASE_ROOT="$CACHE/bookworm-minbase"
if [ ! -e "$BASE_ROOT.complete" ]; then
    rm -rf "$BASE_ROOT"
    mkdir -p "$CACHE"
    debootstrap --variant=minbase bookworm "$BASE_ROOT" "$MIRROR"
    touch "$BASE_ROOT.complete"
fi
ROOTFS="$WORK/rootfs"
cp -a "$BASE_ROOT" "$ROOTFS"
echo "$SOURCES" | awk '{ print "deb " $1 " " $2 " main" }' > "$ROOTFS/etc/apt/sources.list"
cp /etc/resolv.conf "$ROOTFS/etc/resolv.conf"
mkdir -p "$ROOTFS/ci" "$CACHE/apt-archives/partial" "$CACHE/apt-lists/partial"
# apt wants a local package under its canonical file name.
cp "$BASE_DEB" "$NEWER_DEB" "$ROOTFS/ci/"
cp -r "$HERE/ci/." "$ROOTFS/ci/"

# Mounts live in a private mount namespace: they vanish with it, whatever happens.
mounts="mount --bind $CACHE/apt-archives $ROOTFS/var/cache/apt/archives
        mount --bind $CACHE/apt-lists $ROOTFS/var/lib/apt/lists
        mount -t proc proc $ROOTFS/proc
        mount -t tmpfs tmpfs $ROOTFS/dev/shm
        mount -t devpts -o newinstance,ptmxmode=0666 devpts $ROOTFS/dev/pts"

phase "download the dependencies (the only step with network)"
unshare --mount --fork -- bash -euc "$mounts
    chroot $ROOTFS apt-get -q update
    chroot $ROOTFS env DEBIAN_FRONTEND=noninteractive apt-get -q install -y --no-install-recommends --download-only /ci/$(basename "$BASE_DEB")"

phase "inside the root: own network and PID namespaces, loopback only"
unshare --mount --net --pid --fork -- bash -euc "$mounts
    ip link set lo up
    chroot $ROOTFS /bin/bash /ci/inside.sh $VERSION $NEWER $ARCH"

phase "lintian result"
LINTIAN_RC=0
wait "$LINTIAN_PID" || LINTIAN_RC=$?
LINTIAN_PID=""
grep -v "running with root privileges" "$WORK/lintian.txt" || true
echo "lintian: $(grep -c '^E:' "$WORK/lintian.txt" || true) errors, $(grep -c '^W:' "$WORK/lintian.txt" || true) warnings"
[ "$LINTIAN_RC" = 0 ] || { echo "check-deb: FAIL: lintian reported errors" >&2; exit 1; }

phase "passed in $(( $(date +%s) - START ))s"
