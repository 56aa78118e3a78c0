"""Signals accounts sends, for the apps built on it to act on without accounts knowing them."""

from django.dispatch import Signal

# A person downloaded their own data (/me/data/download/): sent with user=, after the file is
# made. deliberation records it in the audit log.
personal_data_exported = Signal()
