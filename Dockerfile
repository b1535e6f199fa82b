# One image for the api, worker and beat services of docker-compose.yml.
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    OMP_THREAD_LIMIT=1

# Tesseract with the languages piiscan reads (eng deu fra spa; mar ukr chi_tra for the names identity documents
# print in Devanagari, Cyrillic or Chinese), and a font for rendered pages.
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      tesseract-ocr tesseract-ocr-eng tesseract-ocr-deu tesseract-ocr-fra tesseract-ocr-spa \
      tesseract-ocr-mar tesseract-ocr-ukr tesseract-ocr-chi-tra \
      fonts-dejavu-core \
 && rm -rf /var/lib/apt/lists/*

WORKDIR /app
COPY pyproject.toml README.md ./
COPY piiscan ./piiscan
RUN pip install . \
 && useradd --system --create-home --home-dir /home/piiscan --uid 10001 piiscan

USER piiscan
WORKDIR /home/piiscan
EXPOSE 8000
CMD ["piiscan", "serve", "--host", "0.0.0.0", "--port", "8000"]
