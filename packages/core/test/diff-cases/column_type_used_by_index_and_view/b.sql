create table orders (id int primary key, code text not null, amount bigint not null default 0);
create index orders_code_idx on orders (code);
create unique index orders_amount_code_key on orders (amount, code) where amount > 0;
create index orders_lower_code_idx on orders (lower(code));
create view order_codes as select id, code, amount from orders where code like 'A%';
create view big_orders as select id, amount * 2 as double_amount from orders where amount > 100;
