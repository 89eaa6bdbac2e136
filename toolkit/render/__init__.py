"""Renderers only read a :class:`~toolkit.findings.Report`; they never decide anything."""
