"""Licences of the Python distributions SiteSpeak bundles, read from their installed metadata.

Each distribution's licence comes from its metadata: ``License-Expression`` (SPDX), else a short
``License`` field, else its ``License ::`` classifiers; free-text spellings are mapped to SPDX
ids. A licence is accepted when every part an ``AND`` needs (one alternative of an ``OR``) is in
REVIEWED. A distribution whose metadata says nothing usable must be in EXCEPTIONS, with the
licence a person read in its source and why. Anything else is unknown and fails the check, so a
new dependency gets reviewed before it ships.

Usage: python3 licences.py check SITE_PACKAGES              (exit 1 on an unknown licence)
       python3 licences.py copyright TEMPLATE SITE_PACKAGES (debian/copyright: the template with
                                                             a Files stanza per distribution)
"""

from __future__ import annotations

import importlib.metadata as metadata
import re
import sys
from dataclasses import dataclass
from pathlib import Path

# Licences reviewed for shipping inside the .deb (SPDX ids). GPL-3.0-or-later: piper-tts, which
# embeds espeak-ng; the .deb as a whole is distributed under its terms (packaging/README.md).
REVIEWED = {
    "0BSD",
    "Apache-2.0",
    "BSD-2-Clause",
    "BSD-3-Clause",
    "CC0-1.0",
    "CNRI-Python",
    "GPL-3.0-or-later",
    "ISC",
    "LGPL-2.1-or-later",
    "LGPL-3.0-or-later",
    "MIT",
    "MIT-0",
    "MPL-1.1",
    "MPL-2.0",
    "PSF-2.0",
    "Zlib",
}

# Distributions whose metadata names no licence, or only an ambiguous classifier ("BSD License"):
# the licence read in their source, and where.
EXCEPTIONS = {
    "huey": ("MIT", "no licence metadata; LICENSE in the huey repository is MIT"),
    "peewee": ("MIT", "no licence metadata; LICENSE in the peewee repository is MIT"),
    "itsdangerous": ("BSD-3-Clause", "classifier 'BSD License'; its LICENSE.txt is BSD-3-Clause"),
    "jinja2": ("BSD-3-Clause", "classifier 'BSD License'; its LICENSE.txt is BSD-3-Clause"),
    "psycopg2-binary": (
        "LGPL-3.0-or-later",
        "License field 'LGPL with exceptions'; its LICENSE is LGPL-3.0-or-later plus an OpenSSL "
        "linking exception (dev extra only: the .deb uses Debian's python3-psycopg2)",
    ),
}

# Free-text License fields and classifiers, as distributions write them, to SPDX ids.
SPELLINGS = {
    "mit": "MIT",
    "mit license": "MIT",
    "the mit license (mit)": "MIT",
    "apache 2.0": "Apache-2.0",
    "apache software license": "Apache-2.0",
    "apache license 2.0": "Apache-2.0",
    "3-clause bsd license": "BSD-3-Clause",
    "the bsd 2-clause license": "BSD-2-Clause",
    "mozilla public license 2.0 (mpl 2.0)": "MPL-2.0",
    "isc license (iscl)": "ISC",
}

SPDX_ID = re.compile(r"^[A-Za-z0-9.+-]+$")


@dataclass(frozen=True)
class Licence:
    distribution: str
    expression: str  # SPDX, or "" when the metadata says nothing usable
    source: str  # where it came from: License-Expression, License, classifier, exception

    @property
    def known(self) -> bool:
        return bool(self.expression) and accepted(self.expression)


def accepted(expression: str) -> bool:
    """Every AND part accepted; of an OR, one alternative (no parentheses in what we ship)."""
    return all(
        any(alt.strip() in REVIEWED for alt in part.split(" OR "))
        for part in expression.strip("()").split(" AND ")
    )


def _spdx(text: str) -> str:
    text = text.strip()
    if text.lower() in SPELLINGS:
        return SPELLINGS[text.lower()]
    words = re.split(r" (AND|OR) ", text)
    if all(SPDX_ID.match(w) for w in words[::2]):
        return text
    return ""


def licence_of(dist: metadata.Distribution) -> Licence:
    name = canonical(dist.metadata["Name"])
    if name in EXCEPTIONS:
        return Licence(name, EXCEPTIONS[name][0], "reviewed exception")
    meta = dist.metadata
    if meta.get("License-Expression"):
        return Licence(name, meta["License-Expression"].strip(), "License-Expression")
    field = (meta.get("License") or "").strip()
    if field and "\n" not in field and _spdx(field):
        return Licence(name, _spdx(field), "License")
    classifiers = [c.split(" :: ")[-1] for c in meta.get_all("Classifier") or [] if "License" in c]
    ids = [SPELLINGS.get(c.lower(), "") for c in classifiers if c != "OSI Approved"]
    if ids and all(ids):
        return Licence(name, " OR ".join(sorted(set(ids))), "classifier")
    return Licence(name, "", "nothing usable in the metadata")


def canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def distributions(site: Path) -> list[metadata.Distribution]:
    found = {canonical(d.metadata["Name"]): d for d in metadata.distributions(path=[str(site)])}
    return [found[name] for name in sorted(found)]


def top_level(dist: metadata.Distribution) -> list[str]:
    """The names a distribution installs at the top of site-packages (its Files patterns)."""
    names = set()
    for file in dist.files or []:
        first = file.parts[0]
        if first in ("..", "__pycache__") or first.endswith(".pth"):
            continue
        names.add(first[:-3] if first.endswith(".py") else first)
    return sorted(names)


def check(site: Path) -> int:
    unknown = [lic for lic in map(licence_of, distributions(site)) if not lic.known]
    for lic in unknown:
        print(
            f"licences: {lic.distribution}: licence unknown or not reviewed "
            f"({lic.expression or lic.source}); review it, then add it to REVIEWED or "
            "EXCEPTIONS in packaging/licences.py",
            file=sys.stderr,
        )
    return 1 if unknown else 0


def copyright_stanzas(site: Path, prefix: str) -> str:
    stanzas = []
    for dist in distributions(site):
        lic = licence_of(dist)
        if lic.distribution == "sitespeak":
            continue
        files = " ".join(
            f"{prefix}/{name}" + ("" if "." in name else "*") for name in top_level(dist)
        )
        stanzas.append(
            f"Files: {files}\n"
            f"Copyright: the authors of {dist.metadata['Name']} {dist.version}\n"
            f"License: {lic.expression.replace(' AND ', ' and ').replace(' OR ', ' or ')}\n"
            f"Comment: from {lic.source}; full text in "
            f"{prefix}/{dist.metadata['Name'].replace('-', '_')}-{dist.version}.dist-info"
        )
    return "\n\n".join(stanzas) + "\n"


def copyright_file(template: Path, site: Path) -> str:
    prefix = "usr/lib/sitespeak/lib/python3.11/site-packages"
    return template.read_text().replace("@BUNDLED@\n", copyright_stanzas(site, prefix))


if __name__ == "__main__":
    if sys.argv[1] == "check":
        raise SystemExit(check(Path(sys.argv[2])))
    print(copyright_file(Path(sys.argv[2]), Path(sys.argv[3])), end="")
