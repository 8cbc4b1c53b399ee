"""Resolvers turn an image reference into the digest its tag points to."""
