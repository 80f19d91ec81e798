create table orders (id int primary key, ref text);
insert into orders values (1, 'r1');
