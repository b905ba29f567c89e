"""Everything is in pyproject.toml; this only compiles the gettext catalogs when the kit is
built or installed: kit/locale/<lang>/LC_MESSAGES/kit.po -> kit.mo (as `pybabel compile`)."""

from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py


class BuildWithCatalogs(build_py):
    def run(self):
        from babel.messages.mofile import write_mo
        from babel.messages.pofile import read_po

        for po in Path(__file__).parent.glob("kit/locale/*/LC_MESSAGES/kit.po"):
            with po.open("rb") as f:
                catalog = read_po(f, locale=po.parent.parent.name)
            with po.with_suffix(".mo").open("wb") as f:
                write_mo(f, catalog)
        super().run()


setup(cmdclass={"build_py": BuildWithCatalogs})
