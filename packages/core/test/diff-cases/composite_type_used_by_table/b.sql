create type address as (street text, zip varchar(10), city text);
create table shops (id int primary key, addr address);
create function zip_of(a address) returns text language sql immutable as $$ select (a).zip $$;
