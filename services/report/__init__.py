"""The findings list and the report people hand on: data built from the analysis, and its
HTML and Markdown renderers. No Textual import here."""

from acrfence.services.report.data import Access, ReportData, build_report, report_to_json

__all__ = ["Access", "ReportData", "build_report", "report_to_json"]
