create extension citext;
create table users (id int primary key, email citext not null);
create unique index users_email_key on users (email);
