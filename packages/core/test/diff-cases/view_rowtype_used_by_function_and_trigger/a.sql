create table accounts (id int primary key, name text, balance int);
create view account_list as select id, name from accounts;
create function rich_accounts() returns setof account_list language sql stable as $$ select id, name from accounts where balance > 100 $$;
create function account_list_insert() returns trigger language plpgsql as $$ begin insert into accounts (id, name) values (new.id, new.name); return new; end $$;
create trigger account_list_insert instead of insert on account_list for each row execute function account_list_insert();
