create table customers (id serial primary key, name text);
create table invoices (id serial primary key, customer_id int not null references customers(id) on delete cascade, total numeric(10,2));
create index invoices_customer on invoices(customer_id);
