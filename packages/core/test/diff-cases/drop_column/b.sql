create table items (id int primary key, name text);
