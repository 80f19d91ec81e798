create table widgets (id serial primary key, name text);
