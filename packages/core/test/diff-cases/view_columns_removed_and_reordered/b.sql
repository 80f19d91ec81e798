create table users (id int primary key, name text, email text, created_at timestamptz default now());
create view user_list as select id, email, created_at from users;
create view user_emails as select id, email from user_list;
create view user_names as select name, id, upper(name) as shout from users;
