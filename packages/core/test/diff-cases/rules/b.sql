create table orders (id int primary key, status text, amount int);
create table order_log (order_id int, note text);
create rule orders_log as on insert to orders do also insert into order_log values (new.id, new.status);
create rule orders_no_delete as on delete to orders where old.amount > 0 do instead nothing;
create rule orders_big as on insert to orders where new.amount > 1000 do also insert into order_log values (new.id, 'big');
alter table orders disable rule orders_big;
comment on rule orders_log on orders is 'audit';
