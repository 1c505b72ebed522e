#!/usr/bin/python3
"""pngcheck.py PNG...: each file must be a PNG that matplotlib reads back (matplotlib.image.imread)
and not blank: its pixels must vary (variance > 0 over all channels). Exit 1 naming the first
file that fails."""
import sys

import matplotlib
matplotlib.use("Agg")
import matplotlib.image as mpimg  # noqa: E402

if len(sys.argv) < 2:
    sys.exit("usage: pngcheck.py PNG...")
for path in sys.argv[1:]:
    with open(path, "rb") as fh:
        if fh.read(8) != b"\x89PNG\r\n\x1a\n":
            sys.exit(f"FAIL {path}: no PNG signature")
    img = mpimg.imread(path)
    if img.ndim != 3 or img.shape[0] < 100 or img.shape[1] < 100:
        sys.exit(f"FAIL {path}: image of shape {img.shape}")
    var = float(img[..., :3].var())
    if not var > 0:
        sys.exit(f"FAIL {path}: blank (pixel variance {var})")
    print(f"ok   {path}: {img.shape[1]} x {img.shape[0]}, pixel variance {var:.4g}")
