"""Copies ontology/, shapes/, queries/ and the default organisation aliases
(data/organizations.yaml) into the package when a wheel is built, so that a non-editable install
finds them under graph/_resources/ (see graph/constants.py)."""

import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

ROOT = Path(__file__).resolve().parent
RESOURCES = ("ontology", "shapes", "queries")


class BuildWithResources(build_py):
    def run(self) -> None:
        super().run()
        target = Path(self.build_lib) / "graph" / "_resources"
        for name in RESOURCES:
            dest = target / name
            if dest.exists():
                shutil.rmtree(dest)
            shutil.copytree(ROOT / name, dest)
        # the default organisation aliases (graph/constants.py DEFAULT_ORGS_FILE)
        shutil.copy2(ROOT / "data" / "organizations.yaml", target / "organizations.yaml")


setup(cmdclass={"build_py": BuildWithResources})
