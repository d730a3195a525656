"""The report layer: what a report publishes, and the disclosure control applied to it.

One direction of flow (``docs/reports.md``)::

    ReportContext (fixed once per authority)
      -> sections (one function per report section) -> Table / figures
      -> protect (primary + secondary suppression over every relation, checked by
         the intruder audit of :mod:`pace_analysis.audit`)
      -> the notebook only displays what sections return.
"""

from pace_analysis.report.context import ReportContext
from pace_analysis.report.protect import protect_tables
from pace_analysis.report.table import Column, Table

__all__ = ["ReportContext", "Column", "Table", "protect_tables"]
