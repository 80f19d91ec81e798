CREATE TYPE invoice_status AS ENUM ('draft', 'sent', 'paid');

CREATE TABLE invoices (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  customer_id bigint NOT NULL REFERENCES customers (id),
  status invoice_status NOT NULL DEFAULT 'draft',
  total_cents integer NOT NULL CHECK (total_cents >= 0)
);

CREATE INDEX invoices_customer_id ON invoices (customer_id);
