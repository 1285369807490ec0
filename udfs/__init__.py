"""Worksheet functions (xlwings UDFs) for Customer Tiers."""
