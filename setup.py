"""Ships the study record inside the wheel without keeping a second copy of it in the repository.

`codebooks/` and `corpus/` stay the user-facing folders of a checkout; building a wheel copies the shipped
codebooks, the 2015 report record and the training transcripts into `casecode/data/`, where
`casecode._data.data_root()` finds them when casecode runs from an installed package.
"""

import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

ROOT = Path(__file__).resolve().parent
#: Folders of the repository that an installed casecode needs, copied to casecode/data/<the same path>.
SHIPPED = ["codebooks", "corpus/2015-solace", "corpus/training-transcripts"]


class BuildWithStudyData(build_py):
    def run(self):
        super().run()
        if getattr(self, "editable_mode", False):  # an editable install reads the checkout's own folders
            return
        target = Path(self.build_lib) / "casecode" / "data"
        for folder in SHIPPED:
            for source in sorted((ROOT / folder).rglob("*")):
                if source.is_file() and "__pycache__" not in source.parts:
                    dest = target / source.relative_to(ROOT)
                    dest.parent.mkdir(parents=True, exist_ok=True)
                    shutil.copy2(source, dest)


setup(cmdclass={"build_py": BuildWithStudyData})
