create domain money_amount as numeric(10,2) check (value >= 0);
create table payments (id int primary key, amount money_amount not null default 0);
create function double_amount(a money_amount) returns numeric language sql immutable as $$ select a * 2 $$;
create view payment_doubles as select id, double_amount(amount) as doubled from payments;
insert into payments values (1, 12.5);
