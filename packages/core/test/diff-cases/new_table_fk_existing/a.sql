create table customers (id serial primary key, name text);
