create type address as (street text, zip varchar(5));
create table shops (id int primary key, addr address);
create function zip_of(a address) returns text language sql immutable as $$ select (a).zip $$;
insert into shops values (1, row('main', '12345'));
