create table parents (id int primary key);
create table orders (id int primary key, parent_id int, qty int);
alter table orders add constraint orders_qty_positive check (qty > 0);
alter table orders add constraint orders_parent_fk foreign key (parent_id) references parents (id);
create table lines (id int primary key, qty int);
alter table lines add constraint lines_qty_check check (qty >= 0) not valid;
alter table lines add constraint lines_id_check check (id > 0) not valid;
