create schema util;
create function util.new_ref(prefix text) returns text language sql volatile as $$ select prefix || '-' || md5(random()::text) $$;
create table orders (id int primary key, ref text not null default util.new_ref('ord'));
