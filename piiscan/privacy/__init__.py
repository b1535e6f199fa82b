"""piiscan's own privacy: keyed hashes of evidence and identities, and a log redaction filter.

Pure code (no database): :mod:`piiscan.privacy.keys` turns a value into the keyed hash the store
keeps instead of it; :mod:`piiscan.privacy.logs` masks what slipped into a log line anyway.
"""
