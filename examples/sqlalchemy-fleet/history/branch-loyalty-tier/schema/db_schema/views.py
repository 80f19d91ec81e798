"""Views, which SQLAlchemy's metadata does not model: created after the tables, dropped before them."""
from sqlalchemy import DDL, event

from db_schema.models import metadata

# Revenue per customer for the reporting dashboard: invoiced amounts over all of the customer's orders.
CUSTOMER_REVENUE = DDL(
    """
CREATE VIEW customer_revenue AS
SELECT c.id AS customer_id,
       c.name,
       count(DISTINCT o.id) AS orders,
       coalesce(sum(i.amount_cents), 0) AS invoiced_cents
FROM customers c
LEFT JOIN orders o ON o.customer_id = c.id
LEFT JOIN invoices i ON i.order_id = o.id
GROUP BY c.id, c.name
"""
)

event.listen(metadata, "after_create", CUSTOMER_REVENUE)
event.listen(metadata, "before_drop", DDL("DROP VIEW IF EXISTS customer_revenue"))
