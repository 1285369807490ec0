"""xlwings only: ribbon callbacks and the live-Excel writer. No arithmetic here."""
