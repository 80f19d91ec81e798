create table orders (id serial primary key);
insert into orders default values;
