create table users (id int primary key, name text, email text, created_at timestamptz default now());
create view user_list as select id, name, email from users;
create view user_emails as select id, email from user_list;
create view user_names as select id, name from users;
