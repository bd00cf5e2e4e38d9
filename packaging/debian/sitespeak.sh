#!/bin/sh
# /usr/bin/sitespeak: run a sitespeak admin command (migrate, check, backup, restore, ...) as the
# sitespeak user with the installed configuration and secrets. Use absolute paths for files.
set -e
if [ "$(id -u)" = 0 ]; then
    exec runuser -u sitespeak -- "$0" "$@"
fi
if [ "$(id -un)" != sitespeak ]; then
    echo "sitespeak: run this as root (sudo sitespeak $*) or as the sitespeak user" >&2
    exit 1
fi
set -a
# Same precedence as the units: their Environment= defaults, then the files.
SITESPEAK_STATE_DIR=/var/lib/sitespeak
SITESPEAK_ENV_FILE=
. /etc/sitespeak/sitespeak.env
if [ -r /etc/sitespeak/secrets.env ]; then
    . /etc/sitespeak/secrets.env
fi
set +a
# -I: never import from the current directory or PYTHON* variables.
exec /usr/lib/sitespeak/bin/python -I -m sitespeak "$@"
