"""Builds templates/CustomerTiers.xlsm from text sources (VBA modules, ribbon XML)."""
