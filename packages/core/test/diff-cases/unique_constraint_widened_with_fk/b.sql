create table products (id int primary key, sku text not null, variant int not null default 0, constraint products_sku_key unique (sku, variant));
create table stock (sku text, variant int default 0, qty int, foreign key (sku, variant) references products (sku, variant));
