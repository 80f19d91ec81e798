"""The shop's tables, declared with SQLAlchemy's ORM."""
from sqlalchemy import BigInteger, CheckConstraint, Column, DateTime, Enum, ForeignKey, Index, Integer, MetaData, String, func, text
from sqlalchemy.orm import declarative_base

# Constraint and index names follow one convention, so the same models always build the same schema
# and a generated migration names things the way the application does.
NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

metadata = MetaData(naming_convention=NAMING_CONVENTION)
Base = declarative_base(metadata=metadata)

ORDER_STATUSES = ("pending", "paid", "shipped", "cancelled")


class Customer(Base):
    __tablename__ = "customers"

    id = Column(BigInteger, primary_key=True)
    name = Column(String(200), nullable=False)
    email = Column(String(320), nullable=False, unique=True)
    # Existing customers are on the free plan until they upgrade.
    plan = Column(String(20), nullable=False, server_default="free")
    # The loyalty tier, required of every customer, with no database default (as Django declares it).
    loyalty_tier = Column(String(20), nullable=False)
    created_at = Column(DateTime(timezone=True), nullable=False, server_default=func.now())


class Product(Base):
    __tablename__ = "products"
    __table_args__ = (CheckConstraint("price_cents >= 0", name="price_not_negative"),)

    id = Column(BigInteger, primary_key=True)
    sku = Column(String(64), nullable=False, unique=True)
    name = Column(String(200), nullable=False)
    price_cents = Column(Integer, nullable=False)


class Order(Base):
    __tablename__ = "orders"
    # The account page lists a customer's orders, newest first.
    __table_args__ = (Index("ix_orders_customer_id_created_at", "customer_id", "created_at"),)

    id = Column(BigInteger, primary_key=True)
    customer_id = Column(BigInteger, ForeignKey("customers.id", ondelete="CASCADE"), nullable=False)
    product_id = Column(BigInteger, ForeignKey("products.id"), nullable=False)
    quantity = Column(Integer, nullable=False, server_default=text("1"))
    status = Column(Enum(*ORDER_STATUSES, name="order_status"), nullable=False, server_default="pending")
    created_at = Column(DateTime(timezone=True), nullable=False, server_default=func.now())


class Invoice(Base):
    __tablename__ = "invoices"

    id = Column(BigInteger, primary_key=True)
    order_id = Column(BigInteger, ForeignKey("orders.id", ondelete="CASCADE"), nullable=False, unique=True)
    invoice_number = Column(String(32), nullable=False, unique=True)
    amount_cents = Column(Integer, nullable=False)
    issued_at = Column(DateTime(timezone=True), nullable=False, server_default=func.now())
    paid_at = Column(DateTime(timezone=True))
