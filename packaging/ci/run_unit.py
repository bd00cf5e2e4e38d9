"""Start a unit's ExecStart the way systemd would, where systemd is not running (CI chroots).

Done like systemd: Environment= lines, then EnvironmentFile= files (whose values win, a leading
"-" makes a missing file fine), %i from the instance name, StateDirectory=/LogsDirectory=
created and owned by User=, WorkingDirectory=, UMask=, supplementary groups dropped, then
User=/Group= and exec. Not done: the sandbox (namespaces, seccomp, capabilities) — that needs
systemd itself; `systemd-analyze security` covers the unit's settings instead.
Usage: python3 run_unit.py /lib/systemd/system/NAME.service [INSTANCE]
"""

from __future__ import annotations

import grp
import os
import pwd
import shlex
import sys
from pathlib import Path


def parse(path: Path, instance: str) -> dict[str, list[str]]:
    keys: dict[str, list[str]] = {}
    section = ""
    for raw in path.read_text().splitlines():
        line = raw.strip()
        if not line or line.startswith(("#", ";")):
            continue
        if line.startswith("["):
            section = line.strip("[]")
            continue
        if section == "Service":
            key, _, value = line.partition("=")
            keys.setdefault(key, []).append(value.replace("%i", instance))
    return keys


def env_file(path: str) -> dict[str, str]:
    optional = path.startswith("-")
    file = Path(path.lstrip("-"))
    if not file.exists():
        if optional:
            return {}
        raise SystemExit(f"run_unit: EnvironmentFile {file} missing")
    found = {}
    for line in file.read_text().splitlines():
        line = line.strip()
        if line and not line.startswith(("#", ";")) and "=" in line:
            key, _, value = line.partition("=")
            found[key.strip()] = value.strip().strip('"')
    return found


def environment(keys: dict[str, list[str]], user: pwd.struct_passwd) -> dict[str, str]:
    env = {
        "PATH": "/usr/local/bin:/usr/bin:/bin",
        "LANG": "C.UTF-8",
        "HOME": user.pw_dir,
        "USER": user.pw_name,
        "LOGNAME": user.pw_name,
    }
    for assignment in keys.get("Environment", []):
        for pair in shlex.split(assignment):
            key, _, value = pair.partition("=")
            env[key] = value
    for path in keys.get("EnvironmentFile", []):
        env.update(env_file(path))
    return env


def make_dirs(keys: dict[str, list[str]], user: pwd.struct_passwd, gid: int) -> None:
    for key, base in (("StateDirectory", "/var/lib"), ("LogsDirectory", "/var/log")):
        mode = int(keys.get(key + "Mode", ["0755"])[-1], 8)
        for name in " ".join(keys.get(key, [])).split():
            path = Path(base) / name
            path.mkdir(parents=True, exist_ok=True)
            os.chown(path, user.pw_uid, gid)
            path.chmod(mode)


def main(unit: str, instance: str = "") -> None:
    keys = parse(Path(unit), instance)
    user = pwd.getpwnam(keys["User"][-1])
    gid = grp.getgrnam(keys["Group"][-1]).gr_gid if "Group" in keys else user.pw_gid
    env = environment(keys, user)
    make_dirs(keys, user, gid)
    os.chdir(keys.get("WorkingDirectory", ["/"])[-1])
    os.umask(int(keys.get("UMask", ["0022"])[-1], 8))
    os.setgroups([])
    os.setgid(gid)
    os.setuid(user.pw_uid)
    argv = shlex.split(keys["ExecStart"][-1].lstrip("-@:+!"))
    print(f"run_unit: {Path(unit).name} as {user.pw_name}: {' '.join(argv)}", flush=True)
    os.execve(argv[0], argv, env)


if __name__ == "__main__":
    main(*sys.argv[1:])
