create schema billing;
create type billing.state as enum ('draft', 'sent');
create table billing.invoices (id serial primary key, state billing.state not null default 'draft', total numeric(10,2));
create function billing.total_of(i billing.invoices) returns numeric language sql stable as $$ select i.total $$;
create view billing.open_invoices as select id, billing.total_of(i) as total from billing.invoices i where state = 'draft';
create table public.customers (id int primary key);
insert into billing.invoices (total) values (1.5);
