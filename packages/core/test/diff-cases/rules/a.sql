create table orders (id int primary key, status varchar(10), amount int);
create table order_log (order_id int, note text);
create rule orders_log as on insert to orders do also insert into order_log values (new.id, new.status);
create rule orders_no_delete as on delete to orders do instead nothing;
create rule orders_old as on update to orders do also insert into order_log values (new.id, 'updated');
