"""``piiscan eval``: detection quality against labelled corpora, side by side with the baseline.

GUIDE section 5 judges piiscan by precision, recall and F1 per entity type, verdict accuracy
and false alarms on clean files, against plain Presidio on plain Tesseract output.
"""
