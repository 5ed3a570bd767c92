"""The admin use cases: versioned rules and contents, the contact policy, preview, simulation,
audit and timelines, plus the HTTP edge shared by the admin and ingest functions.

Modules here take a :class:`~herald.admin.users.User` and plain documents, check roles and
validate, and call ``herald.dal``. Nothing is imported here so a function pays only for the
modules it uses.
"""
