"""Fixed column names inside the core. Headers in sheets (English / 中文 aliases) are mapped to
these outside the core, by the workbook reader or the UDF wrappers."""

from __future__ import annotations

# Transactions: one row per sale line.
CUSTOMER_ID = "customer_id"
DATE = "date"
AMOUNT = "amount"  # revenue of the line, in currency; negative = a return
COST = "cost"  # cost to serve / cost of goods of the line, in currency
ORDER_ID = "order_id"
CUSTOMER_NAME = "customer_name"
SALESPERSON = "salesperson"
INDUSTRY = "industry"
REGION = "region"
SIZE = "size"
WALLET = "wallet"  # the customer's total spend in the category, in currency
# Where a row came from, when the reader knows (1-based Excel row): used in data-quality rows.
SOURCE_SHEET = "source_sheet"
SOURCE_ROW = "source_row"

REQUIRED_TRANSACTION_COLUMNS = (CUSTOMER_ID, DATE, AMOUNT)
OPTIONAL_TRANSACTION_COLUMNS = (
    COST, ORDER_ID, CUSTOMER_NAME, SALESPERSON, INDUSTRY, REGION, SIZE, WALLET,
)
# Descriptive columns that also come from the customer master.
ATTRIBUTE_COLUMNS = (CUSTOMER_NAME, SALESPERSON, INDUSTRY, REGION, SIZE)

# TierResult.customers: one row per customer, in this order (further columns may follow).
CUSTOMER_COLUMNS = (
    "customer_id", "customer_name", "salesperson", "industry", "region", "size",
    "revenue", "cost", "profit", "sob", "segment_sob", "share_of_wallet",
    "cum_share", "abc_tier",
    "orders", "first_purchase", "last_purchase", "recency_days", "monetary",
    "r_score", "f_score", "m_score", "rfm_code", "rfm_segment", "rfm_class",
    "score", "score_tier", "lifecycle", "clv_hist", "clv_proj", "release_to_pool", "flags",
)

# TierResult.data_quality: rows left out and why.
DATA_QUALITY_COLUMNS = ("sheet", "row", "column", "value", "reason")

# TierResult.notes: the decisions made while reading and computing, one row each. ``note_key``
# is one of NOTE_KEYS; ``detail`` a value (a count, a header, a mark), never a sentence: the
# report layer (report.labels.note_text) words it in English or 中文.
NOTE_COLUMNS = ("sheet", "column", "note_key", "detail")
NOTE_SHEET_READ = "sheet_read"  # detail: rows read
NOTE_SHEET_EMPTY = "sheet_empty"
NOTE_SHEET_HIDDEN = "sheet_hidden_skipped"  # a hidden tab not named in Settings
NOTE_HEADER_USED = "header_used"  # column: field; detail: "C (Amount)"
NOTE_HEADER_DUPLICATE = "header_duplicate"  # column: field; detail: the headers, the used one first
NOTE_CUSTOMER_NAME_AS_ID = "customer_name_as_id"
NOTE_DATE_ORDER = "date_order"  # column: date; detail: "DMY" / "MDY"
NOTE_DECIMAL_SEPARATOR = "decimal_separator"  # column: amount / cost; detail: "." / ","
NOTE_NO_COST = "no_cost_column"  # detail: the cost_rate used
NOTE_SHEET_WITHOUT_COST = "sheet_without_cost"  # ABC ranks profit; this tab's lines cost 0
NOTE_TEXT_CUT = "text_cut"  # a text longer than Excel's 32,767 characters was cut
NOTE_READER = "reader"  # any other reader note; detail: its text as the reader gave it
NOTE_KEYS = (NOTE_SHEET_READ, NOTE_SHEET_EMPTY, NOTE_SHEET_HIDDEN, NOTE_HEADER_USED,
             NOTE_HEADER_DUPLICATE, NOTE_CUSTOMER_NAME_AS_ID, NOTE_DATE_ORDER,
             NOTE_DECIMAL_SEPARATOR, NOTE_NO_COST, NOTE_SHEET_WITHOUT_COST, NOTE_TEXT_CUT,
             NOTE_READER)

# Canonical keys of categorical outputs. The core emits these English keys; the presentation
# layer translates them for the 中文 workbook.
SCORE_TIERS = ("VIP", "Regular", "Potential")
LIFECYCLE_STAGES = ("Prospect", "New", "One-time", "Repeat", "Loyal", "Lapsing", "Lost")
RFM_SEGMENTS = (
    "Champions", "Loyal Customers", "Potential Loyalist", "New Customers", "Promising",
    "Need Attention", "About To Sleep", "At Risk", "Can't Lose Them", "Hibernating", "Lost",
    "Others",
)
# The 8 RFM classes (high / low R, F, M against the mean), in the usual reading order: R, F, M
# high; R, M high; F, M high; M high; R, F high; R high; F high; none high.
RFM_CLASSES = (
    "Important value", "Important development", "Important retention", "Important recovery",
    "General value", "General development", "General retention", "General recovery",
)
FLAG_PROMOTE = "promote"
FLAG_REVIEW = "review"
FLAG_RELEASE = "release to pool"
FLAG_SEPARATOR = "; "
