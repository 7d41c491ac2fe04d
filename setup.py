"""Ships the study record inside the wheel without keeping a second copy of it in the repository.

`codebooks/` and `corpus/` stay the user-facing folders of a checkout; building a wheel copies the shipped
codebooks, the 2015 report record, the training transcripts and the toy schools study into `casecode/data/`, where
`casecode._data.data_root()` finds them when casecode runs from an installed package.
"""

import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

ROOT = Path(__file__).resolve().parent
#: Folders of the repository that an installed casecode needs, copied to casecode/data/<the same path>.
SHIPPED = ["codebooks", "corpus/2015-solace", "corpus/training-transcripts", "corpus/schools-demo"]


class BuildWithStudyData(build_py):
    def run(self):
        super().run()
        if getattr(self, "editable_mode", False):  # an editable install reads the checkout's own folders
            return
        target = Path(self.build_lib) / "casecode" / "data"
        for top in {folder.split("/")[0] for folder in SHIPPED}:  # a build folder left from an earlier build
            shutil.rmtree(target / top, ignore_errors=True)  # must not ship what SHIPPED no longer names
        for folder in SHIPPED:
            for source in sorted((ROOT / folder).rglob("*")):
                if source.is_file() and "__pycache__" not in source.parts:
                    dest = target / source.relative_to(ROOT)
                    dest.parent.mkdir(parents=True, exist_ok=True)
                    shutil.copy2(source, dest)


setup(cmdclass={"build_py": BuildWithStudyData})
