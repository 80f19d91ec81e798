create table parents (id int primary key);
create table orders (id int primary key, parent_id int, qty int);
alter table orders add constraint orders_qty_positive check (qty > 0) not valid;
alter table orders add constraint orders_parent_fk foreign key (parent_id) references parents (id) not valid;
create table lines (id int primary key, qty int constraint lines_qty_check check (qty >= 0));
insert into parents values (1); insert into orders values (1, 1, 1);
