create table accounts (id serial primary key);
insert into accounts default values;
