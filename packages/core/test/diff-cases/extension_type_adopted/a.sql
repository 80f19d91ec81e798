create table users (id int primary key, email text not null);
create unique index users_email_key on users (email);
insert into users values (1, 'A@x.org');
