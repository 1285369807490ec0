"""Files: read the sales tabs fast, write the generated sheets and charts into the package."""
