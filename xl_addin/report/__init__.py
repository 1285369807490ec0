"""Presentation shared by the workbook writer and the live-Excel writer: pure Python."""
