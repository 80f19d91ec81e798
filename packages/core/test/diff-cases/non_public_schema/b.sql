create schema billing;
create table public.customers (id int primary key);
create table public.invoices (id int primary key);
create type billing.state as enum ('draft', 'sent', 'paid');
create table billing.invoices (id serial primary key, state billing.state not null default 'draft', total numeric(12,2),
  customer_id int references public.customers (id));
create index invoices_customer_idx on billing.invoices (customer_id) where state <> 'paid';
create function billing.total_of(i billing.invoices) returns numeric language sql stable as $$ select i.total * 1 $$;
create view billing.open_invoices as select id, billing.total_of(i) as total from billing.invoices i where state = 'draft';
create function billing.touch() returns trigger language plpgsql set search_path = billing as $$ begin new.total := coalesce(new.total, 0); return new; end $$;
create trigger invoices_touch before insert on billing.invoices for each row execute function billing.touch();
comment on table billing.invoices is 'billing invoices';
