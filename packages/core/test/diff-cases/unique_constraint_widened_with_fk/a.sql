create table products (id int primary key, sku text not null, variant int not null default 0, constraint products_sku_key unique (sku));
create table stock (sku text references products (sku), qty int);
insert into products values (1, 'x', 0); insert into stock values ('x', 1);
