"""piiscan: scans uploads for personal data and abusive or illegal content.

Native libraries run single-threaded by default: piiscan parallelises by process
(Celery workers, pages), and on 2 cores Tesseract's OpenMP threads made it 2.7
times slower. Set the variables before starting piiscan to override.
"""

import os

os.environ.setdefault("OMP_THREAD_LIMIT", "1")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
