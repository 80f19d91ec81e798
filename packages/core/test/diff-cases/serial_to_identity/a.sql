create table widgets (id serial primary key, name text);
insert into widgets (name) values ('a'), ('b');
