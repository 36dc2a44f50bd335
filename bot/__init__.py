"""Flickr → Wikimedia Commons structured-data backfill bot."""

__version__ = "0.1.0"
