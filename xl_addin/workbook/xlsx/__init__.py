"""Write generated sheets straight into the .xlsx / .xlsm package (zip), one module per part:
``package`` (zip container), ``workbook_xml`` (workbook, relationships, content types),
``styles``, ``worksheet_xml``, ``drawing_xml``, ``chart_xml``; ``writer`` ties them together."""

__all__ = ["frame_block", "new_workbook", "write_report", "write_tables"]


def __getattr__(name: str):
    # imported on first use (PEP 562): ``package`` alone stays light, for the command's work
    # before pandas is imported (``workbook.pieces`` through ``workbook.reader_prefetch``)
    if name in __all__:
        from . import writer

        return getattr(writer, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
