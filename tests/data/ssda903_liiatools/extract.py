"""Write tests/data/ssda903_liiatools/extract.yaml from liiatools' SSDA903 schemas.

Run once by hand (not by the tests), with liiatools' sdist unpacked::

    pip download --no-deps --no-binary :all: liiatools==0.1.5.2
    tar xzf liiatools-0.1.5.2.tar.gz
    python tests/data/ssda903_liiatools/extract.py liiatools-0.1.5.2/liiatools/spec/s903

liiatools names a schema by the year its return ends, so ``SSDA903_schema_2018.yml``
holds the lists of the 2017/18 return.
"""

from __future__ import annotations

import sys
from pathlib import Path

import yaml

HEAD = """\
# SSDA903 Episodes code lists extracted from liiatools (Social Finance Digital Labs).
#
# Source: PyPI sdist liiatools==0.1.5.2 (the lists are identical in liiatools 0.2.0),
# liiatools/spec/s903/SSDA903_schema_<YEAR>.yml, key column_map.Episodes.<COLUMN>.category.
# Licence: MIT, Copyright (c) 2022 Social Finance Digital Labs (the package's LICENSE).
# A schema is named by the year its return ends: SSDA903_schema_2018.yml is 2017/18.
# Only the four coded columns the importer checks are kept, each list sorted. Written by
# tests/data/ssda903_liiatools/extract.py; tests/test_importers_ssda903_codes.py checks
# pace_analysis/importers/ssda903_codes.yaml against it.
source: liiatools 0.1.5.2 (MIT), liiatools/spec/s903/SSDA903_schema_YYYY.yml
years:
"""


def main(spec: Path) -> None:
    out = [HEAD]
    for end in range(2017, 2025):
        name = f"SSDA903_schema_{end}.yml"
        episodes = yaml.safe_load((spec / name).read_text())["column_map"]["Episodes"]
        out.append(f'  "{end - 1}/{end % 100:02d}":  # {name}\n')
        for col in ("RNE", "LS", "PLACE", "REC"):
            codes = sorted(str(c["code"]) for c in episodes[col]["category"])
            out.append(f"    {col}: [{', '.join(codes)}]\n")
    Path(__file__).with_suffix(".yaml").write_text("".join(out))


if __name__ == "__main__":
    main(Path(sys.argv[1]))
