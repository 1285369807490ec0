"""Write generated sheets straight into the .xlsx / .xlsm package (zip), one module per part:
``package`` (zip container), ``workbook_xml`` (workbook, relationships, content types),
``styles``, ``worksheet_xml``, ``drawing_xml``, ``chart_xml``; ``writer`` ties them together."""

from .writer import frame_block, new_workbook, write_report, write_tables

__all__ = ["frame_block", "new_workbook", "write_report", "write_tables"]
