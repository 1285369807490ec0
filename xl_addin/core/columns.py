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
    "r_score", "f_score", "m_score", "rfm_code", "rfm_segment", "rfm_class", "rfm_class_en",
    "score", "score_tier", "lifecycle", "clv_hist", "clv_proj", "release_to_pool", "flags",
)

# TierResult.data_quality: rows left out and why.
DATA_QUALITY_COLUMNS = ("sheet", "row", "column", "value", "reason")

# Canonical keys of categorical outputs. The core emits these English keys; the presentation
# layer translates them for the 中文 workbook.
SCORE_TIERS = ("VIP", "Regular", "Potential")
LIFECYCLE_STAGES = ("Prospect", "New", "One-time", "Repeat", "Loyal", "Lapsing", "Lost")
RFM_SEGMENTS = (
    "Champions", "Loyal Customers", "Potential Loyalist", "New Customers", "Promising",
    "Need Attention", "About To Sleep", "At Risk", "Can't Lose Them", "Hibernating", "Lost",
    "Others",
)
FLAG_PROMOTE = "promote"
FLAG_REVIEW = "review"
FLAG_RELEASE = "release to pool"
FLAG_SEPARATOR = "; "
