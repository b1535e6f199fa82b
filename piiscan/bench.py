"""``make bench``: the figures of issue #9 measured in one run on the same inputs, ending in one JSON line.

Not a test: timings vary by machine, so only ratios taken side by side mean much. Sections:
piiscan against the ``tesseract`` command and against presidio-image-redactor on the same
images; text-layer PDF pages per wall and per CPU second; memory over 500 scans; uploads
per minute end to end with 1 and 2 worker processes (:mod:`piiscan.perf.load`, the harness
of ``make load``); a rescan of identical bytes. ``--skip-service`` leaves out the parts that
need PostgreSQL and Redis.
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

from piiscan.perf.image_compare import compare
from piiscan.perf.inputs import contract_pages, uploads
from piiscan.scanner.ocr import find_tessdata
from piiscan.scanner.pipeline import Scanner
from piiscan.scanner.reuse import ResultCache
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


def rss_mb() -> float:
    """This process's resident memory now (VmRSS), in MB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def text_pdf_speed(scanner: Scanner, pages: int) -> tuple[float, float]:
    """Pages per wall second and per CPU second of this process (one core) on a distinct-page PDF."""
    scanner.scan(text_pdf(contract_pages(3, seed=99)), "warm.pdf")
    pdf = text_pdf(contract_pages(pages, seed=1))
    cpu, wall = time.process_time(), time.perf_counter()
    result = scanner.scan(pdf, "pages.pdf").result
    cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
    assert result.pages == pages, result.error
    return pages / wall, pages / cpu


def inprocess_rescan_ms(scanner: Scanner, repeat: int = 5) -> float:
    """Median time of ``Scanner.scan`` on bytes it scanned before, with the CLI's result cache."""
    cached = Scanner(scanner.settings, detector=scanner.detector, rules=scanner.rules, results=ResultCache())
    name, data = next(iter(uploads(1, seed=11)))
    cached.scan(data, name)
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        result = cached.scan(data, name).result
        times.append(time.perf_counter() - started)
        assert result.verdict != "error", result.error
    assert cached.results is not None and cached.results.hits == repeat
    return statistics.median(times) * 1000


def memory_over_scans(scanner: Scanner, scans: int) -> list[tuple[int, float]]:
    """RSS after the 1st scan and every hundredth of ``scans`` distinct uploads (images and PDFs)."""
    marks = []
    for index, (name, data) in enumerate(uploads(scans, seed=500), start=1):
        result = scanner.scan(data, name).result
        assert result.verdict != "error", result.error
        if index == 1 or index % 100 == 0 or index == scans:
            marks.append((index, rss_mb()))
    return marks


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--pdf-pages", type=int, default=200)
    parser.add_argument("--memory-scans", type=int, default=500)
    parser.add_argument("--load-uploads", type=int, default=30, help="uploads per end-to-end run")
    parser.add_argument("--compare-per-kind", type=int, default=2, help="synthetic images per kind")
    parser.add_argument("--skip-service", action="store_true", help="no end-to-end runs (no PostgreSQL/Redis)")
    args = parser.parse_args(argv)
    command = " ".join([sys.executable, "-m", "piiscan.bench", *(argv if argv is not None else sys.argv[1:])])
    figures: dict[str, float | int | bool | None] = {}

    scanner = Scanner(Settings())
    scanner.warm_up()
    print(f"# all figures: {command}")
    with tempfile.TemporaryDirectory() as tmp:
        paths = inputs(Path(tmp))
        print("\n## piiscan scan vs the `tesseract` command on the same image (medians)")
        print(f"{'image':24} {'tesseract s':>12} {'piiscan s':>10} {'ratio':>7}")
        cli_total = scan_total = 0.0
        for name, path in paths.items():
            scanner.scan(path.read_bytes(), name)  # first call pays one-off set-up
            cli = time_tesseract_cli(path, args.repeat)
            scan = time_scan(scanner, path, args.repeat)
            cli_total += cli
            scan_total += scan
            print(f"{name:24} {cli:12.3f} {scan:10.3f} {scan / cli:7.2f}")
        figures["ocr_overhead_ratio"] = round(scan_total / cli_total, 3)
        print(f"{'all images':24} {cli_total:12.3f} {scan_total:10.3f} {scan_total / cli_total:7.2f}")

    print("\n## piiscan vs presidio-image-redactor ImageAnalyzerEngine (same labelled synthetic images)")
    comparison = compare(scanner, n_per_kind=args.compare_per_kind)
    print(f"{comparison.images} English images of the synthetic corpus (piiscan.synth.corpus, seed 7)")
    print(comparison.piiscan.line("piiscan scan"))
    print(comparison.presidio.line("ImageAnalyzerEngine"))
    figures["vs_presidio_image_ratio"] = round(comparison.time_ratio, 3)
    figures["piiscan_image_f1"] = round(comparison.piiscan.counts.f1 or 0, 3)
    figures["presidio_image_f1"] = round(comparison.presidio.counts.f1 or 0, 3)
    print(f"time ratio piiscan / presidio: {comparison.time_ratio:.2f}")

    print(f"\n## text-layer PDF, {args.pdf_pages} distinct pages (Faker), one process")
    wall_rate, cpu_rate = text_pdf_speed(scanner, args.pdf_pages)
    figures["text_pdf_pages_per_s"] = round(wall_rate, 1)
    figures["text_pdf_pages_per_cpu_s"] = round(cpu_rate, 1)
    print(f"{wall_rate:.0f} pages per wall second, {cpu_rate:.0f} pages per CPU second (one core)")

    print("\n## rescan of identical bytes in-process (CLI and library path: Scanner(results=ResultCache()))")
    figures["rescan_inprocess_ms"] = round(inprocess_rescan_ms(scanner), 2)
    print(f"median {figures['rescan_inprocess_ms']} ms (SHA-256 of the bytes, look-up, copy of the result)")

    print(f"\n## memory over {args.memory_scans} scans of distinct uploads in one process")
    marks = memory_over_scans(scanner, args.memory_scans)
    print("  ".join(f"after {n}: {mb:.0f} MB" for n, mb in marks))
    figures["rss_first_mb"] = round(marks[0][1], 1)
    figures["rss_last_mb"] = round(marks[-1][1], 1)
    figures["scanner_peak_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)

    if not args.skip_service:
        service_figures(scanner, args.load_uploads, figures)
    print(f"\ncommand: {command}")
    print(json.dumps(figures))
    return 0


def service_figures(scanner: Scanner, n: int, figures: dict[str, float | int | bool | None]) -> None:
    from piiscan.perf import rescan
    from piiscan.perf.load import environment, load

    print(f"\n## end to end through the hook: {n} distinct uploads (chat PNGs, letter PNGs, 3-page PDFs)")
    print("API in-process, moto S3 on loopback, PostgreSQL schema and Redis queue of its own, `piiscan worker`")
    batch = list(uploads(n, seed=11))
    with tempfile.TemporaryDirectory() as tmp, environment(Path(tmp)) as env:
        peaks: list[float] = []
        for workers in (1, 2):
            result, rss = load(env, batch if workers == 1 else list(uploads(n, seed=22)), workers)
            print(result.summary())
            print(f"   peak RSS per worker process: {', '.join(f'{r:.0f} MB' for r in rss)}")
            figures[f"uploads_per_min_{workers}w"] = round(result.per_minute, 1)
            figures[f"exactly_once_{workers}w"] = result.exactly_once
            peaks.extend(rss)
        one, two = figures["uploads_per_min_1w"], figures["uploads_per_min_2w"]
        if isinstance(one, float) and isinstance(two, float) and one:
            figures["scaling_2w_over_1w"] = round(two / one, 2)
            print(f"scaling 2 workers / 1 worker: {two / one:.2f}")
        figures["peak_rss_mb"] = round(max(peaks, default=0.0), 1)

        print("\n## rescan of identical bytes through jobs.run_scan (PostgreSQL, moto S3 on loopback), medians")
        fast = rescan.measure(env, batch[0][1], scanner, repeat=15, checksum=True)
        print(
            f"uploaded with a SHA-256 checksum (kept by the hook's HEAD; one transaction, no request to the store): "
            f"{fast.total_ms:.1f} ms; outcomes {fast.outcomes}"
        )
        headed = rescan.measure(env, batch[0][1], scanner, repeat=15, checksum=True, hook_hash=False)
        print(
            f"same, a row without the hook's hash (the worker's own HEAD): {headed.total_ms:.1f} ms, of which "
            f"the store's HEAD alone {headed.head_ms:.1f} ms; outcomes {headed.outcomes}"
        )
        slow = rescan.measure(env, batch[0][1], scanner, repeat=15, checksum=False)
        print(
            f"uploaded without one (SDK default CRC32: download and hash): {slow.total_ms:.1f} ms, of which "
            f"download {slow.download_ms:.1f} ms, reuse {slow.reuse_ms:.1f} ms; outcomes {slow.outcomes}"
        )
        # rescan_ms: the path of a platform that uploads with ChecksumAlgorithm=SHA256 (README)
        figures["rescan_ms"] = round(fast.total_ms, 1)
        figures["rescan_head_ms"] = round(headed.head_ms, 1)
        figures["rescan_head_path_ms"] = round(headed.total_ms, 1)
        figures["rescan_download_path_ms"] = round(slow.total_ms, 1)
        figures["rescan_reuse_ms"] = round(slow.reuse_ms, 1)


if __name__ == "__main__":
    sys.exit(main())
