"""Size of each built artifact under .aws-sam/build: unpacked, and zipped as `sam deploy` uploads
it (deflate). Lambda's limits: 250 MB unzipped for a function and all its layers, 50 MB zipped
per direct upload (sam deploy goes through S3, where the zipped limit doesn't apply).

Usage: python scripts/build_sizes.py [BUILD_DIR]   (stdlib only: runs with any Python 3)
"""

from __future__ import annotations

import io
import os
import sys
import zipfile
from pathlib import Path

KB, MB = 1024, 1024 * 1024


def human(size: int) -> str:
    return f"{size / MB:.1f} MB" if size >= MB else f"{size / KB:.1f} KB"


def sizes(folder: Path) -> tuple[int, int]:
    unpacked, buffer = 0, io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for path in sorted(folder.rglob("*")):
            if path.is_file():
                unpacked += path.stat().st_size
                archive.write(path, path.relative_to(folder))
    return unpacked, buffer.tell()


def main() -> int:
    build = Path(sys.argv[1] if len(sys.argv) > 1 else ".aws-sam/build")
    artifacts = sorted(p for p in build.iterdir() if p.is_dir())
    if not artifacts:
        print(f"nothing built in {build}", file=sys.stderr)
        return 1
    print(f"{'artifact':24} {'unzipped':>10} {'zipped':>10}")
    for folder in artifacts:
        unpacked, zipped = sizes(folder)
        print(f"{folder.name:24} {human(unpacked):>10} {human(zipped):>10}")
    return 0


if __name__ == "__main__":
    os.environ.setdefault("PYTHONDONTWRITEBYTECODE", "1")
    sys.exit(main())
