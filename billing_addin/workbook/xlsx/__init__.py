"""Pieces of the safe workbook writer: zip parts, package relationships, sheet XML, styles, charts.

The public entry point is `billing_addin.workbook.writer.apply_patch`; these modules are its parts.
"""
