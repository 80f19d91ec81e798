create table audited (created_at timestamptz default now());
create table owned (owner text);
create table things (id int primary key, name text, owner text) inherits (audited);
insert into things (id, name, owner) values (1, 'x', 'me');
