"""pinner: pin container image references to content digests."""

__version__ = "0.1.0"
