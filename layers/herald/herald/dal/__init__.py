"""Data access: the only package (with herald.channels) that talks to AWS.

pynamodb models stay private to this package; callers get domain objects and plain dicts.
"""
