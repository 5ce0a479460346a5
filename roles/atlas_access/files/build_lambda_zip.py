"""Build the sync Lambda's zip deterministically (fixed timestamps and modes, sorted names).

    build_lambda_zip.py OUT.zip FILE...

The same sources always give the same bytes, so amazon.aws.lambda sees an unchanged CodeSha256 and
the role stays idempotent. Prints "changed" when OUT.zip was (re)written, "unchanged" otherwise.
"""

import io
import os
import sys
import zipfile


def build(files):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for path in sorted(files, key=os.path.basename):
            info = zipfile.ZipInfo(os.path.basename(path), date_time=(1980, 1, 1, 0, 0, 0))
            info.external_attr = 0o644 << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            with open(path, "rb") as handle:
                archive.writestr(info, handle.read())
    return buffer.getvalue()


def main(argv):
    if len(argv) < 3:
        sys.stderr.write(__doc__)
        return 2
    out, files = argv[1], argv[2:]
    data = build(files)
    try:
        with open(out, "rb") as handle:
            if handle.read() == data:
                sys.stdout.write("unchanged\n")
                return 0
    except OSError:
        pass
    os.makedirs(os.path.dirname(os.path.abspath(out)), exist_ok=True)
    with open(out, "wb") as handle:
        handle.write(data)
    sys.stdout.write("changed\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
