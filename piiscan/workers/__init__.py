"""Celery workers: fetch an object from storage, scan it, persist the masked verdict, send the webhook.

Task messages carry ids only (a scan id, a delivery id), never values; everything else is read
from the database, so nothing personal sits in the broker.
"""
