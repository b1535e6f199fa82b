"""``make bench``: ratios measured in one run on the same inputs, ending in one JSON line.

Not a test: timings vary by machine, so only ratios taken side by side mean much.
Run: ``.venv/bin/python -m piiscan.bench [--repeat N]``.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from piiscan.scanner.ocr import find_tessdata
from piiscan.scanner.pipeline import Scanner
from piiscan.settings import Settings
from piiscan.synth.render import image_bytes, td3_mrz, text_image, text_pdf

LETTER = [
    "Margaret Whitfield",
    "742 Evergreen Terrace",
    "Springfield, IL 62704",
    "",
    "Dear Mr. Thompson,",
    "",
    "Thank you for your letter of 3 March. As agreed on the phone, I am sending",
    "the signed lease together with the deposit receipt. Please call me on",
    "(217) 555-0147 or write to margaret.whitfield@example.com if anything is",
    "missing. The payment was made from the account DE89 3704 0044 0532 0130 00.",
    "",
    *["The tenant shall keep the premises in good order and return them in the same condition." for _ in range(20)],
    "",
    "Kind regards,",
    "Margaret Whitfield",
]


CONTRACT_PAGE = [
    "TENANCY AGREEMENT - SCHEDULE 2",
    "This agreement is made on 3 March 2026 between Margaret Whitfield (the Landlord)",
    "of 742 Evergreen Terrace, Springfield, IL 62704 and Daniel Okafor (the Tenant).",
    "The Tenant may be reached on (217) 555-0147 or at daniel.okafor@example.com.",
    "",
    *[
        line
        for clause in range(1, 9)
        for line in (
            f"{clause}. The tenant shall keep the premises in good and clean condition and shall",
            "return them at the end of the term in the same state, fair wear and tear excepted.",
            f"   The rent of 1,{clause}50.00 per month is payable in advance on the first day of each",
            "   month by transfer to the account named by the landlord in writing.",
        )
    ],
    "Signed for the Landlord by Margaret Whitfield in the presence of Sarah Connor.",
    "Page 2 of 7",
]


def inputs(out: Path) -> dict[str, Path]:
    l1, l2 = td3_mrz("HARTMANN", "LUKAS", "C4X9R2LT7", "UTO", "850316", "M", "310915")
    images = {
        "a4-letter-200dpi.png": text_image(LETTER, width=1654, height=2339, font_size=26, margin=120),
        "screenshot.png": text_image(
            ["tom88: thats Peter Novak, 18 Maple Avenue, Oakland, CA 94610", "tom88: (510) 555-0182"],
            width=1300,
            font_size=26,
        ),
        "passport.png": text_image(["PASSPORT", "HARTMANN LUKAS", "", l1, l2], width=1400, font_size=30, mono=True),
    }
    paths = {}
    for name, image in images.items():
        path = out / name
        path.write_bytes(image_bytes(image))
        paths[name] = path
    return paths


def time_tesseract_cli(path: Path, repeat: int) -> float:
    env = {**os.environ, "OMP_THREAD_LIMIT": "1"}
    tessdata = find_tessdata()
    cmd = ["tesseract", str(path), "stdout", "-l", "eng"]
    if tessdata:
        cmd += ["--tessdata-dir", tessdata]
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        subprocess.run(cmd, check=True, capture_output=True, env=env)
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def time_scan(scanner: Scanner, path: Path, repeat: int) -> float:
    data = path.read_bytes()
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        scanner.scan(data, path.name)
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--pdf-pages", type=int, default=200)
    args = parser.parse_args(argv)

    scanner = Scanner(Settings())
    scanner.warm_up()
    with tempfile.TemporaryDirectory() as tmp:
        paths = inputs(Path(tmp))
        print(f"{'image':24} {'tesseract s':>12} {'piiscan s':>10} {'ratio':>7}")
        cli_total = scan_total = 0.0
        for name, path in paths.items():
            scanner.scan(path.read_bytes(), name)  # first call pays one-off set-up
            cli = time_tesseract_cli(path, args.repeat)
            scan = time_scan(scanner, path, args.repeat)
            cli_total += cli
            scan_total += scan
            print(f"{name:24} {cli:12.3f} {scan:10.3f} {scan / cli:7.2f}")
        ratio = scan_total / cli_total
        print(f"{'all images':24} {cli_total:12.3f} {scan_total:10.3f} {ratio:7.2f}")

        pdf = text_pdf([CONTRACT_PAGE] * args.pdf_pages)
        scanner.scan(text_pdf([CONTRACT_PAGE]), "warm.pdf")
        started = time.perf_counter()
        result = scanner.scan(pdf, "pages.pdf").result
        elapsed = time.perf_counter() - started
        assert result.pages == args.pdf_pages, result.error
        pages_per_s = args.pdf_pages / elapsed
        print(f"text-layer PDF: {args.pdf_pages} pages in {elapsed:.2f} s = {pages_per_s:.0f} pages/s")

    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak RSS: {peak_mb:.0f} MB")
    print(f"command: {' '.join([sys.executable, '-m', 'piiscan.bench', *(argv or sys.argv[1:])])}")
    print(
        json.dumps(
            {
                "ocr_overhead_ratio": round(ratio, 3),
                "text_pdf_pages_per_s": round(pages_per_s, 1),
                "peak_rss_mb": round(peak_mb, 1),
            }
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
