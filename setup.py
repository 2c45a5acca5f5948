"""Build step the declarative config cannot express: compile the catalogues into the wheel.

``python -m build`` compiles every ``app/translations/*/LC_MESSAGES/messages.po``
into ``messages.mo`` inside the build folder, so a release always carries
current catalogues whatever lies (or does not lie) in the checkout. An
editable install (``pip install -e``) reads the checkout, where
``make translations-compile`` builds them.
"""

from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from setuptools import setup
from setuptools.command.build_py import build_py

TRANSLATIONS = Path("app") / "translations"


class BuildWithCatalogues(build_py):
    def run(self) -> None:
        super().run()
        if getattr(self, "editable_mode", False):
            return
        for source in sorted(TRANSLATIONS.glob("*/LC_MESSAGES/messages.po")):
            target = Path(self.build_lib) / source.with_suffix(".mo")
            target.parent.mkdir(parents=True, exist_ok=True)
            with source.open("rb") as po_file:
                catalogue = read_po(po_file, locale=source.parts[-3])
            with target.open("wb") as mo_file:
                write_mo(mo_file, catalogue)


setup(cmdclass={"build_py": BuildWithCatalogues})
