create function log_ddl() returns event_trigger language plpgsql as $$ begin raise notice 'ddl'; end $$;
create event trigger on_ddl on ddl_command_end execute function log_ddl();
create event trigger on_drop on sql_drop execute function log_ddl();
create table orders (id int primary key, total numeric, note text);
create table customers (id int primary key);
create publication orders_pub for table orders;
create publication gone_pub for table customers;
