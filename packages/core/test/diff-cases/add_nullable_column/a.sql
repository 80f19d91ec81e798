create table users (id bigserial primary key, email text not null);
insert into users (email) values ('a@example.com'), ('b@example.com');
