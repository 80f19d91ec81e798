create table secrets (id int primary key, owner text, body text);
create view my_secrets as select id, body from secrets where owner = current_user;
create view all_secrets with (security_invoker = true, check_option = local) as select id, owner from secrets;
